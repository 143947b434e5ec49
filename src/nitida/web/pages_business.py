"""Configuración → Logo, notas y correo (ADMIN): the business's logo (its pages' header and its printed
invoices), the notes prefilled into new drafts, its invoice e-mail's text, and its usual plazo and medio de
pago (invoices.business). ``/app/logo`` serves the logo to the business's own signed-in users."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nitida.core import bounds
from nitida.core.errors import NotFound
from nitida.einvoicing.access import ISSUER
from nitida.invoices import business
from nitida.invoices.access import INVOICES
from nitida.invoices.models import PaymentMethod
from nitida.web import invoice_form
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, attempt
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)

PATH = "/app/configuracion/marca"
FIELDS = {
    "invoiceNotes": "notas_facturas",
    "emailText": "texto_correo",
    "paymentTerm": "plazo",
    "paymentMethod": "medio_pago",
    "logo": "logo",
}
NOTICES = {
    "logo": "Guardado, con el logo nuevo: aparece en el encabezado de estas páginas y en los PDF de las facturas.",
    "sin-logo": "Logo quitado.",
    "textos": "Guardado: las facturas nuevas empiezan con estas notas, plazo y medio de pago.",
}


def apply_defaults(ctx: WebContext, values: dict[str, str]) -> dict[str, str]:
    """A new draft's editor values with the business's defaults (notes, plazo, medio de pago)."""
    found = business.defaults(ctx.session)
    if found.invoice_notes:
        values["notas"] = found.invoice_notes
    if found.payment_term in invoice_form.TERMS:
        values["plazo"] = found.payment_term
    if found.payment_method:
        values["medio_pago"] = found.payment_method
    return values


def _values(ctx: WebContext) -> dict[str, str]:
    found = business.defaults(ctx.session)
    return {
        "notas_facturas": found.invoice_notes,
        "texto_correo": found.email_text or "",
        "plazo": found.payment_term,
        "medio_pago": found.payment_method or "",
    }


def _render(
    request: Request,
    ctx: WebContext,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        ctx,
        "configuracion/marca.html",
        nav="configuracion",
        values=values or _values(ctx),
        errors=errors or FormErrors(),
        terms=invoice_form.TERMS,
        payment_methods=list(PaymentMethod),
        max_logo_kb=business.LOGO_MAX_BYTES // 1024,
        max_side=business.LOGO_MAX_SIDE,
        notes_max=bounds.NOTES,
        email_max=business.EMAIL_TEXT_MAX,
        notice=notice,
        status_code=status_code,
    )


@router.get(PATH)
def business_page(request: Request, ctx: Web, aviso: str = "") -> HTMLResponse:
    ctx.require(ISSUER, "manage")
    return _render(request, ctx, notice=NOTICES.get(aviso))


@router.post(PATH)
def put_business(request: Request, ctx: Web) -> Response:
    """The texts and defaults, and the logo when a file is chosen (without one the stored logo stays)."""
    ctx.require(ISSUER, "manage")
    values = {name: ctx.field(name) for name in ("notas_facturas", "texto_correo", "plazo", "medio_pago")}
    upload = ctx.form.get("logo")
    logo_data: bytes | None = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        logo_data = upload.file.read(business.LOGO_MAX_BYTES + 1)  # one byte more: "too large" without reading all

    def save() -> None:
        business.put_defaults(
            ctx.session,
            invoice_notes=values["notas_facturas"],
            email_text=values["texto_correo"],
            payment_term=values["plazo"],
            payment_method=values["medio_pago"] or None,
        )
        if logo_data is not None:
            business.put_logo(ctx.session, logo_data)

    try:
        attempt(ctx.session, FIELDS, save)
    except FormInvalid as exc:
        return _render(request, ctx, values=values, errors=exc.errors, status_code=422)
    return RedirectResponse(f"{PATH}?aviso={'logo' if logo_data is not None else 'textos'}", status_code=303)


@router.post(f"{PATH}/logo/quitar")
def delete_logo(ctx: Web) -> Response:
    ctx.require(ISSUER, "manage")
    business.delete_logo(ctx.session)
    return RedirectResponse(f"{PATH}?aviso=sin-logo", status_code=303)


@router.get("/app/logo")
def logo(ctx: Web) -> Response:
    ctx.require(INVOICES, "read")
    png = business.logo(ctx.session)
    if png is None:
        raise NotFound("The business has no logo.")
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
