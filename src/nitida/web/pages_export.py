"""The invoice editor's Exportación section (issue 25): offered when the chosen customer is abroad — the export
mark (InvoiceTypeCode 02), the currency and its exchange rate; each line's brand and model show with the mark
(a CSS rule on the form, app.css). The section is re-read (htmx) when another customer is chosen."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from nitida.customers.models import Customer
from nitida.invoices.access import INVOICES
from nitida.vocabulary import codelists
from nitida.web import invoice_form
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)


def currency_options() -> list[tuple[str, str]]:
    """The currencies the editor offers, with the DIAN's names (COP last: an export may be billed in pesos)."""
    names = codelists.currencies()
    return [(code, names[code]) for code in invoice_form.OFFERED_CURRENCIES]


def _country_of(ctx: WebContext, customer_id: str) -> str | None:
    try:
        chosen = uuid.UUID(customer_id) if customer_id else None
    except ValueError:
        return None
    if chosen is None:
        return None
    return ctx.session.scalar(select(Customer.pais_codigo).where(Customer.id == chosen))


def context(ctx: WebContext, values: dict[str, str]) -> dict[str, Any]:
    """What the section needs: whether the customer is abroad (and where), the currencies."""
    country = _country_of(ctx, values.get("customer_id", ""))
    abroad = country is not None and country != codelists.COLOMBIA
    return {
        "abroad": abroad,
        "country": codelists.countries().get(country or "", "") if abroad else "",
        "currencies": currency_options(),
        "currency": invoice_form.currency_of(values),
    }


@router.get("/app/facturas/exportacion")
def export_section(
    request: Request,
    ctx: Web,
    customer_id: str = "",
    exportacion: str = "",
    moneda: str = "",
    tasa_cambio: str = "",
) -> HTMLResponse:
    """The editor's Exportación section for the customer chosen (htmx fragment)."""
    ctx.require(INVOICES, "write")
    values = {
        "customer_id": customer_id,
        "exportacion": exportacion,
        "moneda": moneda[:3] or invoice_form.EXPORT_DEFAULT_CURRENCY,
        "tasa_cambio": tasa_cambio[:30],
    }
    return page(
        request, ctx, "facturas/_exportacion.html", values=values, errors=FormErrors(), export=context(ctx, values)
    )
