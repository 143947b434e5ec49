"""Delivery of electronic documents: the row per document, what the jobs record, and what the API shows.

``start`` runs in the transaction that issues a document (invoices.service.issue, einvoicing.notes):
it creates the delivery row and enqueues ``delivery.send``, so the job exists exactly when the
document does. The jobs (``delivery.jobs``) do the network work; the functions here only read and
write the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from sqlalchemy import func, select

from nitida.audit import service as audit
from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import Conflict, NotFound, TooManyRequests
from nitida.core.locks import advisory_xact_lock
from nitida.core.principal import Principal
from nitida.delivery.models import Delivery, DocumentType, FileCounter, MailStatus, RejectedVersion, SimulatedMail
from nitida.dian import files, pdf, responses
from nitida.einvoicing import documents, notes, signed
from nitida.einvoicing import service as einvoicing
from nitida.einvoicing.configuration import find_issuer
from nitida.einvoicing.models import InvoiceNote
from nitida.invoices import business
from nitida.invoices.models import Invoice, InvoiceStatus
from nitida.jobs import service as jobs
from nitida.jobs.models import Job, JobStatus
from nitida.jobs.registry import declare
from nitida.security_events import service as events
from nitida.security_events.models import SecurityEventType
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind

SEND = declare("delivery.send")
POLL = declare("delivery.poll")
MAIL = declare("delivery.mail")
KIND = {
    DocumentType.INVOICE: documents.DocumentKind.INVOICE,
    DocumentType.CREDIT_NOTE: documents.DocumentKind.CREDIT_NOTE,
    DocumentType.DEBIT_NOTE: documents.DocumentKind.DEBIT_NOTE,
}
NOTE_TYPE = {NoteKind.CREDIT: DocumentType.CREDIT_NOTE, NoteKind.DEBIT: DocumentType.DEBIT_NOTE}
ENTITY = {
    DocumentType.INVOICE: "invoice",
    DocumentType.CREDIT_NOTE: "credit_note",
    DocumentType.DEBIT_NOTE: "debit_note",
}
# How many times the DIAN may answer "in process" before the poll job gives up (with backoff between).
MAX_POLLS = 12


def start(session: TenantSession, actor: Principal | None, document: Invoice | InvoiceNote) -> Delivery:
    """A just-signed document's delivery row and its send job, in the issuing transaction."""
    if isinstance(document, Invoice):
        row = Delivery(document_type=DocumentType.INVOICE, document_id=document.id, invoice_id=document.id)
    else:
        row = Delivery(
            document_type=NOTE_TYPE[document.kind],
            document_id=document.id,
            invoice_id=document.invoice_id,
            note_id=document.id,
        )
    row.dian_messages = []
    row.mail_status = MailStatus.NOT_YET
    row.submissions = 0
    session.add(row)
    session.flush()
    job = jobs.enqueue(session, SEND, {"deliveryId": str(row.id)}, actor=actor)
    row.send_job_id = job.id
    return row


# --- loading -------------------------------------------------------------------------------


