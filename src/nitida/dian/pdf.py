"""The representación gráfica: the printed form of an invoice, credit note or debit note, as a PDF (fpdf2).

Drawn from the same ``documents.Document`` the XML is built from, so the figures are the signed ones.
Spanish, es-CO formats (``$ 179.778,52``, ``25/11/2026``), the DejaVu fonts for accents (Debian's
fonts-dejavu-core; ``NITIDA_PDF_FONT_DIR`` points elsewhere), and a QR (segno) of the DIAN
consultation URL. A draft prints without CUFE and QR, marked "Borrador — sin validez fiscal".
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
    validated_at: dt.datetime | None = None  # when the DIAN accepted it, once known
    software_name: str = SOFTWARE_NAME
    software_provider_name: str | None = None  # default: the issuer (own software)


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
        self.set_auto_page_break(auto=True, margin=16)
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

    def footer(self) -> None:
        doc = self.printable.document
        if self.printable.draft:
            # Over the content, faint: nothing on the page can hide it.
            with self.local_context(fill_opacity=0.13, text_color=DRAFT_RED):
                self.set_font("DejaVu", "B", 34)
                with self.rotation(35, self.w / 2, self.h / 2):
                    text = "BORRADOR · SIN VALIDEZ FISCAL"
                    self.text(self.w / 2 - self.get_string_width(text) / 2, self.h / 2, text)
            self.set_text_color(*INK)
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*MUTED)
        left = DRAFT_MARK if self.printable.draft else REPRESENTATION[doc.kind]
        self.cell(0, 4, f"{left} · {doc.number}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_text_color(*INK)

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
    if printable.draft:
        pdf.set_x(x)
        pdf.set_text_color(*DRAFT_RED)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(width, 6, DRAFT_MARK, align="C", border="LR", new_x=XPos.LEFT, new_y=YPos.NEXT)
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
        pdf.label_value(
            "Factura que corrige:",
            f"{ref.number} del {formats.date(ref.issue_date)} · CUFE {ref.cufe}",
            width,
        )
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


def _lines(pdf: _Sheet, doc: Document) -> None:
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_fill_color(255, 255, 255)
    widths = (7, 15, 58, 14, 15, 24, 12, 17, 24)
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
            brand = " · ".join(f"{k}: {v}" for k, v in (("Marca", line.brand), ("Modelo", line.model)) if v)
            row.cell(f"{line.description}\n{brand}" if brand else line.description)
            row.cell(formats.number(line.quantity))
            row.cell(codelists.UNIT_CODES.get(line.unit_code, line.unit_code))
            row.cell(_money(doc, line.unit_price))
            row.cell(_rate(line.discount_percent) if line.discount_percent else "")
            row.cell(_line_taxes(line.taxes))
            row.cell(_money(doc, line.line_extension_amount))
    pdf.ln(2)


def _taxes_and_totals(pdf: _Sheet, doc: Document) -> None:
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
    top = pdf.get_y()
    tax_widths = (28, 18, 33, 33)
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
    box_width = 72
    x = pdf.w - pdf.r_margin - box_width
    pdf.set_xy(x, top)
    for label, amount, strong in rows:
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B" if strong else "", 9.5 if strong else 8)
        if strong:
            pdf.set_fill_color(*SHADE)
        height = 6.5 if strong else 4.8
        pdf.cell(box_width * 0.5, height, f" {label}", border="T" if strong else 0, fill=strong)
        pdf.cell(
            box_width * 0.5,
            height,
            f"{_money(doc, amount)} ",
            border="T" if strong else 0,
            fill=strong,
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.set_y(max(left_end, pdf.get_y()) + 2)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_fill_color(*SHADE)
    pdf.multi_cell(
        width,
        5,
        "Valor en letras: "
        + formats.amount_in_words(totals.payable, doc.currency, codelists.currencies().get(doc.currency, "")),
        fill=True,
        padding=(1, 2),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(1.5)


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
    if pdf.get_y() > pdf.h - 16 - qr_size - 6:
        pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y() + 1
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, top - 0.5, pdf.w - pdf.r_margin, top - 0.5)
    text_x = pdf.l_margin
    if printable.qr_data and printable.document_key and not printable.draft:
        # The annex's labelled text (NumFac … CUFE, QRCode), not the URL alone (issue 25).
        code = cufe.qr_text(doc, printable.document_key, printable.qr_data)
        pdf.image(_qr_png(code), x=pdf.l_margin, y=top + 1, w=qr_size, h=qr_size)
        text_x = pdf.l_margin + qr_size + 4
    text_width = width - (text_x - pdf.l_margin)
    pdf.set_xy(text_x, top + 2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(text_width, 5, REPRESENTATION[doc.kind], new_x=XPos.LEFT, new_y=YPos.NEXT)
    label = KEY_LABEL[doc.kind]
    if printable.document_key and not printable.draft:
        pdf.set_font("DejaVu", "B", 7.5)
        pdf.cell(text_width, 4, f"{label}:", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(text_width, 3.6, printable.document_key, new_x=XPos.LEFT, new_y=YPos.NEXT)
    else:
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_text_color(*DRAFT_RED)
        pdf.multi_cell(
            text_width, 4, f"{DRAFT_MARK}: sin {label} ni validación DIAN.", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        pdf.set_text_color(*INK)
    if printable.qr_data and not printable.draft:
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(
            text_width, 3.6, f"Consulte el documento en la DIAN: {printable.qr_data}", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
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
    bottom = top + (qr_size + 2 if printable.qr_data and not printable.draft else 0)
    pdf.set_y(max(bottom, pdf.get_y()))


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
