"""Estado de cuenta on the customer's page: the movements of a period with their running balance (reports'
statement, the API's one code path), downloaded as PDF, Excel or CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from nitida.core import spreadsheets
from nitida.core.clock import bogota_today
from nitida.core.errors import BadRequest
from nitida.customers import service as customers
from nitida.customers.access import CUSTOMERS
from nitida.einvoicing.configuration import find_issuer
from nitida.reports import service as reports
from nitida.reports import statements
from nitida.reports.access import REPORTS
from nitida.tenants.models import Tenant
from nitida.web.deps import Web
from nitida.web.formatting import document
from nitida.web.forms import FormErrors
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)
FORMATS = ("pdf", "xlsx", "csv")


def _day(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _period(desde: str, hasta: str) -> tuple[date | None, date, dict[str, str]]:
    """The period asked for (from the start, to today by default) and the errors of its fields, in Spanish."""
    errors: dict[str, str] = {}
    date_from, date_to = _day(desde), _day(hasta)
    if desde.strip() and date_from is None:
        errors["desde"] = "No es una fecha válida (dd/mm/aaaa)."
    if hasta.strip() and date_to is None:
        errors["hasta"] = "No es una fecha válida (dd/mm/aaaa)."
    date_to = date_to or bogota_today()
    if date_from is not None and date_from > date_to:
        errors["desde"] = "La fecha inicial no puede ser posterior a la final."
    return date_from, date_to, errors


def _business(ctx: Any) -> tuple[str, str]:
    """Who the statement is from: the fiscal data the invoices print, else the business as registered."""
    issuer = find_issuer(ctx.session)
    if issuer is not None:
        return issuer.razon_social, document(issuer.nit, issuer.dv)
    tenant = ctx.session.get(Tenant, ctx.session.tenant_id)
    return tenant.name, tenant.nit


@router.get("/app/clientes/{customer_id}/estado-de-cuenta")
def statement_page(request: Request, ctx: Web, customer_id: str, desde: str = "", hasta: str = "") -> HTMLResponse:
    customer = customers.read_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "read")
    ctx.require(REPORTS, "read")
    date_from, date_to, errors = _period(desde, hasta)
    result = None
    if not errors:
        with ctx.listing() as session:
            result = reports.statement(session, customer.id, date_from, date_to)
    query = f"desde={date_from.isoformat() if date_from else ''}&hasta={date_to.isoformat()}"
    return page(
        request,
        ctx,
        "clientes/estado_de_cuenta.html",
        nav="clientes",
        customer=customer,
        statement=result,
        kinds=reports.KIND_SPANISH,
        desde=desde if errors.get("desde") else (date_from.isoformat() if date_from else ""),
        hasta=hasta if errors.get("hasta") else date_to.isoformat(),
        errors=FormErrors(fields=errors),
        query=query,
        status_code=422 if errors else 200,
    )


@router.get("/app/clientes/{customer_id}/estado-de-cuenta/descargar")
def download_statement(ctx: Web, customer_id: str, formato: str = "pdf", desde: str = "", hasta: str = "") -> Response:
    customer = customers.read_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "read")
    ctx.require(REPORTS, "read")
    date_from, date_to, errors = _period(desde, hasta)
    if errors or formato not in FORMATS:
        raise BadRequest("The statement's period or format is not valid.")
    with ctx.listing() as session:
        result = reports.statement(session, customer.id, date_from, date_to)
    name = statements.file_name(customer.nit)
    if formato == "pdf":
        business, business_nit = _business(ctx)
        content = statements.pdf(
            result,
            business=business,
            business_nit=business_nit,
            customer=customer.razon_social,
            customer_document=document(customer.nit, customer.dv),
            printed_on=bogota_today(),
        )
        headers = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
        return Response(content, media_type="application/pdf", headers=headers)
    fmt = spreadsheets.XLSX if formato == "xlsx" else spreadsheets.CSV
    body, media, file_headers = spreadsheets.file_response_parts(statements.table(result), fmt, name)
    return StreamingResponse(body, media_type=media, headers=file_headers)
