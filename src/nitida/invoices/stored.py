"""A line as it is stored in JSON (a note's lines, an invoice line's taxes) and as the history records an
invoice's lines: money as text with two decimals, a quantity as its digits, taxes as type and rate. One shape,
written and read here only."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from nitida.core.money import format_money
from nitida.invoices import totals
from nitida.invoices.models import InvoiceLine
from nitida.invoices.schemas import LineIn


def taxes_json(taxes: Iterable[Any]) -> list[dict[str, str]]:
    """``[{"type": "IVA", "rate": "19.00"}]`` of a line's taxes (TaxIn, or totals.Tax)."""
    return [{"type": t.type.value, "rate": format_money(t.rate)} for t in taxes]


def line_json(
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    discount: Decimal,
    taxes: list[Any],
    reference_price: Decimal | None = None,
) -> dict:
    raw = {
        "description": description,
        "quantity": f"{quantity.normalize():f}",
        "unitPrice": format_money(unit_price),
        "discountPercent": format_money(discount),
        "taxes": taxes,
    }
    if reference_price is not None:  # a gift or sample (issue 25); absent on every other line
        raw["referencePrice"] = format_money(reference_price)
    return raw


def of_input(line: LineIn) -> dict[str, Any]:
    return line_json(
        line.description,
        line.quantity,
        line.unit_price,
        line.discount_percent,
        taxes_json(line.taxes),
        line.reference_price,
    )


def of_row(row: InvoiceLine) -> dict[str, Any]:
    return line_json(
        row.description, row.quantity, row.unit_price, row.discount_percent, list(row.taxes), row.reference_price
    )


def to_line(raw: dict[str, Any]) -> totals.Line:
    """A stored line for invoices.totals."""
    return totals.Line(
        quantity=Decimal(str(raw["quantity"])),
        unit_price=Decimal(str(raw["unitPrice"])),
        discount_percent=Decimal(str(raw["discountPercent"])),
        taxes=tuple(totals.Tax(totals.TaxType(t["type"]), Decimal(t["rate"])) for t in raw["taxes"]),
        reference_price=Decimal(str(raw["referencePrice"])) if raw.get("referencePrice") is not None else None,
    )
