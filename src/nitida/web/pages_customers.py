"""Clientes: the list with typeahead, the form with the DV as you type, the customer's page."""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from nitida.audit.service import history
from nitida.core import bounds
from nitida.core.clock import bogota_today
from nitida.customers import search as customer_lists
from nitida.customers import service
from nitida.customers.access import CUSTOMERS
from nitida.customers.models import CustomerStatus
from nitida.customers.schemas import CustomerCreate, CustomerUpdate
from nitida.einvoicing.configuration import find_issuer
from nitida.invoices import service as invoices
from nitida.invoices.models import Invoice
from nitida.tenants.models import Tenant
from nitida.vocabulary import codelists, fiscal
from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise
from nitida.vocabulary.kinds import PersonType
from nitida.web import fiscal_form, messages, queries
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, attempt, validate, whole_number
from nitida.web.rendering import is_htmx, page, render_text

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
# API field -> form field, for errors shown beside their field.
FIELD_NAMES = {
    "razonSocial": "razon_social",
    "nit": "numero",
    "tipoDocumento": "tipo_documento",
    "email": "correo",
    "telefono": "telefono",
    "direccion": "direccion",
    "status": "estado",
    "tipoPersona": "tipo_persona",
    "responsabilidadesFiscales": "responsabilidades",
    "tributo": "tributo",
    "municipioCodigo": "municipio",
    "codigoPostal": "codigo_postal",
    "paisCodigo": "pais",
    "ciudadExterior": "ciudad_exterior",
    "regionExterior": "region_exterior",
}
FORM_FIELDS = (
    "tipo_persona",
    "tipo_documento",
    "numero",
    "razon_social",
    "correo",
    "telefono",
    "direccion",
    "municipio",
    "tributo",
    "codigo_postal",
    "pais",
    "ciudad_exterior",
    "region_exterior",
)


def _status(value: str | None) -> CustomerStatus | None:
    return CustomerStatus(value) if value and value in CustomerStatus.__members__ else None


