"""The tenant's fiscal data, its electronic-invoicing settings and the notes that correct invoices.

One issuer row and one settings row per tenant (unique on tenant_id). Secrets
(software PIN, certificate, certificate password) are stored only encrypted
(``secrets_box``, context ``tenant:<id>:<field>``). Signed XML lives beside the
document it signs: ``invoices.signed_xml`` and ``invoice_notes.signed_xml``
(deferred columns, loaded only when the XML is asked for).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow
from nitida.core.money import Money
from nitida.vocabulary.kinds import ElectronicStatus, Environment, NoteKind, PersonType


class Issuer(TenantScoped, Base):
    """The tenant as the seller (emisor) of its electronic documents."""

    __tablename__ = "einvoicing_issuers"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_einvoicing_issuers_tenant"),)

    razon_social: Mapped[str] = mapped_column(String(bounds.RAZON_SOCIAL))
    nombre_comercial: Mapped[str | None] = mapped_column(String(bounds.RAZON_SOCIAL), nullable=True)
    nit: Mapped[str] = mapped_column(String(bounds.IDENTITY_NUMBER))
    dv: Mapped[str] = mapped_column(String(bounds.DV))
    tipo_persona: Mapped[PersonType] = mapped_column(Enum(PersonType, native_enum=False, length=20))
    responsabilidades_fiscales: Mapped[list[str]] = mapped_column(JSON)
    tributo: Mapped[str] = mapped_column(String(bounds.CODE))
    actividad_economica: Mapped[list[str]] = mapped_column(JSON)
    direccion: Mapped[str] = mapped_column(String(bounds.ADDRESS))
    municipio_codigo: Mapped[str] = mapped_column(String(bounds.DANE_CODE))
    codigo_postal: Mapped[str | None] = mapped_column(String(bounds.POSTAL_CODE), nullable=True)
    email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    telefono: Mapped[str | None] = mapped_column(String(bounds.PHONE), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ElectronicSettings(TenantScoped, Base):
    """Software, certificate and note numbering of a tenant that issues electronic documents.

    The row is also the lock of note numbering: a note's transaction takes it FOR UPDATE,
    reads and increments ``next_credit_note`` / ``next_debit_note`` and commits with the
    note, as invoices.numbering does with a resolution's ``next_number`` (gap-free).
    """

    __tablename__ = "einvoicing_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id", name="uq_einvoicing_settings_tenant"),
        # The demo's DIAN simulada is for habilitación only (migration 0014).
        CheckConstraint(
            "NOT simulated OR environment = 'HABILITACION'", name="ck_einvoicing_settings_simulated_habilitacion"
        ),
    )

    environment: Mapped[Environment] = mapped_column(Enum(Environment, native_enum=False, length=20))
    software_id: Mapped[str] = mapped_column(String(bounds.SOFTWARE_ID))
    software_pin_encrypted: Mapped[str] = mapped_column(Text)
    test_set_id: Mapped[str | None] = mapped_column(String(bounds.TEST_SET_ID), nullable=True)
    # The demo tenant's: documents go to the DIAN simulada, e-mails to the mail catcher (nitida.dian.simulated).
    # Set only by `nitida demo`; never through the API, and cleared when the tenant moves to PRODUCCION.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    certificate_encrypted: Mapped[str] = mapped_column(Text)
    certificate_password_encrypted: Mapped[str] = mapped_column(Text)
    certificate_subject: Mapped[str] = mapped_column(String(bounds.CERTIFICATE_SUBJECT))
    certificate_serial_number: Mapped[str] = mapped_column(String(bounds.CERTIFICATE_SERIAL))
    certificate_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    credit_note_prefix: Mapped[str] = mapped_column(String(bounds.PREFIX))
    debit_note_prefix: Mapped[str] = mapped_column(String(bounds.PREFIX))
    next_credit_note: Mapped[int] = mapped_column(BigInteger)
    next_debit_note: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvoiceNote(TenantScoped, Base):
    """A credit note (nota crédito) or debit note (nota débito) of an issued electronic invoice."""

    __tablename__ = "invoice_notes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="RESTRICT",
            name="fk_invoice_notes_invoice",
        ),
        Index("uq_invoice_notes_tenant_kind_consecutive", "tenant_id", "kind", "consecutive", unique=True),
        Index("uq_invoice_notes_tenant_number", "tenant_id", "number", unique=True),
        Index("ix_invoice_notes_tenant_invoice", "tenant_id", "invoice_id", "issued_at"),
        Index("ix_invoice_notes_tenant_kind_issued", "tenant_id", "kind", "issued_at"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[NoteKind] = mapped_column(Enum(NoteKind, native_enum=False, length=20))
    prefix: Mapped[str] = mapped_column(String(bounds.PREFIX))
    consecutive: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(bounds.INVOICE_NUMBER))
    concept: Mapped[str] = mapped_column(String(bounds.CODE))
    description: Mapped[str] = mapped_column(String(bounds.DESCRIPTION))
    issue_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # [{"description", "quantity", "unitPrice", "discountPercent", "taxes": [{"type", "rate"}]}], as given.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax_total: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    cude: Mapped[str] = mapped_column(String(bounds.DOCUMENT_KEY))
    qr_data: Mapped[str] = mapped_column(String(bounds.QR_DATA))
    electronic_status: Mapped[ElectronicStatus] = mapped_column(
        Enum(ElectronicStatus, native_enum=False, length=bounds.ELECTRONIC_STATUS)
    )
    signed_xml: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