def get(session: TenantSession, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery:
    stmt = select(Delivery).where(Delivery.id == delivery_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("Delivery not found.")
    return row


def for_document(session: TenantSession, document_type: DocumentType, document_id: uuid.UUID) -> Delivery | None:
    return session.scalar(
        select(Delivery).where(Delivery.document_type == document_type, Delivery.document_id == document_id)
    )


def document_of(session: TenantSession, row: Delivery) -> Invoice | InvoiceNote:
    found: Invoice | InvoiceNote | None
    if row.document_type is DocumentType.INVOICE:
        found = session.scalar(select(Invoice).where(Invoice.id == row.document_id))
    else:
        found = session.scalar(select(InvoiceNote).where(InvoiceNote.id == row.document_id))
    assert found is not None  # the foreign keys guarantee it
    return found


def key_of(document: Invoice | InvoiceNote) -> str:
    key = document.cufe if isinstance(document, Invoice) else document.cude
    assert key is not None  # a delivery exists only for signed documents
    return key


def signed_xml_of(session: TenantSession, document: Invoice | InvoiceNote) -> bytes:
    if isinstance(document, Invoice):
        xml = session.scalar(select(Invoice.signed_xml).where(Invoice.id == document.id))
    else:
        xml = session.scalar(select(InvoiceNote.signed_xml).where(InvoiceNote.id == document.id))
    assert xml is not None
    return xml


def file_number(session: TenantSession, row: Delivery, document: Invoice | InvoiceNote) -> tuple[int, int]:
    """The document's (year, consecutive) for the DIAN's file names, taken once and kept: a resend reuses it."""
    if row.file_year is None or row.file_consecutive is None:
        year = (document.issued_at or utcnow()).year
        row.file_consecutive = next_file_number(session, files.file_kind(KIND[row.document_type]), year)
        row.file_year = year
    return row.file_year, row.file_consecutive


def zip_number(session: TenantSession, row: Delivery, document: Invoice | InvoiceNote) -> int:
    """The consecutive of the ZIP the document is sent to the DIAN in (the ``z`` counter), kept for a resend."""
    year, _ = file_number(session, row, document)
    if row.zip_consecutive is None:
        row.zip_consecutive = next_file_number(session, files.ZIP_PREFIX, year)
    return row.zip_consecutive


def mail_file_names(
    session: TenantSession, row: Delivery, document: Invoice | InvoiceNote, nit: str
) -> files.FileNames:
    """The names of the AttachedDocument (``ad`` counter) and of the ZIP mailed to the buyer (``z`` counter):
    numbers of their own, kept so a second e-mail of the same container carries the same names."""
    year, _ = file_number(session, row, document)
    if row.attached_consecutive is None:
        row.attached_consecutive = next_file_number(session, files.ATTACHED_PREFIX, year)
    if row.mail_zip_consecutive is None:
        row.mail_zip_consecutive = next_file_number(session, files.ZIP_PREFIX, year)
    return files.document_file_names(
        "attached", nit, year, row.attached_consecutive, zip_consecutive=row.mail_zip_consecutive
    )


def next_file_number(session: TenantSession, kind: str, year: int) -> int:
    """The next DIAN file-name consecutive of one file type (fv, nc, nd, ad, z) of the issuer in ``year``
    (Anexo Técnico: one counter per issuer, file type and year; dian_file_counters keeps it)."""
    # Two jobs of one tenant must not take the same number: the lock holds until the transaction ends.
    advisory_xact_lock(session, f"nitida:dian-files:{session.tenant_id}:{kind}:{year}")
    counter = session.scalar(select(FileCounter).where(FileCounter.kind == kind, FileCounter.year == year))
    if counter is None:
        counter = FileCounter(kind=kind, year=year, last=0)
        session.add(counter)
    counter.last += 1
    session.flush()
    return counter.last


# --- what the jobs record ---------------------------------------------------------------------


def _audit(session: TenantSession, actor: Principal | None, row: Delivery, action: str, **changes: Any) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY[row.document_type],
        entity_id=row.document_id,
        action=action,
        changes=changes,
    )


def record_sent(
    session: TenantSession, actor: Principal | None, row: Delivery, document: Invoice | InvoiceNote, track_id: str
) -> None:
    before = document.electronic_status.value
    document.electronic_status = ElectronicStatus.SENT
    row.track_id = track_id
    row.sent_at = utcnow()
    _audit(
        session,
        actor,
        row,
        "SENT_TO_DIAN",
        electronicStatus={"from": before, "to": "SENT"},
        trackId={"from": None, "to": track_id},
    )


def record_answer(
    session: TenantSession,
    actor: Principal | None,
    row: Delivery,
    document: Invoice | InvoiceNote,
    outcome: ElectronicStatus,
    *,
    status_code: str | None,
    description: str | None,
    messages: tuple[str, ...],
    application_response: bytes | None,
    attached_document: bytes | None,
) -> None:
    before = document.electronic_status.value
    now = utcnow()
    row.dian_status_code = status_code
    row.dian_status_description = description
    row.dian_messages = list(messages)
    row.answered_at = now
    if outcome is ElectronicStatus.ACCEPTED:
        document.electronic_status = ElectronicStatus.ACCEPTED
        row.application_response = application_response
        row.attached_document = attached_document
        _audit(session, actor, row, "ACCEPTED_BY_DIAN", electronicStatus={"from": before, "to": "ACCEPTED"})
    else:
        document.electronic_status = ElectronicStatus.REJECTED
        _audit(
            session,
            actor,
            row,
            "REJECTED_BY_DIAN",
            electronicStatus={"from": before, "to": "REJECTED"},
            dianMessages={"from": None, "to": list(messages)},
        )


def queue_mail(session: TenantSession, actor: Principal | None, row: Delivery, to: str | None = None) -> Job:
    job = jobs.enqueue(session, MAIL, {"deliveryId": str(row.id), **({"to": to} if to else {})}, actor=actor)
    row.mail_job_id = job.id
    row.mail_status = MailStatus.QUEUED
    return job


# --- what the API does --------------------------------------------------------------------------


def _job(session: TenantSession, job_id: uuid.UUID | None) -> Job | None:
    return session.scalar(select(Job).where(Job.id == job_id)) if job_id else None


def _busy(job: Job | None) -> bool:
    return job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING)


