"""The steps of billing that cross domains, in one place (Netflix Dispatch's flows are the model).

Issuing an invoice numbers it (invoices), signs it as the DIAN's document (einvoicing) and queues its
delivery (delivery); a note is signed and delivered the same way; voiding an electronic invoice issues the
anulación note. Each domain's service keeps to its own rows and rules and is handed the step it does not own
(``seal``, ``annul``), so none of them imports the others' services; routers, pages and the demo call these.
All in the caller's one transaction: the delivery job exists exactly when the signed document does.
"""

from __future__ import annotations

from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.db import TenantSession
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.delivery import accounts
from nitida.delivery import service as delivery
from nitida.einvoicing import notes
from nitida.einvoicing import service as einvoicing
from nitida.einvoicing.models import InvoiceNote
from nitida.invoices import service as invoices
from nitida.invoices.models import Invoice, NumberingResolution
from nitida.invoices.schemas import LineIn
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
) -> InvoiceNote:
    """A credit or debit note of ``invoice`` (loaded FOR UPDATE), signed and queued for the DIAN."""
    note = notes.create_note(
        session,
        actor,
        invoice,
        kind,
        concept=concept,
        description=description,
        lines=lines,
        secret_key=secret_key,
    )
    delivery.start(session, actor, note)
    return note


def void_invoice(
    session: TenantSession, actor: Principal, invoice: Invoice, reason: str, *, secret_key: str
) -> Invoice:
    """ISSUED -> VOID; an electronic invoice by a credit note with concept 2 (anulación) for what is left of it."""

    def annul(electronic: Invoice) -> InvoiceNote:
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
