"""The API's doors to the flows: issuing an invoice, correcting a rejected one, voiding it, its credit and debit
notes, registering a numbering resolution (of the business's DIAN environment), and adding a user
(``POST /users``, which may e-mail an invitation).

They sit here, above every package a flow crosses, so that no domain's router imports upward; the paths and
tags are the invoices' and the notes' own, as before.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status

from nitida import flows
from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, client_info, guard
from nitida.core.principal import Role
from nitida.core.problems import problem_responses
from nitida.einvoicing import notes
from nitida.einvoicing.access import NOTES
from nitida.einvoicing.schemas import CreditNoteCreate, DebitNoteCreate, NoteRead
from nitida.invoices import service as invoices
from nitida.invoices import views
from nitida.invoices.access import INVOICES, RESOLUTIONS
from nitida.invoices.models import NumberingResolution
from nitida.invoices.schemas import InvoiceCorrection, InvoiceRead, ResolutionCreate, ResolutionRead, VoidRequest
from nitida.users.access import USERS
from nitida.users.schemas import UserCreate, UserRead
from nitida.vocabulary.kinds import NoteKind

router = APIRouter(prefix="/billing/invoices", route_class=UnitOfWorkRoute)
resolutions_router = APIRouter(
    prefix="/billing/resolutions", tags=["numbering resolutions"], route_class=UnitOfWorkRoute
)

ItemWriter = Annotated[TenantContext, guard(INVOICES["write"], after_lookup=True)]
ItemVoider = Annotated[TenantContext, guard(INVOICES["void"], after_lookup=True)]
NoteWriter = Annotated[TenantContext, guard(NOTES["write"], after_lookup=True)]
ResolutionManager = Annotated[TenantContext, guard(RESOLUTIONS["manage"])]


def _secret_key(request: Request) -> str:
    return request.app.state.settings.secret_key


def _read(ctx: TenantContext, invoice_id: uuid.UUID) -> InvoiceRead:
    return views.invoice_read(ctx.session, invoices.load_full(ctx.session, invoice_id))


@router.post(
    "/{invoice_id}/issue",
    tags=["invoices"],
    response_model=InvoiceRead,
    responses=problem_responses(401, 403, 404, 409),
)
def issue_invoice(invoice_id: str, ctx: ItemWriter, request: Request) -> InvoiceRead:
    """DRAFT -> ISSUED (ADMIN, OPERADOR): the resolution's next consecutive, today's date in
    Bogotá and a snapshot of the customer's fiscal data.

    409 when the invoice is not a DRAFT, the resolution does not cover today or has used up its
    range, the customer is INACTIVE, or the due date is missing (CREDITO) or before today.
    A business with electronic-invoicing settings also gets the signed UBL 2.1 document (CUFE, QR,
    ``electronicStatus: SIGNED``) in the same transaction; data the DIAN requires that is missing
    is a 409 listing it, and nothing is issued.
    """
    invoice = invoices.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    flows.issue_invoice(ctx.session, ctx.principal, invoice, secret_key=_secret_key(request))
    return _read(ctx, invoice.id)


@router.post(
    "/{invoice_id}/correction",
    tags=["invoices"],
    response_model=InvoiceRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def correct_invoice(
    invoice_id: str, ctx: ItemWriter, request: Request, body: InvoiceCorrection | None = None
) -> InvoiceRead:
    """Correct an invoice the DIAN REJECTED and send it again under the same number (ADMIN, OPERADOR; issue 25).

    The body's fields change as in a draft's PATCH (customerId, paymentForm, paymentMethod, dueDate, notes,
    lines: all optional; no body re-signs it as it is, e.g. after the customer's data was fixed). The rejected
    version (its signed XML, CUFE and the DIAN's messages) is kept (GET …/rejected-versions); the invoice gets a
    new issue time, the customer's current fiscal data, a new CUFE, ``electronicStatus: SIGNED``, and its
    delivery is queued. 409 when the invoice is not REJECTED, is being sent, or has notes."""
    invoice = invoices.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    invoice = invoices.load_full(ctx.session, invoice.id)
    flows.correct_and_resend(
        ctx.session, ctx.principal, invoice, body or InvoiceCorrection(), secret_key=_secret_key(request)
    )
    return _read(ctx, invoice.id)


@router.post(
    "/{invoice_id}/void",
    tags=["invoices"],
    response_model=InvoiceRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def void_invoice(invoice_id: str, body: VoidRequest, ctx: ItemVoider, request: Request) -> InvoiceRead:
    """ISSUED without payments -> VOID (ADMIN). The number is kept, never reused.

    An electronic invoice is voided by a credit note with concept 2 (anulación) for what is left of it:
    its lines and its debit notes' lines, less what its credit notes took back.
    """
    invoice = invoices.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    flows.void_invoice(ctx.session, ctx.principal, invoice, body.reason, secret_key=_secret_key(request))
    return _read(ctx, invoice.id)


# --- credit and debit notes ---------------------------------------------------------------


def _create(
    kind: NoteKind, invoice_id: str, body: CreditNoteCreate | DebitNoteCreate, ctx: TenantContext, request: Request
) -> NoteRead:
    invoice = invoices.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    note = flows.issue_note(
        ctx.session,
        ctx.principal,
        invoice,
        kind,
        concept=str(body.concept),
        description=body.description,
        lines=body.lines,
        secret_key=_secret_key(request),
        items=body.items,
        amount=body.amount,
    )
    return notes.note_read(ctx.session, note)


@router.post(
    "/{invoice_id}/credit-notes",
    tags=["electronic invoicing"],
    response_model=NoteRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def create_credit_note(invoice_id: str, body: CreditNoteCreate, ctx: NoteWriter, request: Request) -> NoteRead:
    """Issue a signed credit note (ADMIN, OPERADOR) for an ISSUED electronic invoice: its own NC numbering,
    CUDE, reference to the invoice. ``items`` name the invoice's lines credited (units, or an amount of a
    line's value); a discount may be an ``amount`` of the whole; free ``lines`` of a return repeat the
    invoice's; none of them: all of the invoice's lines. Taxes always come from the invoice's lines; no
    credit takes more of a line than is left of it (409 naming it).

    409: more than the uncredited total or the open balance, a partial anulación (concept 2), an invoice
    that is not electronic, DRAFT or VOID, or a business without electronic-invoicing settings.
    """
    return _create(NoteKind.CREDIT, invoice_id, body, ctx, request)


@router.post(
    "/{invoice_id}/debit-notes",
    tags=["electronic invoicing"],
    response_model=NoteRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def create_debit_note(invoice_id: str, body: DebitNoteCreate, ctx: NoteWriter, request: Request) -> NoteRead:
    """Issue a signed debit note (ADMIN, OPERADOR): ND numbering, CUDE, RequestedMonetaryTotal; raises the
    invoice's balance (a PAID invoice is ISSUED again). Its free ``lines``, the invoice's lines (``items``:
    more units, or an amount of value on a line, with its taxes) or an ``amount`` over the invoice's taxes."""
    return _create(NoteKind.DEBIT, invoice_id, body, ctx, request)


# --- numbering resolutions ------------------------------------------------------------------


def _resolution_read(resolution: NumberingResolution, role: Role) -> ResolutionRead:
    read = ResolutionRead.model_validate(resolution)
    # The technical key is what makes an invoice's CUFE valid for the DIAN: ADMIN only.
    return read if role is Role.ADMIN else read.model_copy(update={"technical_key": None})


@resolutions_router.post(
    "",
    response_model=ResolutionRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_resolution(body: ResolutionCreate, ctx: ResolutionManager) -> ResolutionRead:
    """Register a numbering resolution (ADMIN). Ranges of one prefix may not overlap. ``environment``: the DIAN
    environment it numbers in, by default the one the business issues in now (issue 25)."""
    resolution = flows.register_resolution(ctx.session, ctx.principal, body)
    return _resolution_read(resolution, ctx.principal.role)


users_router = APIRouter(prefix="/users", tags=["users"], route_class=UnitOfWorkRoute)

UsersAdmin = Annotated[TenantContext, guard(USERS["manage"])]


@users_router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_user(body: UserCreate, ctx: UsersAdmin, request: Request) -> UserRead:
    """Add a user to the caller's tenant (ADMIN). Emails are unique across the service.

    Without ``password`` the user is invited: an e-mail carries a one-time link to set their own
    (valid three days, once); 400 when the service has no mail server to send it. Both are security
    events (USER_CREATED, INVITATION_SENT)."""
    user = flows.invite_user(
        ctx.session,
        request.app.state.settings,
        ctx.principal,
        body,
        base_url=str(request.base_url),
        client=client_info(request),
    )
    return UserRead.model_validate(user)