def require_delivery(session: TenantSession, invoice: Invoice) -> Delivery:
    if invoice.status is InvoiceStatus.DRAFT:
        raise Conflict("A DRAFT is not an electronic document yet: issue it first.", slug="invalid-invoice-state")
    row = for_document(session, DocumentType.INVOICE, invoice.id)
    if row is None:
        raise Conflict(
            f"Invoice {invoice.number} was issued without electronic-invoicing settings: it is not sent to the DIAN.",
            slug="not-an-electronic-invoice",
        )
    return row


def resend(session: TenantSession, actor: Principal, invoice: Invoice) -> Delivery:
    """Queue another send of a document the DIAN has not accepted. The job first asks the DIAN for the status of
    its CUFE, and uploads it again only if the DIAN does not know it (never received, or refused the upload)."""
    row = require_delivery(session, invoice)
    row = get(session, row.id, for_update=True)
    if invoice.electronic_status is ElectronicStatus.ACCEPTED:
        raise Conflict(f"Invoice {invoice.number} was already accepted by the DIAN.", slug="already-accepted")
    if _busy(_job(session, row.send_job_id)):
        raise Conflict(
            f"Invoice {invoice.number} is being sent to the DIAN right now: wait for the job to finish.",
            slug="delivery-in-progress",
        )
    job = jobs.enqueue(session, SEND, {"deliveryId": str(row.id), "resend": True}, actor=actor)
    row.send_job_id = job.id
    _audit(session, actor, row, "RESEND_REQUESTED", job={"from": None, "to": str(job.id)})
    return row


def keep_rejected_version(session: TenantSession, actor: Principal, invoice: Invoice) -> RejectedVersion:
    """Before a REJECTED invoice is signed again (flows.correct_and_resend): keep what was signed and everything
    the DIAN said of it, and clear its delivery row for the corrected version (a fresh send, new file names)."""
    row = require_delivery(session, invoice)
    row = get(session, row.id, for_update=True)
    if invoice.electronic_status is not ElectronicStatus.REJECTED:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.electronic_status.value}: only an invoice the DIAN rejected is "
            "corrected and sent again.",
            slug="not-rejected",
        )
    if _busy(_job(session, row.send_job_id)):
        raise Conflict(
            f"Invoice {invoice.number} is being sent to the DIAN right now: wait for the job to finish.",
            slug="delivery-in-progress",
        )
    assert invoice.number is not None and invoice.cufe is not None and invoice.issued_at is not None
    file_name = None
    issuer = find_issuer(session)
    if issuer is not None and row.file_year is not None and row.file_consecutive is not None:
        file_name = files.file_name(KIND[row.document_type], issuer.nit, row.file_year, row.file_consecutive)
    version = RejectedVersion(
        invoice_id=invoice.id,
        number=invoice.number,
        cufe=invoice.cufe,
        issued_at=invoice.issued_at,
        signed_xml=signed_xml_of(session, invoice),
        file_name=file_name,
        track_id=row.track_id,
        dian_status_code=row.dian_status_code,
        dian_status_description=row.dian_status_description,
        dian_messages=list(row.dian_messages or []),
        answered_at=row.answered_at,
        superseded_at=utcnow(),
        superseded_by=actor.user_id,
    )
    session.add(version)
    for name in (
        "file_year",
        "file_consecutive",
        "zip_consecutive",
        "track_id",
        "dian_status_code",
        "dian_status_description",
        "sent_at",
        "answered_at",
        "application_response",
        "attached_document",
    ):
        setattr(row, name, None)
    row.dian_messages = []
    row.mail_status = MailStatus.NOT_YET
    session.flush()
    return version


