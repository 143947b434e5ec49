"""The invoice editor's form: its fields, the lines as typed, and their mapping to the API's body (InvoiceCreate),
as web/fiscal_form.py does for fiscal data. Typed numbers are es-CO ("1.234,5"); the services validate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from nitida.invoices import totals
from nitida.invoices.schemas import LineIn
from nitida.web.deps import WebContext
from nitida.web.formatting import NotANumber, decimal_input, parse_number
from nitida.web.forms import whole_number

INITIAL_LINES = 2
MAX_FORM_LINES = 100
IVA_RATES = ("19", "5", "0")
INC_RATES = ("8", "4", "16")
LINE_FIELDS = {
    "description": "descripcion",
    "quantity": "cantidad",
    "unitPrice": "precio",
    "discountPercent": "descuento",
    "taxes": "iva",
    "brand": "marca",
    "model": "modelo",
    "referencePrice": "referencia",
}
HEADER_FIELDS = {
    "customerId": "customer_id",
    "resolutionId": "resolution_id",
    "paymentForm": "plazo",
    "dueDate": "vencimiento",
    "paymentMethod": "medio_pago",
    "notes": "notas",
    "export": "exportacion",
    "currency": "moneda",
    "exchangeRate": "tasa_cambio",
    "lines": "lineas",
    "amount": "valor",
    "date": "fecha",
    "method": "metodo",
    "reference": "referencia",
    "reason": "motivo",
}
_LINE_LOC = re.compile(r"^lines[.\[](\d+)\]?\.(\w+)")


def field_name(api_name: str) -> str:
    found = _LINE_LOC.match(api_name)
    if found:
        return f"{LINE_FIELDS.get(found[2], 'descripcion')}_{found[1]}"
    return HEADER_FIELDS.get(api_name, api_name)


class _Names(dict):
    """API field -> form field, lines included ("lines.0.quantity" -> "cantidad_0")."""

    def get(self, key: str, default: Any = None) -> str:
        return field_name(key)


NAMES = _Names()


@dataclass
class FormLine:
    descripcion: str = ""
    cantidad: str = "1"
    precio: str = ""
    descuento: str = "0"
    iva: str = "19"
    inc: str = ""
    marca: str = ""  # an exported good's brand and model (export invoices, issue 25)
    modelo: str = ""
    obsequio: str = ""  # "1": a gift or sample, given away at its reference value (issue 25)
    referencia: str = ""

    @property
    def gift(self) -> bool:
        return bool(self.obsequio)

    @property
    def blank(self) -> bool:
        return not self.descripcion.strip() and not self.precio.strip()


def new_line(values: dict[str, str]) -> FormLine:
    """A blank line: an export invoice's is exempt (IVA 0 %, issue 25), any other's at the general rate."""
    return FormLine(iva="0") if values.get("exportacion") == "1" else FormLine()


def form_lines(ctx: WebContext) -> list[FormLine]:
    count = whole_number(ctx.field("lineas"), INITIAL_LINES, at_most=MAX_FORM_LINES)
    return [
        FormLine(
            descripcion=ctx.field(f"descripcion_{i}"),
            cantidad=ctx.field(f"cantidad_{i}"),
            precio=ctx.field(f"precio_{i}"),
            descuento=ctx.field(f"descuento_{i}"),
            iva=ctx.field(f"iva_{i}"),
            inc=ctx.field(f"inc_{i}"),
            marca=ctx.field(f"marca_{i}"),
            modelo=ctx.field(f"modelo_{i}"),
            obsequio=ctx.field(f"obsequio_{i}"),
            referencia=ctx.field(f"referencia_{i}"),
        )
        for i in range(count)
    ]


def number(text: str, default: str | None = None) -> str:
    """A typed number as the API's decimal text ("1.234,5" -> "1234.5"); unreadable text passes
    through so the service's own validation names the field."""
    if not text.strip() and default is not None:
        return default
    try:
        return f"{parse_number(text):f}"
    except NotANumber:
        return text


def line_body(line: FormLine) -> dict[str, Any]:
    taxes = []
    if line.iva in IVA_RATES:
        taxes.append({"type": "IVA", "rate": line.iva})
    if line.inc in INC_RATES:
        taxes.append({"type": "INC", "rate": line.inc})
    body = {
        "description": line.descripcion,
        "quantity": number(line.cantidad),
        "unitPrice": number(line.precio),
        "discountPercent": number(line.descuento, "0"),
        "taxes": taxes,
        "brand": line.marca.strip() or None,
        "model": line.modelo.strip() or None,
    }
    if line.gift:
        # Given away: no price; its value is the reference one (a blank one is refused beside its field).
        body.update(unitPrice="0", discountPercent="0", referencePrice=number(line.referencia, "0"))
    return body


HEADER_NAMES = (
    "customer_id",
    "cliente_buscar",
    "resolution_id",
    "plazo",
    "forma_pago",
    "vencimiento",
    "medio_pago",
    "notas",
    "exportacion",
    "moneda",
    "tasa_cambio",
)
# The currencies an export invoice is most often in, first in its select; the DIAN's whole list follows.
COMMON_CURRENCIES = ("USD", "EUR")
# Those the editor offers (the API takes any of the DIAN's list): the currencies Colombia's trade is billed in.
OFFERED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "MXN", "BRL", "PEN", "CLP", "ARS", "CHF", "JPY", "CNY", "COP")
EXPORT_DEFAULT_CURRENCY = "USD"
# Plazo de pago: contado, a number of days from today, or a date typed in Fecha de vencimiento.
TERMS = {"0": "Contado", "8": "8 días", "15": "15 días", "30": "30 días", "60": "60 días", "90": "90 días"}
BY_DATE = "fecha"
DEFAULT_METHOD = "TRANSFERENCIA"


