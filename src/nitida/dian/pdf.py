"""The representación gráfica: the printed form of an invoice, credit note or debit note, as a PDF (fpdf2).

Drawn from the same ``documents.Document`` the XML is built from, so the figures are the signed ones.
Spanish, es-CO formats (``$ 179.778,52``, ``25/11/2026``), the DejaVu fonts for accents (Debian's
fonts-dejavu-core; ``NITIDA_PDF_FONT_DIR`` points elsewhere), and a QR (segno) of the DIAN
consultation URL. A draft prints without CUFE and QR, marked "Borrador — sin validez fiscal"; an issued
document the DIAN has not validated, or has rejected, prints its CUFE and QR under the mark that says so
("Documento no validado por la DIAN", "Rechazada por la DIAN"). Every page of an issued document carries
its CUFE/CUDE and QR (the last one in the full validation block, the others in a strip above the footer),
and the columns that hold amounts widen to their longest figure, so no number ever wraps.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from nitida.core.text import fold
from nitida.dian import formats
from nitida.einvoicing import cufe
from nitida.einvoicing.documents import Document, DocumentKind, Party
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import PaymentForm

DRAFT_MARK = "Borrador — sin validez fiscal"
NOT_VALIDATED_MARK = "Documento no validado por la DIAN"
REJECTED_MARK = "Rechazada por la DIAN"
SOFTWARE_NAME = "La Oficina Nítida"

TITLES = {
    DocumentKind.INVOICE: "Factura electrónica de venta",
    DocumentKind.CREDIT_NOTE: "Nota crédito electrónica",
    DocumentKind.DEBIT_NOTE: "Nota débito electrónica",
}
REPRESENTATION = {
    DocumentKind.INVOICE: "Representación gráfica de la factura electrónica",
    DocumentKind.CREDIT_NOTE: "Representación gráfica de la nota crédito electrónica",
    DocumentKind.DEBIT_NOTE: "Representación gráfica de la nota débito electrónica",
}
PAYABLE_LABEL = {
    DocumentKind.INVOICE: "Total a pagar",
    DocumentKind.CREDIT_NOTE: "Total nota crédito",
    DocumentKind.DEBIT_NOTE: "Total nota débito",
}
KEY_LABEL = {DocumentKind.INVOICE: "CUFE", DocumentKind.CREDIT_NOTE: "CUDE", DocumentKind.DEBIT_NOTE: "CUDE"}
TRIBUTO_TEXT = {"01": "Responsable de IVA", "04": "Responsable de INC", "ZA": "Responsable de IVA e INC", "ZZ": ""}

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (173, 181, 189)
SHADE = (241, 243, 245)
ACCENT = (25, 70, 120)
DRAFT_RED = (200, 35, 51)


FOOTER_Y = 12  # the footer's line, from the bottom
STRIP_QR = 22  # the QR of the strip every page but the validation block's carries
STRIP_HEIGHT = STRIP_QR + 3


class FontsMissing(RuntimeError):
    """The DejaVu TTF fonts are not installed (Debian package fonts-dejavu-core)."""


@cache
def font_dir() -> Path:
    candidates = [os.environ["NITIDA_PDF_FONT_DIR"]] if os.environ.get("NITIDA_PDF_FONT_DIR") else []
    for directory in (*candidates, *FONT_DIRS):
        path = Path(directory)
        if all((path / name).is_file() for name in FONT_FILES.values()):
            return path
    raise FontsMissing(
        "the DejaVu fonts are missing: install the Debian package fonts-dejavu-core or set NITIDA_PDF_FONT_DIR"
    )


@dataclass(frozen=True, slots=True)
class Printable:
    """What the printed form needs beside the document."""

    document: Document
    document_key: str | None = None  # CUFE / CUDE; None on a draft
    qr_data: str | None = None  # the DIAN consultation URL; None on a draft
    draft: bool = False
    validated_at: dt.datetime | None = None  # when the DIAN validated it (its ApplicationResponse), once known
    mark: str | None = None  # an issued document the DIAN has not validated: NOT_VALIDATED_MARK, REJECTED_MARK
    software_name: str = SOFTWARE_NAME
    software_provider_name: str | None = None  # default: the issuer (own software)
    logo_png: bytes | None = None  # the business's logo (invoices.business: a PNG it decoded and re-encoded)


def _party_id(party: Party) -> str:
    kind = "NIT" if party.id_type == codelists.NIT else codelists.IDENTIFICATION_TYPES.get(party.id_type, party.id_type)
    return f"{kind} {formats.nit(party.id_number, party.dv if party.id_type == codelists.NIT else None)}"


def _title(doc: Document) -> str:
    if doc.kind is DocumentKind.INVOICE and doc.export:
        return "Factura electrónica de exportación"
    return TITLES[doc.kind]


def _money(doc: Document, value: Decimal) -> str:
    return formats.money_in(value, doc.currency)


def _place(party: Party) -> str:
    if party.abroad:
        country = codelists.countries().get(party.country_code, party.country_code)
        return ", ".join(p for p in (party.city_name, party.region, country) if p and p.strip())
    municipio = party.municipio
    if municipio is None:
        return ""
    # The DIAN's list writes "Bogotá, D.c.": print the district as people write it, without repeating it.
    name = municipio.name.replace("D.c.", "D.C.")
    if fold(name).startswith(fold(municipio.departamento)):
        return name
    return f"{name}, {municipio.departamento}"


def _responsabilidades(party: Party) -> str:
    return "; ".join(f"{code} {codelists.RESPONSABILIDADES.get(code, '')}".strip() for code in party.responsabilidades)


def _rate(rate: Decimal) -> str:
    return f"{formats.number(rate, 2)}%"


class _Sheet(FPDF):
    def multi_cell(self, w: Any, h: Any = None, text: str = "", *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("align", "L")  # fpdf2 justifies by default, which stretches short lines
        return super().multi_cell(w, h, text, *args, **kwargs)

    def __init__(self, printable: Printable) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.printable = printable
        directory = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font("DejaVu", style, str(directory / name))
        self.set_margins(12, 12, 12)
        self.body_margin = 16 if printable.draft else 16 + STRIP_HEIGHT
        self.set_auto_page_break(auto=True, margin=self.body_margin)
        self.block_page = 0  # the page the validation block (CUFE, QR, software) is on, once drawn
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        doc = printable.document
        self.set_title(f"{_title(doc)} {doc.number}")
        self.set_author(doc.supplier.razon_social)
        self.set_creator(printable.software_name)
        self.set_lang("es-CO")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        doc = self.printable.document
        self.set_font("DejaVu", "B", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{doc.supplier.razon_social} · {_title(doc)} No. {doc.number} (continuación)")
        self.ln(7)
        self.set_text_color(*INK)

    def watermark_text(self) -> str | None:
        if self.printable.draft:
            return "BORRADOR · SIN VALIDEZ FISCAL"
        return self.printable.mark.upper() if self.printable.mark else None

    def footer(self) -> None:
        doc = self.printable.document
        watermark = self.watermark_text()
        if watermark:
            # Over the content, faint: nothing on the page can hide it.
            with self.local_context(fill_opacity=0.13, text_color=DRAFT_RED):
                self.set_font("DejaVu", "B", 34)
                size = min(34.0, 34 * 240 / self.get_string_width(watermark))
                self.set_font("DejaVu", "B", size)
                with self.rotation(35, self.w / 2, self.h / 2):
                    self.text(self.w / 2 - self.get_string_width(watermark) / 2, self.h / 2, watermark)
            self.set_text_color(*INK)
        if not self.printable.draft and self.page_no() != self.block_page:
            self.validation_strip()
        self.set_y(-FOOTER_Y)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*MUTED)
        left = DRAFT_MARK if self.printable.draft else (self.printable.mark or REPRESENTATION[doc.kind])
        self.cell(0, 4, f"{left} · {doc.number}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_text_color(*INK)

    def validation_strip(self) -> None:
        """The CUFE/CUDE and the QR on a page the validation block is not on (issue 25: on every page)."""
        printable = self.printable
        if not (printable.document_key and printable.qr_data):
            return
        doc = printable.document
        top = self.h - FOOTER_Y - STRIP_HEIGHT
        width = self.w - self.l_margin - self.r_margin
        with self.local_context():
            self.set_auto_page_break(False)
            self.set_draw_color(*RULE)
            self.line(self.l_margin, top, self.w - self.r_margin, top)
            code = cufe.qr_text(doc, printable.document_key, printable.qr_data)
            qr_x = self.w - self.r_margin - STRIP_QR
            self.image(_qr_png(code), x=qr_x, y=top + 1.5, w=STRIP_QR, h=STRIP_QR)
            text_width = width - STRIP_QR - 4
            self.set_xy(self.l_margin, top + 2)
            self.set_font("DejaVu", "B", 7.5)
            self.set_text_color(*INK)
            self.cell(text_width, 4, f"{KEY_LABEL[doc.kind]}:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.fit_cell(printable.document_key, text_width, 7)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(*MUTED)
            if printable.mark:
                self.set_text_color(*DRAFT_RED)
                self.set_font("DejaVu", "B", 7.5)
                self.cell(text_width, 4, printable.mark, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                self.set_font("DejaVu", "", 7)
                self.set_text_color(*MUTED)
            self.cell(
                text_width,
                3.8,
                "Escanee el código QR para consultar el documento en la DIAN.",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.set_auto_page_break(True, margin=self.body_margin)
        self.set_text_color(*INK)

    def fit_cell(self, text: str, width: float, size: float, style: str = "", height: float = 3.8) -> None:
        """One line that never wraps: the font shrinks until ``text`` fits ``width`` (a CUFE, a long figure)."""
        self.set_font("DejaVu", style, size)
        needed = self.get_string_width(text) + 1
        if needed > width:
            self.set_font("DejaVu", style, size * width / needed)
        self.cell(width, height, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font("DejaVu", style, size)

    # --- pieces ---

    def label_value(self, label: str, value: str, width: float, size: float = 8) -> None:
        self.set_font("DejaVu", "B", size)
        label_width = self.get_string_width(label + " ") + 0.5
        self.cell(label_width, 4.2, label)
        self.set_font("DejaVu", "", size)
        self.multi_cell(width - label_width, 4.2, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def section_title(self, text: str) -> None:
        self.set_font("DejaVu", "B", 8)
        self.set_fill_color(*SHADE)
        self.cell(0, 5.5, f"  {text}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)


def _issuer_block(pdf: _Sheet, doc: Document, width: float) -> float:
    issuer = doc.supplier
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 13)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 6, issuer.razon_social, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    if issuer.nombre_comercial and issuer.nombre_comercial != issuer.razon_social:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width, 4.5, issuer.nombre_comercial, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(width, 5, _party_id(issuer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 8)
    lines = [
        issuer.address_line or "",
        ", ".join(p for p in (_place(issuer), issuer.postal_code and f"C.P. {issuer.postal_code}") if p),
        " · ".join(p for p in (issuer.phone and f"Tel. {issuer.phone}", issuer.email) if p),
    ]
    for text in lines:
        if text:
            pdf.multi_cell(width, 4, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.label_value("Responsabilidades fiscales:", _responsabilidades(issuer), width, 7.5)
    regime = TRIBUTO_TEXT.get(issuer.tributo, "")
    if regime:
        pdf.label_value("Régimen:", regime, width, 7.5)
    if issuer.actividad_economica:
        pdf.label_value("Actividad económica (CIIU):", ", ".join(issuer.actividad_economica), width, 7.5)
    return pdf.get_y() - top


def _title_box(pdf: _Sheet, printable: Printable, x: float, y: float, width: float) -> float:
    doc = printable.document
    pdf.set_xy(x, y)
    pdf.set_fill_color(*ACCENT)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(width, 7, _title(doc), align="C", fill=True, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(
        width,
        8,
        f"No. {doc.number}" if doc.number else "Sin número",
        align="C",
        border="LR",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font("DejaVu", "", 8)
    rows = [
        ("Fecha de emisión", f"{formats.date(doc.issue_datetime)} {formats.time(doc.issue_datetime)}"),
    ]
    if doc.kind is DocumentKind.INVOICE:
        due = doc.payment.due_date if doc.payment.form is PaymentForm.CREDITO else None
        rows.append(("Fecha de vencimiento", formats.date(due) if due else formats.date(doc.issue_datetime)))
    if printable.validated_at:
        rows.append(
            ("Validada por la DIAN", f"{formats.date(printable.validated_at)} {formats.time(printable.validated_at)}")
        )
    for label, value in rows:
        pdf.set_x(x)
        pdf.cell(width * 0.5, 5, f" {label}", border="L")
        pdf.cell(width * 0.5, 5, f"{value} ", border="R", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(x)
    banner = DRAFT_MARK if printable.draft else printable.mark
    if banner:
        pdf.set_x(x)
        pdf.set_text_color(*DRAFT_RED)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(width, 6, banner, align="C", border="LR", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
    pdf.set_x(x)
    pdf.cell(width, 1.5, "", border="LRB", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y() - y


def _resolution(pdf: _Sheet, doc: Document) -> None:
    numbering = doc.numbering
    if numbering is None:
        return
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        4,
        f"Autorización de numeración de facturación DIAN No. {numbering.resolution_number}, "
        f"vigente del {formats.date(numbering.valid_from)} al {formats.date(numbering.valid_to)}; "
        f"prefijo {numbering.prefix}, del {numbering.range_from} al {numbering.range_to}.",
        align="C",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*INK)


def _buyer(pdf: _Sheet, doc: Document) -> None:
    customer = doc.customer
    pdf.section_title("Adquiriente")
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    pdf.label_value("Nombre o razón social:", customer.razon_social, half - 2)
    pdf.label_value("Identificación:", _party_id(customer), half - 2)
    if not customer.is_consumidor_final:
        pdf.label_value("Responsabilidades:", _responsabilidades(customer), half - 2)
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    fields = [
        ("Dirección:", customer.address_line or ""),
        ("Ciudad:", _place(customer)),
        ("Correo:", customer.email or ""),
        ("Teléfono:", customer.phone or ""),
    ]
    for label, value in fields:
        if value:
            pdf.set_x(pdf.l_margin + half)
            pdf.set_font("DejaVu", "B", 8)
            width = pdf.get_string_width(label + " ") + 0.5
            pdf.cell(width, 4.2, label)
            pdf.set_font("DejaVu", "", 8)
            pdf.multi_cell(half - width, 4.2, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_end, pdf.get_y()) + 1)


def _payment_and_reference(pdf: _Sheet, doc: Document) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "", 8)
    parts = [
        f"Forma de pago: {codelists.PAYMENT_FORMS[doc.payment.form.code]}",
        f"Medio de pago: {codelists.PAYMENT_MEANS.get(doc.payment.means_code, doc.payment.means_code)}",
    ]
    if doc.payment.due_date:
        parts.append(f"Vence: {formats.date(doc.payment.due_date)}")
    currency_name = codelists.currencies().get(doc.currency, doc.currency)
    parts.append(f"Moneda: {doc.currency} ({currency_name})")
    pdf.label_value("Pago:", " · ".join(parts), width)
    if doc.currency != codelists.COP and doc.exchange_rate is not None:
        # The document's currency and its rate, as its PaymentExchangeRate says (issue 25).
        pdf.label_value(
            "Tasa de cambio:",
            f"1 {doc.currency} = {formats.money(doc.exchange_rate)} COP, del {formats.date(doc.local_issue)} · "
            f"Total en pesos: {formats.money(doc.totals.payable * doc.exchange_rate)}",
            width,
        )
    if doc.billing_reference is not None:
        ref = doc.billing_reference
        pdf.label_value("Factura que corrige:", f"{ref.number} del {formats.date(ref.issue_date)}", width)
        pdf.set_font("DejaVu", "B", 8)
        label = "CUFE de la factura: "
        label_width = pdf.get_string_width(label) + 0.5
        pdf.cell(label_width, 4.2, label)
        pdf.fit_cell(ref.cufe, width - label_width, 8, height=4.2)
        pdf.set_x(pdf.l_margin)
        concepts = (
            codelists.CREDIT_NOTE_CONCEPTS if doc.kind is DocumentKind.CREDIT_NOTE else codelists.DEBIT_NOTE_CONCEPTS
        )
        concept = f"{doc.concept_code} — {concepts.get(doc.concept_code or '', '')}"
        if doc.concept_description:
            concept += f". {doc.concept_description}"
        pdf.label_value("Concepto de corrección:", concept, width)
    pdf.ln(1.5)


def _line_taxes(taxes: Iterable) -> str:
    return "\n".join(f"{t.tax_type} {_rate(t.rate)}" for t in taxes) or "—"


def _widest(pdf: _Sheet, texts: Iterable[str], at_least: float, padding: float = 3) -> float:
    """A column wide enough for its longest text on one line (the table pads each cell 1 mm a side)."""
    return max([at_least, *(pdf.get_string_width(text) + padding for text in texts)])


def _lines(pdf: _Sheet, doc: Document) -> None:
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_fill_color(255, 255, 255)
    # Figures never wrap: the amount and quantity columns widen to their longest figure (13-digit totals
    # included) and the description gives the room up.
    position = _widest(pdf, [str(len(doc.lines))], 7)
    quantity = _widest(pdf, [formats.number(line.quantity) for line in doc.lines], 14)
    price = _widest(pdf, [_money(doc, line.unit_price) for line in doc.lines], 24)
    total = _widest(pdf, [_money(doc, line.line_extension_amount) for line in doc.lines], 24)
    fixed = position + 15 + quantity + 15 + price + 12 + 17 + total
    description_width = max(30.0, pdf.w - pdf.l_margin - pdf.r_margin - fixed)
    widths = (position, 15, description_width, quantity, 15, price, 12, 17, total)
    aligns = ("CENTER", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT")
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        width=sum(widths),
        align="LEFT",
        line_height=3.8,
        padding=(1, 1),
        borders_layout="HORIZONTAL_LINES",
        headings_style=FontFace(emphasis="BOLD", fill_color=SHADE, size_pt=7.5),
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in (
            "#",
            "Código",
            "Descripción",
            "Cant.",
            "Unidad",
            "Valor unitario",
            "Desc.",
            "Impuesto",
            "Valor total",
        ):
            heading.cell(text)
        for position, line in enumerate(doc.lines, start=1):
            row = table.row()
            row.cell(str(position))
            row.cell(line.item_code or "")
            description = line.description
            brand = " · ".join(f"{k}: {v}" for k, v in (("Marca", line.brand), ("Modelo", line.model)) if v)
            if brand:
                description += f"\n{brand}"
            if line.free:
                description += "\nObsequio / muestra sin valor comercial"
                if line.reference_price:
                    description += f" · valor de referencia {_money(doc, line.reference_price)}"
            row.cell(description)
            row.cell(formats.number(line.quantity))
            row.cell(codelists.UNIT_CODES.get(line.unit_code, line.unit_code))
            row.cell(_money(doc, line.unit_price))
            row.cell(_rate(line.discount_percent) if line.discount_percent else "")
            row.cell(_line_taxes(line.taxes))
            row.cell(_money(doc, line.line_extension_amount))
    pdf.ln(2)


def _taxes_and_totals(pdf: _Sheet, doc: Document) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "", 7.5)
    subtotals = [sub for total in doc.tax_totals for sub in total.subtotals]
    tax_widths = (
        20,
        16,
        _widest(pdf, [_money(doc, sub.taxable_amount) for sub in subtotals], 30),
        _widest(pdf, [_money(doc, sub.tax_amount) for sub in subtotals], 30),
    )
    rows = _total_rows(doc)
    pdf.set_font("DejaVu", "B", 9.5)
    amount_width = _widest(pdf, [f"{_money(doc, amount)} " for _, amount, _ in rows], 36)
    box_width = 36 + amount_width
    side_by_side = not doc.tax_totals or sum(tax_widths) + 4 + box_width <= width
    if pdf.get_y() > pdf.h - pdf.body_margin - (60 if side_by_side else 95):
        pdf.add_page()
    top = pdf.get_y()
    if doc.tax_totals:
        pdf.set_font("DejaVu", "", 7.5)
        pdf.set_fill_color(255, 255, 255)
        with pdf.table(
            col_widths=tax_widths,
            text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
            width=sum(tax_widths),
            align="LEFT",
            line_height=3.8,
            padding=(1, 1),
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", fill_color=SHADE, size_pt=7.5),
        ) as table:
            heading = table.row()
            for text in ("Impuesto", "Tarifa", "Base gravable", "Valor"):
                heading.cell(text)
            for total in doc.tax_totals:
                for subtotal in total.subtotals:
                    row = table.row()
                    row.cell(total.tax_type)
                    row.cell(_rate(subtotal.rate))
                    row.cell(_money(doc, subtotal.taxable_amount))
                    row.cell(_money(doc, subtotal.tax_amount))
    left_end = pdf.get_y()
    if not side_by_side:  # wide figures: the totals go under the taxes
        top = left_end + 2
    x = pdf.w - pdf.r_margin - box_width
    pdf.set_xy(x, top)
    for label, amount, strong in rows:
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B" if strong else "", 9.5 if strong else 8)
        if strong:
            pdf.set_fill_color(*SHADE)
        height = 6.5 if strong else 4.8
        pdf.cell(box_width - amount_width, height, f" {label}", border="T" if strong else 0, fill=strong)
        pdf.cell(
            amount_width,
            height,
            f"{_money(doc, amount)} ",
            border="T" if strong else 0,
            fill=strong,
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.set_y(max(left_end, pdf.get_y()) + 2)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_fill_color(*SHADE)
    pdf.multi_cell(
        width,
        5,
        "Valor en letras: "
        + formats.amount_in_words(doc.totals.payable, doc.currency, codelists.currencies().get(doc.currency, "")),
        fill=True,
        padding=(1, 2),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(1.5)


def _total_rows(doc: Document) -> list[tuple[str, Decimal, bool]]:
    totals = doc.totals
    discounts = sum((line.discount_amount for line in doc.lines), Decimal("0.00"))
    rows: list[tuple[str, Decimal, bool]] = [("Subtotal bruto", totals.line_extension + discounts, False)]
    if discounts:
        rows.append(("Descuentos", -discounts, False))
    rows.append(("Subtotal", totals.line_extension, False))
    for total in doc.tax_totals:
        rows.append((total.tax_type, total.tax_amount, False))
    if totals.allowance_total:
        rows.append(("Descuentos globales", -totals.allowance_total, False))
    if totals.charge_total:
        rows.append(("Cargos", totals.charge_total, False))
    rows.append(("Total", totals.tax_inclusive, False))
    if totals.prepaid:
        rows.append(("Anticipos", -totals.prepaid, False))
    rows.append((PAYABLE_LABEL[doc.kind], totals.payable, True))
    return rows


def _notes(pdf: _Sheet, doc: Document) -> None:
    if not doc.notes:
        return
    pdf.set_font("DejaVu", "", 7.5)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.label_value("Observaciones:", " ".join(doc.notes), width, 7.5)
    pdf.ln(1)


def _qr_png(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    return buffer


def _validation_block(pdf: _Sheet, printable: Printable) -> None:
    doc = printable.document
    qr_size = 32
    issued = bool(printable.qr_data and printable.document_key and not printable.draft)
    # The block may use the strip's room (no strip on its page), never the footer's.
    if pdf.get_y() > pdf.h - 16 - qr_size - 6:
        pdf.add_page()
    pdf.block_page = pdf.page_no()
    pdf.set_auto_page_break(False)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y() + 1
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, top - 0.5, pdf.w - pdf.r_margin, top - 0.5)
    text_x = pdf.l_margin
    if issued:
        assert printable.qr_data and printable.document_key
        # The annex's labelled text (NumFac … CUFE, QRCode), not the URL alone (issue 25).
        code = cufe.qr_text(doc, printable.document_key, printable.qr_data)
        pdf.image(_qr_png(code), x=pdf.l_margin, y=top + 1, w=qr_size, h=qr_size)
        text_x = pdf.l_margin + qr_size + 4
    text_width = width - (text_x - pdf.l_margin)
    pdf.set_xy(text_x, top + 2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(text_width, 5, REPRESENTATION[doc.kind], new_x=XPos.LEFT, new_y=YPos.NEXT)
    label = KEY_LABEL[doc.kind]
    if issued:
        assert printable.document_key and printable.qr_data
        pdf.set_font("DejaVu", "B", 7.5)
        pdf.cell(text_width, 4, f"{label}:", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.fit_cell(printable.document_key, text_width, 7, height=3.6)
        if printable.mark:
            pdf.set_font("DejaVu", "B", 8)
            pdf.set_text_color(*DRAFT_RED)
            pdf.cell(text_width, 4.5, printable.mark, new_x=XPos.LEFT, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(
            text_width, 3.6, f"Consulte el documento en la DIAN: {printable.qr_data}", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
    else:
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_text_color(*DRAFT_RED)
        pdf.multi_cell(
            text_width, 4, f"{DRAFT_MARK}: sin {label} ni validación DIAN.", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        pdf.set_text_color(*INK)
    provider = printable.software_provider_name or doc.supplier.razon_social
    software = doc.software
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        text_width,
        3.6,
        f"Software de facturación: {printable.software_name} · Proveedor del software: {provider}, "
        f"NIT {formats.nit(software.provider_nit, software.provider_dv)} · Id. del software: {software.software_id}",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(*INK)
    bottom = top + (qr_size + 2 if issued else 0)
    pdf.set_y(max(bottom, pdf.get_y()))
    pdf.set_auto_page_break(True, margin=pdf.body_margin)


LOGO_BOX = (45.0, 18.0)  # mm: the business's logo fits this box, above its name


def _logo(pdf: _Sheet, png: bytes, top: float) -> None:
    """The business's logo at the top left, fitted to LOGO_BOX keeping its proportions; the issuer follows below."""
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the PNG's IHDR
    scale = min(LOGO_BOX[0] / max(width, 1), LOGO_BOX[1] / max(height, 1))
    pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=width * scale, h=height * scale)
    pdf.set_y(top + height * scale + 2)


def render(printable: Printable) -> bytes:
    """The PDF of ``printable``. A non-draft needs its CUFE/CUDE and QR data."""
    doc = printable.document
    if not printable.draft and not (printable.document_key and printable.qr_data):
        raise ValueError("an issued document prints with its CUFE/CUDE and QR data; drafts set draft=True")
    pdf = _Sheet(printable)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    box_width = 70
    top = pdf.get_y()
    if printable.logo_png:
        _logo(pdf, printable.logo_png, top)
    _issuer_block(pdf, doc, width - box_width - 6)
    issuer_end = pdf.get_y()
    _title_box(pdf, printable, pdf.w - pdf.r_margin - box_width, top, box_width)
    pdf.set_y(max(issuer_end, pdf.get_y()) + 2)
    _resolution(pdf, doc)
    pdf.ln(1.5)
    _buyer(pdf, doc)
    _payment_and_reference(pdf, doc)
    _lines(pdf, doc)
    _taxes_and_totals(pdf, doc)
    _notes(pdf, doc)
    _validation_block(pdf, printable)
    return bytes(pdf.output())