def send_again(session: TenantSession, actor: Principal, invoice: Invoice) -> Delivery:
    """Queue the send of the corrected, newly signed invoice (its delivery row cleared by keep_rejected_version)."""
    row = require_delivery(session, invoice)
    job = jobs.enqueue(session, SEND, {"deliveryId": str(row.id)}, actor=actor)
    row.send_job_id = job.id
    _audit(session, actor, row, "CORRECTED_AND_RESENT", cufe={"from": None, "to": invoice.cufe})
    return row


def rejected_versions(session: TenantSession, invoice: Invoice) -> list[RejectedVersion]:
    """The invoice's versions the DIAN rejected, oldest first."""
    return list(
        session.scalars(
            select(RejectedVersion)
            .where(RejectedVersion.invoice_id == invoice.id)
            .order_by(RejectedVersion.superseded_at, RejectedVersion.id)
        )
    )


def rejected_version_xml(session: TenantSession, invoice: Invoice, version_id: uuid.UUID) -> bytes:
    xml = session.scalar(
        select(RejectedVersion.signed_xml).where(
            RejectedVersion.invoice_id == invoice.id, RejectedVersion.id == version_id
        )
    )
    if xml is None:
        raise NotFound("Rejected version not found.")
    return xml


def attached_document(session: TenantSession, invoice: Invoice) -> bytes:
    row = require_delivery(session, invoice)
    if invoice.electronic_status is not ElectronicStatus.ACCEPTED:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.electronic_status.value}: the AttachedDocument exists once the DIAN "
            "accepted it.",
            slug="not-accepted-yet",
        )
    xml = session.scalar(select(Delivery.attached_document).where(Delivery.id == row.id))
    assert xml is not None
    return xml


# Mail to an address other than the customer's goes out through the deployment's shared relay under the
# business's name: bounded per user and per tenant, and every one is a security event (issue 32).
OTHER_ADDRESS_PER_USER_HOUR = 10
OTHER_ADDRESS_PER_TENANT_HOUR = 30


def email(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    to: str | None,
    client: ClientInfo = UNKNOWN_CLIENT,
) -> Delivery:
    row = require_delivery(session, invoice)
    if invoice.electronic_status is not ElectronicStatus.ACCEPTED:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.electronic_status.value}: it is mailed once the DIAN accepted it.",
            slug="not-accepted-yet",
        )
    row = get(session, row.id, for_update=True)
    if _busy(_job(session, row.mail_job_id)):
        raise Conflict(f"An e-mail of invoice {invoice.number} is being sent right now.", slug="mail-in-progress")
    if to and to.strip().lower() != (invoice.customer_email or "").strip().lower():
        _admit_other_address(session, actor, invoice, to, client)
    queue_mail(session, actor, row, to)
    return row


def _admit_other_address(
    session: TenantSession, actor: Principal, invoice: Invoice, to: str, client: ClientInfo
) -> None:
    # The tenant's advisory lock: two requests at once cannot both take the last one of the hour.
    advisory_xact_lock(session, f"mail-other-address:{session.tenant_id}")
    hour_ago = utcnow() - dt.timedelta(hours=1)
    kind = SecurityEventType.MAIL_TO_OTHER_ADDRESS
    if events.count_since(session, kind, hour_ago, actor_user_id=actor.user_id) >= OTHER_ADDRESS_PER_USER_HOUR:
        raise TooManyRequests(
            f"At most {OTHER_ADDRESS_PER_USER_HOUR} e-mails an hour to addresses other than the customer's, per user.",
            headers={"Retry-After": "3600"},
        )
    if events.count_since(session, kind, hour_ago) >= OTHER_ADDRESS_PER_TENANT_HOUR:
        raise TooManyRequests(
            f"At most {OTHER_ADDRESS_PER_TENANT_HOUR} e-mails an hour to addresses other than the customers', "
            "per business.",
            headers={"Retry-After": "3600"},
        )
    events.record(
        session,
        kind,
        actor=actor,
        client=client,
        details={"invoice": invoice.number, "to": to, "customerEmail": invoice.customer_email},
    )