def header_values(ctx: WebContext) -> dict[str, str]:
    return {name: ctx.field(name) for name in HEADER_NAMES}


def new_values(customer_id: str, resolution_id: str) -> dict[str, str]:
    values = dict.fromkeys(HEADER_NAMES, "")
    values.update(
        customer_id=customer_id,
        resolution_id=resolution_id,
        plazo="0",
        medio_pago=DEFAULT_METHOD,
        moneda=EXPORT_DEFAULT_CURRENCY,
    )
    return values


def values_of(invoice: Any) -> tuple[dict[str, str], list[FormLine]]:
    """A draft as the editor shows it (its due date as a date: the days it was drafted with are gone)."""
    credit = invoice.payment_form.value == "CREDITO"
    values = new_values(str(invoice.customer_id), str(invoice.resolution_id))
    values.update(
        plazo=BY_DATE if credit else "0",
        forma_pago=invoice.payment_form.value,
        vencimiento=invoice.due_date.isoformat() if invoice.due_date else "",
        medio_pago=invoice.payment_method.value if invoice.payment_method else "",
        notas=invoice.notes or "",
        exportacion="1" if invoice.export else "",
        moneda=invoice.currency if invoice.export else EXPORT_DEFAULT_CURRENCY,
        tasa_cambio=decimal_input(invoice.exchange_rate) if invoice.exchange_rate is not None else "",
    )
    lines = []
    for row in invoice.lines:
        rates = {t["type"]: t["rate"] for t in row.taxes}
        lines.append(
            FormLine(
                descripcion=row.description,
                cantidad=decimal_input(row.quantity),
                precio=decimal_input(row.unit_price),
                descuento=decimal_input(row.discount_percent),
                iva=_rate_text(rates.get("IVA")),
                inc=_rate_text(rates.get("INC")),
                marca=row.brand or "",
                modelo=row.model or "",
                obsequio="1" if row.reference_price is not None else "",
                referencia=decimal_input(row.reference_price) if row.reference_price is not None else "",
            )
        )
    return values, lines


def _rate_text(rate: str | None) -> str:
    return f"{Decimal(rate).normalize():f}" if rate is not None else ""


def body_of(values: dict[str, str], lines: list[FormLine], today: date) -> dict[str, Any]:
    """The API's body for the editor's header and its non-blank lines."""
    term = values.get("plazo", "")
    if term in TERMS:
        days = int(term)
        payment_form = "CREDITO" if days else "CONTADO"
        due = (today + timedelta(days=days)).isoformat() if days else None
    elif term == BY_DATE:
        payment_form, due = "CREDITO", values["vencimiento"] or None
    else:  # a form without Plazo (older pages, scripts): Forma de pago and the date as given
        payment_form, due = values.get("forma_pago") or "CONTADO", values.get("vencimiento") or None
    return {
        "customerId": values["customer_id"] or None,
        "resolutionId": values["resolution_id"] or None,
        "paymentForm": payment_form,
        "dueDate": due,
        "paymentMethod": values.get("medio_pago") or None,
        "notes": values["notas"] or None,
        "lines": [line_body(line) for line in lines],
        **export_body(values),
    }


def export_body(values: dict[str, str]) -> dict[str, Any]:
    """export, currency and exchangeRate of the body: an export invoice in the currency chosen, with its rate
    unless it is in pesos; any other invoice in pesos (issue 25)."""
    if values.get("exportacion") != "1":
        return {"export": False, "currency": "COP", "exchangeRate": None}
    currency = (values.get("moneda") or EXPORT_DEFAULT_CURRENCY).strip().upper()
    rate = values.get("tasa_cambio", "").strip()
    return {
        "export": True,
        "currency": currency,
        "exchangeRate": number(rate) if rate and currency != "COP" else None,
    }


def currency_of(values: dict[str, str]) -> str:
    """The currency the editor's amounts are in (its live totals)."""
    return export_body(values)["currency"]


def _line(line: FormLine) -> totals.Line | None:
    """A typed line as invoices.totals reads it; None when blank or when the API would refuse it (unreadable,
    out of bounds: a 100-digit quantity, say), until it is fixed, as saving names it."""
    if line.blank:
        return None
    body = line_body(line)
    try:
        valid = LineIn.model_validate({**body, "description": body["description"].strip() or "-"})
    except ValidationError:
        return None
    return totals.Line(
        quantity=valid.quantity,
        unit_price=valid.unit_price,
        discount_percent=valid.discount_percent,
        taxes=tuple(totals.Tax(tax.type, tax.rate) for tax in valid.taxes),
        reference_price=valid.reference_price,
    )


def preview_totals(lines: list[FormLine]) -> totals.Totals:
    """The totals of the lines as typed so far, by invoices.totals; a line the API would refuse is left out."""
    return totals.compute(line for line in map(_line, lines) if line is not None)


def line_amounts(lines: list[FormLine]) -> list[Decimal | None]:
    """Each row's total before taxes (quantity × price − discount), as the invoice will compute it;
    None for a blank row or one the API would refuse."""
    amounts: list[Decimal | None] = []
    for line in map(_line, lines):
        try:
            amounts.append(totals.compute_line(line).base if line is not None else None)
        except (ArithmeticError, ValueError):
            amounts.append(None)
    return amounts
