"""Endpoints of a document's delivery: the DIAN's answer, resending, the AttachedDocument, the PDF, the e-mail."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, client_info, guard
from nitida.core.problems import problem_responses
from nitida.delivery import service
from nitida.delivery.access import DELIVERY
from nitida.delivery.schemas import DeliveryRead, EmailRequest, RejectedVersionRead
from nitida.einvoicing import notes
from nitida.invoices import service as invoices
from nitida.vocabulary.kinds import NoteKind

router = APIRouter(prefix="/billing", tags=["delivery"], route_class=UnitOfWorkRoute)

ItemReader = Annotated[TenantContext, guard(DELIVERY["read"], after_lookup=True)]
ItemMailer = Annotated[TenantContext, guard(DELIVERY["email"], after_lookup=True)]
ItemResender = Annotated[TenantContext, guard(DELIVERY["resend"], after_lookup=True)]
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}, "description": "PDF"}
}
XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "AttachedDocument"}
}


def _read(ctx: TenantContext, invoice: Any) -> DeliveryRead:
    return DeliveryRead.model_validate(service.view(ctx.session, invoice))


@router.get(
    "/invoices/{invoice_id}/dian-messages",
    response_model=DeliveryRead,
    responses=problem_responses(401, 404, 409),
)
def dian_messages(invoice_id: str, ctx: ItemReader) -> DeliveryRead:
    """The invoice's electronicStatus, track id, every message of the DIAN (on a rejection, each
    ``Regla: …``), and the send and e-mail jobs. 409 for a draft or a non-electronic invoice."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return _read(ctx, invoice)


@router.post(
    "/invoices/{invoice_id}/resend",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(401, 403, 404, 409),
)
def resend(invoice_id: str, ctx: ItemResender) -> DeliveryRead:
    """Send the invoice to the DIAN again (ADMIN). The job first asks the DIAN for the status of its CUFE
    and uploads it only if the DIAN never received it. 409 when accepted already or being sent."""
    invoice = invoices.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    service.resend(ctx.session, ctx.principal, invoice)
    return _read(ctx, invoice)


@router.get(
    "/invoices/{invoice_id}/rejected-versions",
    response_model=list[RejectedVersionRead],
    responses=problem_responses(401, 404),
)
def rejected_versions(invoice_id: str, ctx: ItemReader) -> list[RejectedVersionRead]:
    """The versions of the invoice the DIAN rejected and that were corrected and sent again under the same number
    (POST /billing/invoices/{id}/correction), oldest first: CUFE, issue time and every message of the DIAN."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return [RejectedVersionRead.model_validate(v) for v in service.rejected_versions(ctx.session, invoice)]


@router.get(
    "/invoices/{invoice_id}/rejected-versions/{version_id}/xml",
    response_class=Response,
    responses={**XML_RESPONSE, **problem_responses(401, 404)},
)
def rejected_version_xml(invoice_id: str, version_id: uuid.UUID, ctx: ItemReader) -> Response:
    """The signed XML of a version the DIAN rejected, as it was sent."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return Response(service.rejected_version_xml(ctx.session, invoice, version_id), media_type="application/xml")


@router.get(
    "/invoices/{invoice_id}/attached-document",
    response_class=Response,
    responses={**XML_RESPONSE, **problem_responses(401, 404, 409)},
)
def attached_document(invoice_id: str, ctx: ItemReader) -> Response:
    """The signed AttachedDocument (UBL 2.1) holding the invoice and the DIAN's ApplicationResponse;
    409 until the DIAN accepted the invoice."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return Response(service.attached_document(ctx.session, invoice), media_type="application/xml")


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={**PDF_RESPONSE, **problem_responses(401, 404, 409)},
)
def invoice_pdf(invoice_id: str, ctx: ItemReader, request: Request) -> Response:
    """The representación gráfica; a draft's preview is marked "Borrador — sin validez fiscal"."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    content = service.invoice_pdf(ctx.session, invoice, request.app.state.settings.secret_key)
    return _pdf(content, f"{invoice.number or 'borrador'}.pdf")


def _note_pdf(kind: NoteKind, note_id: str, ctx: TenantContext, request: Request) -> Response:
    note = notes.get_note(ctx.session, kind, note_id)
    ctx.authorize()
    return _pdf(service.note_pdf(ctx.session, note, request.app.state.settings.secret_key), f"{note.number}.pdf")


@router.get(
    "/credit-notes/{note_id}/pdf",
    response_class=Response,
    responses={**PDF_RESPONSE, **problem_responses(401, 404, 409)},
)
def credit_note_pdf(note_id: str, ctx: ItemReader, request: Request) -> Response:
    """The credit note's representación gráfica."""
    return _note_pdf(NoteKind.CREDIT, note_id, ctx, request)


@router.get(
    "/debit-notes/{note_id}/pdf",
    response_class=Response,
    responses={**PDF_RESPONSE, **problem_responses(401, 404, 409)},
)
def debit_note_pdf(note_id: str, ctx: ItemReader, request: Request) -> Response:
    """The debit note's representación gráfica."""
    return _note_pdf(NoteKind.DEBIT, note_id, ctx, request)


@router.post(
    "/invoices/{invoice_id}/email",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 429),
)
def email(invoice_id: str, ctx: ItemMailer, request: Request, body: EmailRequest | None = None) -> DeliveryRead:
    """Mail the accepted invoice's ZIP (AttachedDocument + PDF) again (ADMIN, OPERADOR), to the customer
    or to ``to``. The e-mail job runs in the background: see mailStatus and mailJob.

    Another address than the customer's is a security event, at most 10 an hour per user and 30 per
    business (429 with Retry-After)."""
    invoice = invoices.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    service.email(ctx.session, ctx.principal, invoice, body.to if body else None, client_info(request))
    return _read(ctx, invoice)