@dataclass(frozen=True)
class JobView:
    id: uuid.UUID
    status: str
    attempts: int
    last_error: str | None


def _job_view(job: Job | None) -> JobView | None:
    return JobView(job.id, job.status.value, job.attempts, job.last_error) if job else None


@dataclass(frozen=True)
class DeliveryView:
    electronic_status: str
    track_id: str | None
    status_code: str | None
    status_description: str | None
    messages: list[str]
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    mail_status: str
    mail_to: str | None
    mailed_at: dt.datetime | None
    send_job: JobView | None
    mail_job: JobView | None


def view(session: TenantSession, invoice: Invoice) -> DeliveryView:
    row = require_delivery(session, invoice)
    send_job = _job(session, row.send_job_id)
    mail_job = _job(session, row.mail_job_id)
    mail_status = row.mail_status.value
    if row.mail_status is MailStatus.QUEUED and mail_job is not None and mail_job.status is JobStatus.FAILED:
        mail_status = "FAILED"  # the job ran out of attempts or was refused: its lastError says why
    return DeliveryView(
        electronic_status=invoice.electronic_status.value,
        track_id=row.track_id,
        status_code=row.dian_status_code,
        status_description=row.dian_status_description,
        messages=list(row.dian_messages or []),
        sent_at=row.sent_at,
        answered_at=row.answered_at,
        mail_status=mail_status,
        mail_to=row.mail_to,
        mailed_at=row.mailed_at,
        send_job=_job_view(send_job),
        mail_job=_job_view(mail_job),
    )


# --- the documents as the printed form shows them ------------------------------------------------


def invoice_printable_document(session: TenantSession, invoice: Invoice) -> documents.Document:
    """The invoice as its printed form shows it: the one document the back office prints too."""
    doc = einvoicing.printed_invoice_document(session, invoice)
    if doc is None:
        raise Conflict(
            "This invoice has no printed form: it is not an electronic invoice.", slug="not-an-electronic-invoice"
        )
    return doc


def note_printable_document(session: TenantSession, note: InvoiceNote, found: einvoicing.Signer) -> documents.Document:
    """The note's document as it was signed (einvoicing.notes.note_document), for its PDF and e-mail."""
    invoice = session.scalar(select(Invoice).where(Invoice.id == note.invoice_id))
    assert invoice is not None
    doc = notes.note_document(
        invoice, note.kind, note.number, note.issued_at, note.lines, note.concept, note.description, found
    )
    # Print from what was signed: the issuer and buyer of the note's signed XML, not today's settings (issue 25).
    return signed.as_signed(doc, note.signed_xml)


def _signer_or_409(session: TenantSession, secret_key: str | None) -> einvoicing.Signer:
    found = einvoicing.signer(session, secret_key)
    if found is None:
        raise Conflict(
            "The printed form needs the business's electronic-invoicing settings: PUT /billing/electronic-invoicing.",
            slug="not-an-electronic-invoice",
        )
    return found


def printed_state(document: Invoice | InvoiceNote, row: Delivery | None) -> tuple[str | None, dt.datetime | None]:
    """What the printed form says of the DIAN's verdict: a mark for a document it has not validated (or
    rejected), and the DIAN's own validation time (its ApplicationResponse's) for one it accepted."""
    status = document.electronic_status
    if status is ElectronicStatus.ACCEPTED:
        if row is None:
            return None, None
        return None, responses.validated_at(row.application_response) or row.answered_at
    if status is ElectronicStatus.REJECTED:
        return pdf.REJECTED_MARK, None
    return pdf.NOT_VALIDATED_MARK, None


