"""One delivery row per electronic document: what the DIAN said about it and whether the buyer got it.

The document's own ``electronic_status`` (invoices / invoice_notes) is the state users see; this row
holds the rest: the DIAN file-name consecutive (unique per tenant, kind and year: the counter the
Anexo Técnico asks for), the track id, the DIAN's messages, its ApplicationResponse, the signed
AttachedDocument, and the e-mail's status. The jobs that act on it are referenced by id, so the
API shows a FAILED job beside the document it concerns.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKeyConstraint, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, deferred, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow


class DocumentType(enum.StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    DEBIT_NOTE = "DEBIT_NOTE"


class MailStatus(enum.StrEnum):
    NOT_YET = "NOT_YET"  # waiting for the DIAN's acceptance
    QUEUED = "QUEUED"  # a mail job is queued or running (see mail_job_id)
    SENT = "SENT"
    NO_EMAIL = "NO_EMAIL"  # the customer has no e-mail address: nothing was sent
    NOT_CONFIGURED = "NOT_CONFIGURED"  # NITIDA_SMTP_URL or the issuer's e-mail is missing


class Delivery(TenantScoped, Base):
    __tablename__ = "document_deliveries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="RESTRICT",
            name="fk_document_deliveries_invoice",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["invoice_notes.tenant_id", "invoice_notes.id"],
            ondelete="RESTRICT",
            name="fk_document_deliveries_note",
        ),
        Index("uq_document_deliveries_document", "tenant_id", "document_type", "document_id", unique=True),
        Index(
            "uq_document_deliveries_file", "tenant_id", "document_type", "file_year", "file_consecutive", unique=True
        ),
        Index("ix_document_deliveries_invoice", "tenant_id", "invoice_id"),
    )

    document_type: Mapped[DocumentType] = mapped_column(Enum(DocumentType, native_enum=False, length=20))
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the invoice's or the note's id
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the invoice (itself, or the one a note corrects)
    note_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    file_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_consecutive: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Each file type has its own counter (issue 25, FileCounter): the ZIP sent to the DIAN, the AttachedDocument
    # and the ZIP mailed to the buyer take numbers of their own, kept so a resend or a second e-mail reuses them.
    zip_consecutive: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attached_consecutive: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mail_zip_consecutive: Mapped[int | None] = mapped_column(Integer, nullable=True)
    track_id: Mapped[str | None] = mapped_column(String(bounds.DELIVERY_TRACK_ID), nullable=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)  # uploads made (a resend adds one)
    dian_status_code: Mapped[str | None] = mapped_column(String(bounds.CODE), nullable=True)
    dian_status_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    dian_messages: Mapped[list[str]] = mapped_column(JSON, default=list)
    application_response: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    attached_document: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    send_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)  # the last send or poll job
    mail_status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=20), default=MailStatus.NOT_YET
    )
    mail_to: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mail_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FileCounter(TenantScoped, Base):
    """The issuer's last file-name consecutive of one file type (fv, nc, nd, ad, z) in one year (Anexo Técnico:
    one counter per issuer, type and year). Taken under an advisory lock by delivery.service.next_file_number."""

    __tablename__ = "dian_file_counters"
    __table_args__ = (Index("uq_dian_file_counters_kind_year", "tenant_id", "kind", "year", unique=True),)

    kind: Mapped[str] = mapped_column(String(4))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)


class RejectedVersion(TenantScoped, Base):
    """A version of an invoice the DIAN rejected, kept when the invoice is corrected and sent again under the
    same number (issue 25): what was signed, its CUFE, and everything the DIAN said of it."""

    __tablename__ = "rejected_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="RESTRICT",
            name="fk_rejected_versions_invoice",
        ),
        Index("ix_rejected_versions_invoice", "tenant_id", "invoice_id", "superseded_at"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    number: Mapped[str] = mapped_column(String(bounds.INVOICE_NUMBER))
    cufe: Mapped[str] = mapped_column(String(bounds.DOCUMENT_KEY))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_xml: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    file_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    track_id: Mapped[str | None] = mapped_column(String(bounds.DELIVERY_TRACK_ID), nullable=True)
    dian_status_code: Mapped[str | None] = mapped_column(String(bounds.CODE), nullable=True)
    dian_status_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    dian_messages: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)  # the user who corrected it


class SimulatedMail(TenantScoped, Base):
    """An e-mail the demo's mail catcher kept instead of sending it (a tenant on the DIAN simulada)."""

    __tablename__ = "simulated_mail"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["document_deliveries.tenant_id", "document_deliveries.id"],
            ondelete="RESTRICT",
            name="fk_simulated_mail_delivery",
        ),
        Index("ix_simulated_mail_created", "tenant_id", "created_at"),
    )

    # None: an e-mail of no DIAN document (an estado de cuenta, an invitation, a password link).
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    mail_to: Mapped[str] = mapped_column(String(bounds.EMAIL))
    subject: Mapped[str] = mapped_column(Text)
    message: Mapped[bytes] = deferred(
        mapped_column(LargeBinary, nullable=False)
    )  # the whole message, as SMTP would carry it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
