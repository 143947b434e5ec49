"""Receivables as files: a customer's statement (estado de cuenta) and the ageing (cartera), the one table each
that the API's CSV/XLSX and the pages' downloads write, and the statement's PDF (fpdf2, the invoices' fonts and
es-CO formats)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from nitida.core import spreadsheets
from nitida.dian import formats
from nitida.dian.pdf import ACCENT, FONT_FILES, INK, MUTED, RULE, SHADE, font_dir
from nitida.reports import ageing
from nitida.reports.service import BUCKETS, KIND_SPANISH, AgingReport, Statement

HEADER = ("Fecha", "Movimiento", "Documento", "Factura", "Cargo", "Abono", "Saldo")
TITLE = "Estado de cuenta"


def rows(result: Statement) -> list[tuple[Any, ...]]:
    """Opening balance, each movement (a charge or a credit) with the running balance, closing balance."""
    table: list[tuple[Any, ...]] = [(result.date_from, "Saldo inicial", None, None, None, None, result.opening_balance)]
    for line in result.lines:
        charge, credit = (line.amount, None) if line.amount >= 0 else (None, -line.amount)
        table.append(
            (line.date, KIND_SPANISH[line.kind], line.document, line.invoice_number, charge, credit, line.balance)
        )
    table.append((result.date_to, "Saldo final", None, None, None, None, result.closing_balance))
    return table


def table(result: Statement) -> spreadsheets.Table:
    return spreadsheets.Table(TITLE, HEADER, rows(result))


def file_name(nit: str) -> str:
    return f"estado-de-cuenta-{nit}"


def period_text(date_from: date | None, date_to: date) -> str:
    if date_from is None:
        return f"Hasta el {formats.date(date_to)}"
    return f"Del {formats.date(date_from)} al {formats.date(date_to)}"


class _Sheet(FPDF):
    def __init__(self, business: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        directory = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font("DejaVu", style, str(directory / name))
        self.business = business
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_lang("es-CO")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.business} · {TITLE}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_text_color(*INK)


def pdf(
    result: Statement,
    *,
    business: str,
    business_nit: str,
    customer: str,
    customer_document: str,
    printed_on: date,
) -> bytes:
    """The statement as an A4 PDF: who owes whom, the period, and every movement with its running balance."""
    sheet = _Sheet(business)
    sheet.set_title(f"{TITLE} · {customer}")
    sheet.set_author(business)
    sheet.add_page()
    sheet.set_font("DejaVu", "B", 12)
    sheet.multi_cell(0, 6, business, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    sheet.set_font("DejaVu", "", 8)
    sheet.cell(0, 4.5, f"NIT {business_nit}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    sheet.ln(3)
    sheet.set_font("DejaVu", "B", 14)
    sheet.set_text_color(*ACCENT)
    sheet.cell(0, 8, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    sheet.set_text_color(*INK)
    sheet.set_font("DejaVu", "", 9)
    for label, value in (
        ("Cliente:", customer),
        ("Documento:", customer_document),
        ("Periodo:", period_text(result.date_from, result.date_to)),
        ("Generado el:", formats.date(printed_on)),
    ):
        sheet.set_font("DejaVu", "B", 9)
        sheet.cell(26, 5, label)
        sheet.set_font("DejaVu", "", 9)
        sheet.multi_cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    sheet.ln(3)
    sheet.set_font("DejaVu", "", 8)
    heading = FontFace(emphasis="BOLD", fill_color=SHADE)
    with sheet.table(
        col_widths=(20, 26, 30, 28, 28, 28, 30),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=heading,
        line_height=5,
        first_row_as_headings=True,
    ) as grid:
        grid.row(HEADER)
        for when, what, document, invoice, charge, credit, balance in rows(result):
            grid.row(
                (
                    formats.date(when) if when else "",
                    what,
                    document or "",
                    invoice or "",
                    formats.money(charge) if charge is not None else "",
                    formats.money(credit) if credit is not None else "",
                    formats.money(balance),
                )
            )
    sheet.ln(4)
    sheet.set_font("DejaVu", "B", 10)
    sheet.cell(0, 6, f"Saldo a cargo del cliente: {formats.money(result.closing_balance)}", align="R")
    return bytes(sheet.output())


# --- the ageing (cartera) as a file ---------------------------------------------------------------

AGING_HEADER = (
    "Cliente",
    "Tipo de documento",
    "Código DIAN tipo de documento",
    "Número de documento",
    "DV",
    *ageing.LABELS.values(),
    "Total",
)


def aging_table(report: AgingReport) -> spreadsheets.Table:
    """Each customer's balance by days past due and a totals row: the API's file and the Cartera page's export."""
    amounts = (*BUCKETS, "total")
    table: list[tuple[Any, ...]] = [
        (r.razon_social, r.tipo_documento, r.tipo_documento.codigo, r.nit, r.dv, *[getattr(r, a) for a in amounts])
        for r in report.rows
    ]
    table.append(("Total", None, None, None, None, *[report.totals[a] for a in amounts]))
    return spreadsheets.Table("Cartera por edades", AGING_HEADER, table)


def aging_file_name(report: AgingReport) -> str:
    return f"cartera-{report.as_of.isoformat()}"
