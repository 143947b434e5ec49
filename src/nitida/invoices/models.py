"""Numbering resolutions, invoices, their lines and their payments.

Every reference between these tables (and to customers) is a composite
foreign key led by tenant_id, so a row can never point at another tenant's
row, whatever the code does.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow
from nitida.core.money import Money, Quantity
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import ElectronicStatus, Environment, PaymentForm


class InvoiceStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    PAID = "PAID"
    VOID = "VOID"


class PaymentMethod(enum.StrEnum):
    EFECTIVO = "EFECTIVO"
    TRANSFERENCIA = "TRANSFERENCIA"
    CONSIGNACION = "CONSIGNACION"
    TARJETA_CREDITO = "TARJETA_CREDITO"
    TARJETA_DEBITO = "TARJETA_DEBITO"
    CHEQUE = "CHEQUE"
    OTRO = "OTRO"


class NumberingResolution(TenantScoped, Base):
    """A DIAN authorisation to number invoices prefix+[range_from, range_to] between two dates."""

    __tablename__ = "numbering_resolutions"
    __table_args__ = (Index("ix_numbering_resolutions_tenant_prefix", "tenant_id", "prefix", "range_from"),)

    resolution_number: Mapped[str] = mapped_column(String(bounds.RESOLUTION_NUMBER))
    prefix: Mapped[str] = mapped_column(String(bounds.PREFIX))
    range_from: Mapped[int] = mapped_column(BigInteger)
    range_to: Mapped[int] = mapped_column(BigInteger)
    # The consecutive the next issued invoice takes; range_to + 1 once used up.
    next_number: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    technical_key: Mapped[str | None] = mapped_column(String(bounds.TECHNICAL_KEY), nullable=True)
    # The DIAN environment the resolution numbers in (issue 25): a tenant signs only under resolutions of its own.
    environment: Mapped[Environment] = mapped_column(
        Enum(Environment, native_enum=False, length=20), default=Environment.HABILITACION
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def remaining(self) -> int:
        return max(0, self.range_to - self.next_number + 1)


class Invoice(TenantScoped, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            ondelete="RESTRICT",
            name="fk_invoices_customer",
        ),
        ForeignKeyConstraint(
            ["tenant_id", "resolution_id"],
            ["numbering_resolutions.tenant_id", "numbering_resolutions.id"],
            ondelete="RESTRICT",
            name="fk_invoices_resolution",
        ),
        # Numbers are unique; NULL (drafts) never collide.
        Index("uq_invoices_tenant_number", "tenant_id", "number", unique=True),
        Index("uq_invoices_tenant_prefix_consecutive", "tenant_id", "prefix", "consecutive", unique=True),
        Index("ix_invoices_tenant_created", "tenant_id", "created_at"),
        Index("ix_invoices_tenant_customer", "tenant_id", "customer_id", "created_at"),
        Index("ix_invoices_tenant_status", "tenant_id", "status", "created_at"),
        Index("ix_invoices_tenant_issue_date", "tenant_id", "issue_date"),
        Index("ix_invoices_tenant_resolution", "tenant_id", "resolution_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    resolution_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(InvoiceStatus, native_enum=False, length=20), default=InvoiceStatus.DRAFT
    )
    payment_form: Mapped[PaymentForm] = mapped_column(
        Enum(PaymentForm, native_enum=False, length=20), default=PaymentForm.CONTADO
    )
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    # How the customer is expected to pay (the DIAN's PaymentMeansCode); None: "instrumento no definido".
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        Enum(PaymentMethod, native_enum=False, length=20), nullable=True
    )

    # An export invoice (InvoiceTypeCode 02, issue 25): its amounts are in ``currency`` (ISO 4217) and
    # ``exchange_rate`` is the pesos one unit of it is worth (TRM), printed on the document; COP has none.
    export: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    currency: Mapped[str] = mapped_column(String(bounds.CURRENCY_CODE), default="COP", server_default="COP")
    exchange_rate: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)

    # Numbering, set on issue and kept for ever (a VOID invoice keeps its number).
    prefix: Mapped[str | None] = mapped_column(String(bounds.PREFIX), nullable=True)
    consecutive: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    number: Mapped[str | None] = mapped_column(String(bounds.INVOICE_NUMBER), nullable=True)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # Bogotá calendar date
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Totals, computed by the server from the lines (see invoices.totals).
    subtotal: Mapped[Decimal] = mapped_column(Money())
    tax_total: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    amount_paid: Mapped[Decimal] = mapped_column(Money())
    # Σ of the credit and debit notes (einvoicing.notes): they lower and raise what is owed.
    credited_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    debited_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))

    # The electronic invoice, signed in the issuing transaction (tenants with electronic-invoicing settings).
    electronic_status: Mapped[ElectronicStatus] = mapped_column(
        Enum(ElectronicStatus, native_enum=False, length=bounds.ELECTRONIC_STATUS),
        default=ElectronicStatus.NOT_APPLICABLE,
    )
    cufe: Mapped[str | None] = mapped_column(String(bounds.DOCUMENT_KEY), nullable=True)
    qr_data: Mapped[str | None] = mapped_column(String(bounds.QR_DATA), nullable=True)
    signed_xml: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))

    # The customer's fiscal data as it was on issue: later edits of the customer never reach it.
    customer_razon_social: Mapped[str | None] = mapped_column(String(bounds.RAZON_SOCIAL), nullable=True)
    customer_tipo_documento: Mapped[TipoDocumento | None] = mapped_column(
        Enum(TipoDocumento, native_enum=False, length=20), nullable=True
    )
    customer_nit: Mapped[str | None] = mapped_column(String(bounds.IDENTITY_NUMBER), nullable=True)
    customer_dv: Mapped[str | None] = mapped_column(String(bounds.DV), nullable=True)
    customer_email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    customer_direccion: Mapped[str | None] = mapped_column(String(bounds.ADDRESS), nullable=True)
    customer_tipo_persona: Mapped[str | None] = mapped_column(String(20), nullable=True)
    customer_responsabilidades_fiscales: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    customer_tributo: Mapped[str | None] = mapped_column(String(bounds.CODE), nullable=True)
    customer_municipio_codigo: Mapped[str | None] = mapped_column(String(bounds.DANE_CODE), nullable=True)
    customer_codigo_postal: Mapped[str | None] = mapped_column(String(bounds.POSTAL_CODE), nullable=True)
    customer_pais_codigo: Mapped[str | None] = mapped_column(String(bounds.COUNTRY_CODE), nullable=True)
    customer_ciudad_exterior: Mapped[str | None] = mapped_column(String(bounds.PLACE_NAME), nullable=True)
    customer_region_exterior: Mapped[str | None] = mapped_column(String(bounds.PLACE_NAME), nullable=True)
    # core.text.fold of the customer's name (on draft save and on issue), for search.
    customer_search: Mapped[str] = mapped_column(String(bounds.SEARCH_KEY))

    void_reason: Mapped[str | None] = mapped_column(String(bounds.DESCRIPTION), nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position",
        cascade="all, delete-orphan",
    )
    payments: Mapped[list[InvoicePayment]] = relationship(
        order_by=lambda: (InvoicePayment.created_at, InvoicePayment.id),
    )

    @property
    def balance(self) -> Decimal:
        return self.total + self.debited_total - self.credited_total - self.amount_paid

    @property
    def uncredited_total(self) -> Decimal:
        """What credit notes may still take back: the total, raised by debit notes, less the credits."""
        return self.total + self.debited_total - self.credited_total


class InvoiceLine(TenantScoped, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="CASCADE",
            name="fk_invoice_lines_invoice",
        ),
        Index("ix_invoice_lines_tenant_invoice", "tenant_id", "invoice_id", "position"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(bounds.DESCRIPTION))
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    discount_percent: Mapped[Decimal] = mapped_column(Money())
    # [{"type": "IVA", "rate": "19.00"}]: the taxes the line carries (amounts are recomputed).
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    base: Mapped[Decimal] = mapped_column(Money())
    # An exported good's brand and model (Item/BrandName, ModelName: the DIAN asks them on export invoices).
    brand: Mapped[str | None] = mapped_column(String(bounds.BRAND), nullable=True)
    model: Mapped[str | None] = mapped_column(String(bounds.BRAND), nullable=True)
    # A free line's (gift, sample) commercial unit value: declared in its document, its taxes computed on it.
    reference_price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)


class InvoicePayment(TenantScoped, Base):
    __tablename__ = "invoice_payments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            ondelete="RESTRICT",
            name="fk_invoice_payments_invoice",
        ),
        Index("ix_invoice_payments_tenant_invoice", "tenant_id", "invoice_id", "created_at"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    amount: Mapped[Decimal] = mapped_column(Money())
    payment_date: Mapped[date] = mapped_column(Date)
    method: Mapped[PaymentMethod] = mapped_column(Enum(PaymentMethod, native_enum=False, length=20))
    reference: Mapped[str | None] = mapped_column(String(bounds.PAYMENT_REFERENCE), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
