"""Corregir y reenviar (issue 25): an invoice the DIAN rejected is corrected in the invoice editor and sent again
under the same number, as POST /billing/invoices/{id}/correction does (flows.correct_and_resend)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nitida import flows
from nitida.core.clock import bogota_today
from nitida.core.errors import Conflict
from nitida.delivery import service as delivery
from nitida.invoices import service
from nitida.invoices.access import INVOICES
from nitida.invoices.models import Invoice
from nitida.invoices.schemas import InvoiceCorrection
from nitida.vocabulary.kinds import ElectronicStatus
from nitida.web import invoice_form
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, attempt, validate
from nitida.web.invoice_form import NAMES
from nitida.web.pages_invoices import _render_editor, _render_invoice

router = APIRouter(include_in_schema=False)


def _messages(ctx: WebContext, invoice: Invoice) -> tuple[str, ...]:
    """What the DIAN said of the rejected version, shown above the editor."""
    try:
        return tuple(delivery.view(ctx.session, invoice).messages)
    except Conflict:  # no delivery row: nothing to show
        return ()


def _refused(request: Request, ctx: WebContext, invoice: Invoice) -> Response | None:
    """The invoice's page, saying why, when the invoice is not one the DIAN rejected."""
    if invoice.electronic_status is ElectronicStatus.REJECTED:
        return None
    return _render_invoice(
        request,
        ctx,
        invoice.id,
        problem="Solo una factura rechazada por la DIAN se corrige y se reenvía.",
        status_code=409,
    )


@router.get("/app/facturas/{invoice_id}/corregir")
def correction_form(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.load_full(ctx.session, service.get_invoice(ctx.session, invoice_id).id)
    ctx.require(INVOICES, "write")
    refused = _refused(request, ctx, invoice)
    if refused is not None:
        return refused
    values, lines = invoice_form.values_of(invoice)
    return _render_editor(
        request,
        ctx,
        values=values,
        lines=lines,
        errors=FormErrors(),
        correction=invoice,
        dian_messages=_messages(ctx, invoice),
    )


@router.post("/app/facturas/{invoice_id}/corregir")
def correct_and_resend(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.load_full(ctx.session, service.get_invoice(ctx.session, invoice_id, for_update=True).id)
    ctx.require(INVOICES, "write")
    refused = _refused(request, ctx, invoice)
    if refused is not None:
        return refused
    values = invoice_form.header_values(ctx)
    values["resolution_id"] = str(invoice.resolution_id)  # the number stays: so does its resolution
    lines = invoice_form.form_lines(ctx)
    action = ctx.field("accion")

    def editor(errors: FormErrors, rows: list[invoice_form.FormLine], status_code: int = 200) -> HTMLResponse:
        return _render_editor(
            request,
            ctx,
            values=values,
            lines=rows,
            errors=errors,
            correction=invoice,
            dian_messages=_messages(ctx, invoice),
            status_code=status_code,
        )

    if action == "agregar_linea":
        return editor(FormErrors(), [*lines, invoice_form.new_line(values)])
    if action == "buscar_cliente":
        return editor(FormErrors(), lines)
    kept = [(i, line) for i, line in enumerate(lines) if not line.blank]
    body = invoice_form.body_of(values, [line for _i, line in kept], bogota_today())
    body.pop("resolutionId", None)
    positions = {str(k): str(i) for k, (i, _line) in enumerate(kept)}
    try:
        data = validate(InvoiceCorrection, body, NAMES)
        attempt(
            ctx.session,
            NAMES,
            lambda: flows.correct_and_resend(
                ctx.session, ctx.principal, invoice, data, secret_key=request.app.state.settings.secret_key
            ),
        )
    except FormInvalid as exc:
        fields = {}
        for name, message in exc.errors.fields.items():
            base, _, k = name.rpartition("_")
            fields[f"{base}_{positions.get(k, k)}" if base and k.isdigit() else name] = message
        if "lineas" in fields and not kept:
            fields["lineas"] = "Agrega al menos una línea con descripción y precio."
        return editor(FormErrors(fields=fields, general=exc.errors.general), lines, exc.status)
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=corregida", status_code=303)
