"""An invoice's delivery to the DIAN and the buyer as the invoice page shows it (refreshed by htmx while it is in
flight; Reenviar is on the invoice's page, pages_invoices), and the demo's mail catcher (the e-mails a tenant on
the DIAN simulada would have sent)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nitida.core.errors import Conflict, NotFound
from nitida.delivery import service as delivery
from nitida.delivery.access import DELIVERY
from nitida.dian import simulated
from nitida.einvoicing import configuration
from nitida.invoices import service as invoices
from nitida.invoices.access import INVOICES
from nitida.invoices.models import Invoice, InvoiceStatus
from nitida.web import messages
from nitida.web.deps import Web, WebContext
from nitida.web.forms import whole_number
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)

FINAL = ("ACCEPTED", "REJECTED")
MAIL_PAGE_SIZE = 20
POLL_SECONDS = 2


@dataclass(frozen=True, slots=True)
class DeliveryPanel:
    """What the invoice page says of its delivery, in Spanish."""

    view: delivery.DeliveryView
    simulated: bool
    in_flight: bool  # a send or poll job is queued or running, or an e-mail is: the page keeps asking
    send_problem: str | None  # why sending failed or is being retried
    mail_problem: str | None
    can_resend: bool


def is_simulated(ctx: WebContext) -> bool:
    settings = configuration.find_settings(ctx.session)
    return settings is not None and settings.simulated


def panel(ctx: WebContext, invoice: Invoice) -> DeliveryPanel | None:
    """None for a draft, an invoice issued without electronic invoicing, or one signed before deliveries were
    recorded (nothing is delivered: the page shows its electronic status alone)."""
    if invoice.status is InvoiceStatus.DRAFT or invoice.cufe is None:
        return None
    try:
        view = delivery.view(ctx.session, invoice)
    except Conflict:  # signed before migration 0010 gave every signed document its delivery row
        return None
    send_job, mail_job = view.send_job, view.mail_job
    busy = ("QUEUED", "RUNNING")
    send_failed = send_job is not None and send_job.status == "FAILED"
    send_retrying = send_job is not None and send_job.status in busy and send_job.attempts > 0 and send_job.last_error
    send_problem = None
    if send_failed or send_retrying:
        assert send_job is not None
        send_problem = messages.delivery_error(send_job.last_error or "")
    mail_problem = None
    if view.mail_status == "FAILED" and mail_job is not None:
        mail_problem = messages.mail_error(mail_job.last_error or "")
    send_busy = send_job is not None and send_job.status in busy  # a resend of a rejected document too
    in_flight = send_busy or (view.electronic_status not in FINAL and not send_failed)
    in_flight = in_flight or (view.mail_status == "QUEUED" and mail_problem is None)
    return DeliveryPanel(
        view=view,
        simulated=is_simulated(ctx),
        in_flight=in_flight,
        send_problem=send_problem,
        mail_problem=mail_problem,
        can_resend=(ctx.can(DELIVERY, "resend") and view.electronic_status != "ACCEPTED" and not send_busy),
    )


def panel_context(ctx: WebContext, invoice: Invoice) -> dict[str, Any]:
    return {"invoice_id": invoice.id, "entrega": panel(ctx, invoice), "poll_seconds": POLL_SECONDS}


@router.get("/app/facturas/{invoice_id}/entrega")
def delivery_fragment(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    """The delivery panel alone: the invoice page asks for it every few seconds while a document is in flight."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.require(DELIVERY, "read")
    return page(request, ctx, "facturas/_entrega.html", **panel_context(ctx, invoice))


# --- the demo's mail catcher -------------------------------------------------------------------


@router.get("/app/correo-demo")
def caught_mail(request: Request, ctx: Web, pagina: str = "1") -> HTMLResponse:
    ctx.require(INVOICES, "read")
    page_number = whole_number(pagina, 1)
    total, rows = delivery.caught_mail(ctx.session, MAIL_PAGE_SIZE, (page_number - 1) * MAIL_PAGE_SIZE)
    return page(
        request,
        ctx,
        "correo_demo/lista.html",
        nav="correo",
        rows=rows,
        total=total,
        pagina=page_number,
        pages=max(1, math.ceil(total / MAIL_PAGE_SIZE)),
        simulated=is_simulated(ctx),
        label=simulated.LABEL,
    )


def _mail_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Message not found.") from None


@router.get("/app/correo-demo/{mail_id}")
def caught_message(request: Request, ctx: Web, mail_id: str) -> HTMLResponse:
    ctx.require(INVOICES, "read")
    message = delivery.caught_message(ctx.session, _mail_id(mail_id))
    body = message.get_body(preferencelist=("plain",))
    attachments = [(part.get_filename() or "adjunto", part.get_content_type()) for part in message.iter_attachments()]
    return page(
        request,
        ctx,
        "correo_demo/mensaje.html",
        nav="correo",
        mail_id=mail_id,
        sender=str(message["From"]),
        to=str(message["To"]),
        subject=str(message["Subject"]),
        text=body.get_content() if body is not None else "",
        attachments=attachments,
        label=simulated.LABEL,
    )


@router.get("/app/correo-demo/{mail_id}/adjuntos/{index}")
def caught_attachment(ctx: Web, mail_id: str, index: int) -> Response:
    ctx.require(INVOICES, "read")
    parts = list(delivery.caught_message(ctx.session, _mail_id(mail_id)).iter_attachments())
    if not 0 <= index < len(parts):
        raise NotFound("Attachment not found.")
    part = parts[index]
    name = part.get_filename() or "adjunto"
    return Response(
        part.get_payload(decode=True),
        media_type=part.get_content_type(),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
