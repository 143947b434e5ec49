"""Endpoints of the issuer's fiscal data, the electronic-invoicing settings and the notes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core.problems import problem_responses
from nitida.core.schemas import total_count_header
from nitida.einvoicing import configuration, notes
from nitida.einvoicing.access import ELECTRONIC_INVOICING, ISSUER, NOTES
from nitida.einvoicing.models import InvoiceNote
from nitida.einvoicing.schemas import (
    ElectronicInvoicingRead,
    ElectronicInvoicingWrite,
    IssuerRead,
    IssuerWrite,
    NoteRead,
)
from nitida.vocabulary.kinds import NoteKind

router = APIRouter(prefix="/billing", tags=["electronic invoicing"], route_class=UnitOfWorkRoute)

IssuerReader = Annotated[TenantContext, guard(ISSUER["read"])]
IssuerManager = Annotated[TenantContext, guard(ISSUER["manage"])]
SettingsReader = Annotated[TenantContext, guard(ELECTRONIC_INVOICING["read"])]
SettingsManager = Annotated[TenantContext, guard(ELECTRONIC_INVOICING["configure"])]
NotesReader = Annotated[TenantContext, guard(NOTES["read"])]
NoteReader = Annotated[TenantContext, guard(NOTES["read"], after_lookup=True)]
XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "Signed UBL 2.1"}
}


def secret_key(request: Request) -> str:
    return request.app.state.settings.secret_key


@router.get("/issuer", response_model=IssuerRead, responses=problem_responses(401, 404))
def get_issuer(ctx: IssuerReader) -> IssuerRead:
    """The business's fiscal data as its electronic documents carry it; 404 until configured."""
    return configuration.issuer_read(configuration.get_issuer(ctx.session))


@router.put("/issuer", response_model=IssuerRead, responses=problem_responses(400, 401, 403, 413))
def put_issuer(body: IssuerWrite, ctx: IssuerManager) -> IssuerRead:
    """Set the fiscal data (ADMIN). ``dv``, ``municipio`` and ``departamento`` are derived."""
    return configuration.issuer_read(configuration.put_issuer(ctx.session, ctx.principal, body))


@router.get("/electronic-invoicing", response_model=ElectronicInvoicingRead, responses=problem_responses(401, 404))
def get_electronic_invoicing(ctx: SettingsReader) -> ElectronicInvoicingRead:
    """Environment, software id, test set id and the certificate's subject, serial and expiry.
    The PIN, the key and the password are never shown."""
    return configuration.settings_read(configuration.get_settings_row(ctx.session))


@router.put(
    "/electronic-invoicing", response_model=ElectronicInvoicingRead, responses=problem_responses(400, 401, 403, 413)
)
def put_electronic_invoicing(
    body: ElectronicInvoicingWrite, ctx: SettingsManager, request: Request
) -> ElectronicInvoicingRead:
    """Configure electronic invoicing (ADMIN): from now on every issued invoice is a signed UBL 2.1 document.

    A certificate that cannot be opened, has expired or has no private key is a 400 saying which.
    """
    row = configuration.put_settings(ctx.session, ctx.principal, body, secret_key=secret_key(request))
    return configuration.settings_read(row)


# --- credit and debit notes ---------------------------------------------------------------


def _list(
    kind: NoteKind, ctx: TenantContext, response: Response, invoice_id: uuid.UUID | None, limit: int, offset: int
) -> list[NoteRead]:
    total, rows = notes.list_notes(ctx.session, kind, invoice_id=invoice_id, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [notes.note_read(ctx.session, row) for row in rows]


def _get(kind: NoteKind, note_id: str, ctx: TenantContext) -> NoteRead:
    note = notes.get_note(ctx.session, kind, note_id)
    ctx.authorize()
    return notes.note_read(ctx.session, note)


def _xml(kind: NoteKind, note_id: str, ctx: TenantContext) -> Response:
    note = notes.get_note(ctx.session, kind, note_id)
    ctx.authorize()
    xml = ctx.session.scalar(select(InvoiceNote.signed_xml).where(InvoiceNote.id == note.id))
    return Response(xml, media_type="application/xml")


InvoiceFilter = Annotated[uuid.UUID | None, Query(alias="invoiceId")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get(
    "/credit-notes",
    response_model=list[NoteRead],
    responses={200: {"headers": total_count_header("Credit notes")}, **problem_responses(400, 401)},
)
def list_credit_notes(
    ctx: NotesReader, response: Response, invoice_id: InvoiceFilter = None, limit: Limit = 100, offset: Offset = 0
) -> list[NoteRead]:
    """The business's credit notes, newest first (``invoiceId`` filters by invoice)."""
    return _list(NoteKind.CREDIT, ctx, response, invoice_id, limit, offset)


@router.get("/credit-notes/{note_id}", response_model=NoteRead, responses=problem_responses(401, 404))
def get_credit_note(note_id: str, ctx: NoteReader) -> NoteRead:
    return _get(NoteKind.CREDIT, note_id, ctx)


@router.get(
    "/credit-notes/{note_id}/xml", response_class=Response, responses={**XML_RESPONSE, **problem_responses(401, 404)}
)
def credit_note_xml(note_id: str, ctx: NoteReader) -> Response:
    """The signed credit note (UBL 2.1 CreditNote)."""
    return _xml(NoteKind.CREDIT, note_id, ctx)


@router.get(
    "/debit-notes",
    response_model=list[NoteRead],
    responses={200: {"headers": total_count_header("Debit notes")}, **problem_responses(400, 401)},
)
def list_debit_notes(
    ctx: NotesReader, response: Response, invoice_id: InvoiceFilter = None, limit: Limit = 100, offset: Offset = 0
) -> list[NoteRead]:
    """The business's debit notes, newest first (``invoiceId`` filters by invoice)."""
    return _list(NoteKind.DEBIT, ctx, response, invoice_id, limit, offset)


@router.get("/debit-notes/{note_id}", response_model=NoteRead, responses=problem_responses(401, 404))
def get_debit_note(note_id: str, ctx: NoteReader) -> NoteRead:
    return _get(NoteKind.DEBIT, note_id, ctx)


@router.get(
    "/debit-notes/{note_id}/xml", response_class=Response, responses={**XML_RESPONSE, **problem_responses(401, 404)}
)
def debit_note_xml(note_id: str, ctx: NoteReader) -> Response:
    """The signed debit note (UBL 2.1 DebitNote)."""
    return _xml(NoteKind.DEBIT, note_id, ctx)