@router.get("/app/clientes")
def list_customers(request: Request, ctx: Web, buscar: str = "", estado: str = "", pagina: str = "1") -> HTMLResponse:
    search = buscar.strip()[: bounds.SEARCH_TERM] or None
    status = _status(estado)
    page_number = whole_number(pagina, 1)
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        total = customer_lists.count_customers(session, search, status)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page_number = min(page_number, pages)
        rows = customer_lists.list_customers(session, search, status, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    context: dict[str, Any] = dict(
        nav="clientes",
        rows=rows,
        total=total,
        buscar=buscar,
        estado=estado if status else "",
        pagina=page_number,
        pages=pages,
    )
    template = "clientes/_resultados.html" if is_htmx(request, "resultados") else "clientes/lista.html"
    return page(request, ctx, template, **context)


@router.get("/app/clientes/dv")
def check_digit(request: Request, ctx: Web, tipo_documento: str = "NIT", numero: str = "") -> HTMLResponse:
    """The DV of the number being typed (htmx fragment)."""
    text = ""
    if tipo_documento == TipoDocumento.NIT.value and numero.strip():
        try:
            text = f"DV {normalise(TipoDocumento.NIT, numero[: bounds.IDENTITY_NUMBER + 10]).dv}"
        except InvalidIdentity:
            text = "NIT no válido"
    # The warning beside the field follows the number (htmx out-of-band swap).
    warning = render_text("clientes/_nit_propio.html", own=_is_own_nit(ctx, tipo_documento, numero))
    return HTMLResponse(text + warning)


def _is_own_nit(ctx: WebContext, tipo_documento: str, numero: str) -> bool:
    """Whether the number typed is the business's own NIT (its fiscal data's, else the one it registered with)."""
    if tipo_documento != TipoDocumento.NIT.value or not numero.strip():
        return False
    try:
        typed = normalise(TipoDocumento.NIT, numero[: bounds.IDENTITY_NUMBER + 10]).number
    except InvalidIdentity:
        return False
    issuer = find_issuer(ctx.session)
    if issuer is not None:
        return typed == issuer.nit
    tenant = ctx.session.get(Tenant, ctx.session.tenant_id)
    return tenant is not None and typed == re.sub(r"\D", "", tenant.nit.split("-")[0])


def _with_number_error(values: dict[str, str], errors: FormErrors) -> FormErrors:
    """When the form fails validation before the service runs, the number is checked too
    (by the service's own identity rules), so every wrong field shows at once."""
    if "numero" in errors.fields or values.get("tipo_documento") not in TipoDocumento.__members__:
        return errors
    try:
        normalise(TipoDocumento(values["tipo_documento"]), values.get("numero", ""))
    except InvalidIdentity as exc:
        errors.fields["numero"] = messages.spanish(str(exc))
    return errors


def _form_values(ctx: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: ctx.field(name) for name in FORM_FIELDS}
    values["responsabilidades"] = fiscal_form.checked(ctx.form, "responsabilidades")
    return values


def _with_municipio_error(values: dict[str, Any], errors: FormErrors) -> FormErrors:
    """A name that is not one municipality says so (the service only sees a code)."""
    message = fiscal_form.municipio_error(values.get("municipio", ""))
    if message and "municipio" in errors.fields:
        errors.fields["municipio"] = message
    return errors


def _render_form(
    request: Request,
    ctx: WebContext,
    *,
    values: Any,
    errors: FormErrors,
    customer: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    dv = ""
    if values.get("tipo_documento", "NIT") == "NIT" and values.get("numero"):
        try:
            dv = f"DV {normalise(TipoDocumento.NIT, values['numero']).dv}"
        except InvalidIdentity:
            dv = ""
    return page(
        request,
        ctx,
        "clientes/formulario.html",
        nav="clientes",
        values=values,
        errors=errors,
        customer=customer,
        dv=dv,
        own_nit=_is_own_nit(ctx, values.get("tipo_documento", "NIT"), values.get("numero", "")),
        tipos=list(TipoDocumento),
        personas=list(PersonType),
        responsabilidades=fiscal_form.responsabilidades_options(),
        tributos=fiscal_form.tributo_options(),
        paises=fiscal_form.country_options(),
        status_code=status_code,
    )


@router.get("/app/clientes/nuevo")
def new_customer_form(request: Request, ctx: Web) -> HTMLResponse:
    ctx.require(CUSTOMERS, "write")
    values: dict[str, Any] = {name: "" for name in FORM_FIELDS} | {
        "tipo_documento": "NIT",
        "pais": codelists.COLOMBIA,
        "tributo": fiscal.DEFAULT_TRIBUTO,
        "responsabilidades": fiscal.default_responsabilidades(),
    }
    return _render_form(request, ctx, values=values, errors=FormErrors())


def _api_body(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "tipoPersona": values["tipo_persona"] or None,
        "tipoDocumento": values["tipo_documento"] or "NIT",
        "nit": values["numero"],
        "razonSocial": values["razon_social"],
        "email": values["correo"],
        "telefono": values["telefono"],
        "direccion": values["direccion"],
        # Nothing ticked means none applies: the DIAN's R-99-PN.
        "responsabilidadesFiscales": values["responsabilidades"] or fiscal.default_responsabilidades(),
        "tributo": values["tributo"] or fiscal.DEFAULT_TRIBUTO,
        "municipioCodigo": fiscal_form.municipio_code(values["municipio"]),
        "codigoPostal": values["codigo_postal"],
        "paisCodigo": values["pais"] or codelists.COLOMBIA,
        "ciudadExterior": values["ciudad_exterior"],
        "regionExterior": values["region_exterior"],
    } | _other_country_group(values)


def _other_country_group(values: dict[str, Any]) -> dict[str, Any]:
    """The address group of the other country is hidden by the form (app.css): what it holds is not sent."""
    if (values["pais"] or codelists.COLOMBIA) == codelists.COLOMBIA:
        return {"ciudadExterior": None, "regionExterior": None}
    return {"municipioCodigo": None, "codigoPostal": None}


@router.get("/app/clientes/municipios")
def municipio_suggestions(request: Request, ctx: Web, municipio: str = "") -> HTMLResponse:
    """The typeahead's <option>s for the municipality being typed (htmx fragment)."""
    return page(
        request, ctx, "fiscal/_municipios.html", municipios=fiscal_form.suggestions(municipio[: bounds.SEARCH_TERM])
    )


@router.post("/app/clientes/nuevo")
def create_customer(request: Request, ctx: Web) -> Response:
    ctx.require(CUSTOMERS, "write")
    values = _form_values(ctx)
    try:
        data = validate(CustomerCreate, _api_body(values), FIELD_NAMES)
        row = attempt(ctx.session, FIELD_NAMES, lambda: service.create_customer(ctx.session, ctx.principal, data))
    except FormInvalid as exc:
        errors = _with_municipio_error(values, _with_number_error(values, exc.errors))
        return _render_form(request, ctx, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"/app/clientes/{row.id}?aviso=creado", status_code=303)


NOTICES = {
    "creado": "Cliente creado.",
    "guardado": "Cambios guardados.",
    "inactivado": "Cliente inactivado.",
    "activado": "Cliente activado.",
}


@router.get("/app/clientes/{customer_id}")
def customer_page(request: Request, ctx: Web, customer_id: str, aviso: str = "") -> HTMLResponse:
    customer = service.read_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "read")
    count, invoice_rows = invoices.list_invoices(
        ctx.session,
        customer_id=customer.id,
        status=None,
        issued_from=None,
        issued_to=None,
        search=None,
        limit=50,
        offset=0,
    )
    events = history(ctx.session, entity_type=service.ENTITY, entity_id=customer.id)
    return page(
        request,
        ctx,
        "clientes/detalle.html",
        nav="clientes",
        customer=customer,
        invoices=invoice_rows,
        invoice_count=count,
        balance=queries.customer_balance(ctx.session, customer.id, bogota_today()),
        events=list(reversed(events)),
        notice=NOTICES.get(aviso),
    )


@router.get("/app/clientes/{customer_id}/editar")
def edit_customer_form(request: Request, ctx: Web, customer_id: str) -> HTMLResponse:
    customer = service.get_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "write")
    values: dict[str, Any] = {
        "tipo_persona": customer.tipo_persona or "",
        "tipo_documento": customer.tipo_documento.value,
        "numero": customer.nit,
        "razon_social": customer.razon_social,
        "correo": customer.email or "",
        "telefono": customer.telefono or "",
        "direccion": customer.direccion or "",
        "municipio": fiscal_form.municipio_text(customer.municipio_codigo),
        "tributo": customer.tributo or fiscal.DEFAULT_TRIBUTO,
        "codigo_postal": customer.codigo_postal or "",
        "pais": customer.pais_codigo,
        "ciudad_exterior": customer.ciudad_exterior or "",
        "region_exterior": customer.region_exterior or "",
        "responsabilidades": list(customer.responsabilidades_fiscales or fiscal.default_responsabilidades()),
    }
    return _render_form(request, ctx, values=values, errors=FormErrors(), customer=customer)