def invoice_pdf(session: TenantSession, invoice: Invoice, secret_key: str | None) -> bytes:
    """The representación gráfica; a draft's preview is marked "Borrador — sin validez fiscal", an issued
    invoice the DIAN has not validated "Documento no validado por la DIAN", a rejected one "Rechazada por la
    DIAN"."""
    draft = invoice.status is InvoiceStatus.DRAFT
    if not draft and invoice.cufe is None:
        raise Conflict(
            f"Invoice {invoice.number} was issued without electronic-invoicing settings: it has no printed form.",
            slug="not-an-electronic-invoice",
        )
    _signer_or_409(session, secret_key)  # 409 saying what configuration is missing
    doc = invoice_printable_document(session, invoice)
    if draft:
        return pdf.render(pdf.Printable(doc, draft=True, logo_png=business.logo(session)))
    mark, validated = printed_state(invoice, for_document(session, DocumentType.INVOICE, invoice.id))
    return pdf.render(
        pdf.Printable(
            doc, invoice.cufe, invoice.qr_data, validated_at=validated, mark=mark, logo_png=business.logo(session)
        )
    )


def note_pdf(session: TenantSession, note: InvoiceNote, secret_key: str | None) -> bytes:
    found = _signer_or_409(session, secret_key)
    doc = note_printable_document(session, note, found)
    mark, validated = printed_state(note, for_document(session, NOTE_TYPE[note.kind], note.id))
    return pdf.render(
        pdf.Printable(doc, note.cude, note.qr_data, validated_at=validated, mark=mark, logo_png=business.logo(session))
    )


def attached_of(session: TenantSession, row: Delivery) -> bytes:
    xml = session.scalar(select(Delivery.attached_document).where(Delivery.id == row.id))
    assert xml is not None  # stored with the acceptance
    return xml


def printed_for_mail(
    doc: documents.Document, document: Invoice | InvoiceNote, row: Delivery, logo_png: bytes | None = None
) -> bytes:
    key = key_of(document)
    mark, validated = printed_state(document, row)
    return pdf.render(pdf.Printable(doc, key, document.qr_data, validated_at=validated, mark=mark, logo_png=logo_png))


def catch_mail(session: TenantSession, row: Delivery | None, to: str, message: EmailMessage) -> SimulatedMail:
    """The demo's mail catcher: the message a buyer (or, with no delivery, a user) would have received."""
    caught = SimulatedMail(
        delivery_id=row.id if row is not None else None,
        mail_to=to,
        subject=str(message["Subject"]),
        message=bytes(message),
        created_at=utcnow(),
    )
    session.add(caught)
    session.flush()
    return caught


def catch_message(session: TenantSession, to: str, message: EmailMessage) -> SimulatedMail:
    """The mail catcher keeps an e-mail of no DIAN document (a customer's estado de cuenta)."""
    caught = SimulatedMail(
        delivery_id=None, mail_to=to, subject=str(message["Subject"]), message=bytes(message), created_at=utcnow()
    )
    session.add(caught)
    session.flush()
    return caught


def caught_mail(session: TenantSession, limit: int, offset: int) -> tuple[int, list[SimulatedMail]]:
    """The mail catcher's messages, newest first."""
    total = session.scalar(select(func.count()).select_from(SimulatedMail)) or 0
    rows = session.scalars(
        select(SimulatedMail).order_by(SimulatedMail.created_at.desc()).limit(limit).offset(offset)
    ).all()
    return total, list(rows)


def caught_message(session: TenantSession, mail_id: uuid.UUID) -> EmailMessage:
    raw = session.scalar(select(SimulatedMail.message).where(SimulatedMail.id == mail_id))
    if raw is None:
        raise NotFound("Message not found.")
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def record_mail(session: TenantSession, actor: Principal | None, row: Delivery, to: str | None) -> None:
    if to is None:
        _audit(session, actor, row, "EMAIL_NOT_SENT", reason={"from": None, "to": "the customer has no e-mail address"})
    else:
        _audit(session, actor, row, "EMAILED", to={"from": None, "to": to})
