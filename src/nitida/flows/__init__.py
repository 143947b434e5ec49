"""The steps of billing that cross domains, in one place (Netflix Dispatch's flows are the model).

Issuing an invoice numbers it (invoices), signs it as the DIAN's document (einvoicing) and queues its
delivery (delivery); a note is signed and delivered the same way; voiding an electronic invoice issues the
anulación note. Each domain's service keeps to its own rows and rules and is handed the step it does not own
(``seal``, ``annul``), so none of them imports the others' services; routers, pages and the demo call these.
All in the caller's one transaction: the delivery job exists exactly when the signed document does.
"""

from __future__ import annotations

from decimal import Decimal

from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.db import TenantSession
from nitida.core.errors import Conflict
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.delivery import accounts
from nitida.delivery import service as delivery
from nitida.einvoicing import notes
from nitida.einvoicing import service as einvoicing
from nitida.einvoicing.configuration import find_settings
from nitida.einvoicing.models import InvoiceNote
from nitida.einvoicing.schemas import NoteItemIn
from nitida.invoices import numbering
from nitida.invoices import service as invoices
from nitida.invoices.models import Invoice, NumberingResolution
from nitida.invoices.schemas import InvoiceCorrection, LineIn, ResolutionCreate
from nitida.users.models import User
from nitida.users.schemas import UserCreate
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind


def issue_invoice(session: TenantSession, actor: Principal, invoice: Invoice, *, secret_key: str) -> Invoice:
    """DRAFT -> ISSUED: numbered, then (a business with electronic invoicing) signed and queued for the DIAN."""

    def seal(numbered: Invoice, resolution: NumberingResolution) -> None:
        einvoicing.sign_invoice(session, numbered, resolution, secret_key=secret_key)
        if numbered.electronic_status is ElectronicStatus.SIGNED:
            delivery.start(session, actor, numbered)

    return invoices.issue(session, actor, invoice, seal=seal)


def correct_and_resend(
    session: TenantSession, actor: Principal, invoice: Invoice, data: InvoiceCorrection, *, secret_key: str
) -> Invoice:
    """A REJECTED invoice corrected and sent again under the same number (issue 25): the rejected version (its
    signed XML, CUFE and the DIAN's messages) kept, the changes applied, a new issue time, signed again (a new
    CUFE) and queued for the DIAN. ``invoice`` was loaded FOR UPDATE."""
    delivery.keep_rejected_version(session, actor, invoice)

    def seal(corrected: Invoice, resolution: NumberingResolution) -> None:
        einvoicing.sign_invoice(session, corrected, resolution, secret_key=secret_key)
        if corrected.electronic_status is not ElectronicStatus.SIGNED:
            raise Conflict(
                "Configure electronic invoicing first: a rejected invoice is signed again and sent to the DIAN.",
                slug="electronic-invoicing-not-configured",
            )
        delivery.send_again(session, actor, corrected)

    return invoices.correct(session, actor, invoice, data, seal=seal)


def issue_note(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    kind: NoteKind,
    *,
    concept: str,
    description: str,
    lines: list[LineIn] | None,
    secret_key: str,
    items: list[NoteItemIn] | None = None,
    amount: Decimal | None = None,
) -> InvoiceNote:
    """A credit or debit note of ``invoice`` (loaded FOR UPDATE), signed and queued for the DIAN."""
    notes.require_accepted(invoice, f"given a {notes.LABEL[kind]}")
    note = notes.create_note(
        session,
        actor,
        invoice,
        kind,
        concept=concept,
        description=description,
        lines=lines,
        secret_key=secret_key,
        items=items,
        amount=amount,
    )
    delivery.start(session, actor, note)
    return note


def void_invoice(
    session: TenantSession, actor: Principal, invoice: Invoice, reason: str, *, secret_key: str
) -> Invoice:
    """ISSUED -> VOID; an electronic invoice by a credit note with concept 2 (anulación) for what is left of it."""

    def annul(electronic: Invoice) -> InvoiceNote:
        notes.require_accepted(electronic, "voided")
        return issue_note(
            session,
            actor,
            electronic,
            NoteKind.CREDIT,
            concept=notes.ANULACION,
            description=reason,
            lines=None,
            secret_key=secret_key,
        )

    return invoices.void(session, actor, invoice, reason, annul=annul)


def register_resolution(session: TenantSession, actor: Principal, data: ResolutionCreate) -> NumberingResolution:
    """A numbering resolution, of the DIAN environment the body names or else of the one the business issues in
    now (issue 25: a resolution belongs to an environment; the test set 18760000001 is always habilitación)."""
    settings = find_settings(session)
    return numbering.create_resolution(session, actor, data, environment=settings.environment if settings else None)


def invite_user(
    session: TenantSession,
    settings: Settings,
    actor: Principal,
    data: UserCreate,
    *,
    base_url: str,
    client: ClientInfo = UNKNOWN_CLIENT,
) -> User:
    """Add a user (a security event); without an initial password, e-mail them a one-time link to set
    theirs (delivery.accounts): the API's POST /users and Configuración's "Invitar usuario" alike."""
    return accounts.invite(session, settings, actor, data, base_url=base_url, client=client)