@router.post("/app/clientes/{customer_id}/editar")
def edit_customer(request: Request, ctx: Web, customer_id: str) -> Response:
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.require(CUSTOMERS, "write")
    values = _form_values(ctx)
    try:
        data = validate(CustomerUpdate, _api_body(values), FIELD_NAMES)
        attempt(ctx.session, FIELD_NAMES, lambda: service.update_customer(ctx.session, ctx.principal, customer, data))
    except FormInvalid as exc:
        errors = _with_municipio_error(values, _with_number_error(values, exc.errors))
        return _render_form(request, ctx, values=values, errors=errors, customer=customer, status_code=422)
    return RedirectResponse(f"/app/clientes/{customer.id}?aviso=guardado", status_code=303)


@router.post("/app/clientes/{customer_id}/estado")
def change_status(ctx: Web, customer_id: str) -> Response:
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.require(CUSTOMERS, "write")
    status = _status(ctx.field("estado")) or CustomerStatus.ACTIVE
    service.update_customer(ctx.session, ctx.principal, customer, CustomerUpdate(status=status))
    notice = "activado" if status is CustomerStatus.ACTIVE else "inactivado"
    return RedirectResponse(f"/app/clientes/{customer.id}?aviso={notice}", status_code=303)


def _invoice_count(ctx: Any, customer_id: Any) -> int:
    return ctx.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.customer_id == customer_id))


@router.get("/app/clientes/{customer_id}/eliminar")
def delete_confirmation(request: Request, ctx: Web, customer_id: str) -> HTMLResponse:
    customer = service.get_customer(ctx.session, customer_id)
    ctx.require(CUSTOMERS, "delete")
    return page(
        request,
        ctx,
        "clientes/eliminar.html",
        nav="clientes",
        customer=customer,
        invoice_count=_invoice_count(ctx, customer.id),
        error=None,
    )


@router.post("/app/clientes/{customer_id}/eliminar")
def delete_customer(request: Request, ctx: Web, customer_id: str) -> Response:
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.require(CUSTOMERS, "delete")
    try:
        attempt(ctx.session, FIELD_NAMES, lambda: service.delete_customer(ctx.session, ctx.principal, customer))
    except FormInvalid as exc:
        return page(
            request,
            ctx,
            "clientes/eliminar.html",
            nav="clientes",
            customer=customer,
            invoice_count=_invoice_count(ctx, customer.id),
            error=exc.errors.general,
            status_code=409,
        )
    return RedirectResponse("/app/clientes?aviso=eliminado", status_code=303)
