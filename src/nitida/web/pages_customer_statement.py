"""Estado de cuenta on the customer's page: the movements of a period with their running balance (reports'
statement, the API's one code path), downloaded as PDF, Excel or CSV."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from nitida.core import spreadsheets
from nitida.core.clock import bogota_today
from nitida.core.errors import BadRequest
from nitida.customers import service as customers
from nitida.customers.access import CUSTOMERS
from nitida.delivery.access import DELIVERY
from nitida.reports import service as reports
from nitida.reports import statement_mail, statements
from nitida.reports.access import REPORTS
from nitida.web.deps import Web
from nitida.web.formatting import document
from nitida.web.forms import FormErrors, FormInvalid, attempt
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


@router.get("/app/clientes/{customer_id}/estado-de-cuenta")
def statement_page(
    request: Request, ctx: Web, customer_id: str, desde: str = "", hasta: str = "", enviado: str = ""
) -> HTMLResponse:
    customer = customers.read_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "read")
    ctx.require(REPORTS, "read")
    date_from, date_to, errors = _period(desde, hasta)
    return _render(request, ctx, customer, desde, hasta, date_from, date_to, errors, enviado=enviado)


def _render(
    request: Request,
    ctx: Any,
    customer: Any,
    desde: str,
    hasta: str,
    date_from: date | None,
    date_to: date,
    errors: dict[str, str],
    *,
    enviado: str = "",
    correo: str | None = None,
    mail_error: str | None = None,
) -> HTMLResponse:
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
        errors=FormErrors(fields={**errors, **({"correo": mail_error} if mail_error else {})}),
        query=query,
        correo=customer.email or "" if correo is None else correo,
        can_mail=ctx.can(DELIVERY, "email"),
        notice=f"Estado de cuenta en cola de envío a {enviado[:254]}." if enviado else None,
        status_code=422 if errors or mail_error else 200,
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
        business, business_nit, _sender = statement_mail.business_of(ctx.session)
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


@router.post("/app/clientes/{customer_id}/estado-de-cuenta/enviar")
def send_statement(request: Request, ctx: Web, customer_id: str) -> Response:
    """ "Enviar por correo": the period's statement, as its PDF, to the address typed (the customer's by default)."""
    customer = customers.read_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "read")
    ctx.require(DELIVERY, "email")
    desde, hasta, to = ctx.field("desde"), ctx.field("hasta"), ctx.field("correo").strip()[:254]
    date_from, date_to, errors = _period(desde, hasta)
    if errors:
        return _render(request, ctx, customer, desde, hasta, date_from, date_to, errors, correo=to)
    try:
        attempt(
            ctx.session,
            {},
            lambda: statement_mail.queue(ctx.session, ctx.principal, customer.id, date_from, date_to, to),
        )
    except FormInvalid as exc:
        message = (
            "Escribe el correo electrónico al que enviarlo."
            if "to" in exc.errors.fields
            else "La empresa no tiene correo de envío: agrégalo en sus datos fiscales (Configuración)."
        )
        return _render(request, ctx, customer, desde, hasta, date_from, date_to, {}, correo=to, mail_error=message)
    query = urlencode(
        {"desde": date_from.isoformat() if date_from else "", "hasta": date_to.isoformat(), "enviado": to}
    )
    return RedirectResponse(f"/app/clientes/{customer.id}/estado-de-cuenta?{query}", status_code=303)
