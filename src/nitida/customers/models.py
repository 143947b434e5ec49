from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow
from nitida.vocabulary.identity import TipoDocumento

# Sort keys compare byte by byte on both engines (see core.text.spanish_sort_key).
SortKey = String(bounds.SORT_KEY).with_variant(String(bounds.SORT_KEY, collation="C"), "postgresql")


class CustomerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class Customer(TenantScoped, Base):
    __tablename__ = "customers"
    __table_args__ = (
        # One customer per document number in a tenant; also what makes two
        # simultaneous creates of one NIT end as one row.
        UniqueConstraint("tenant_id", "nit", name="uq_customers_tenant_nit"),
        Index("ix_customers_tenant_sort", "tenant_id", "razon_social_sort", "nit"),
        Index("ix_customers_tenant_status_sort", "tenant_id", "status", "razon_social_sort", "nit"),
    )

    razon_social: Mapped[str] = mapped_column(String(bounds.RAZON_SOCIAL))
    # Derived keys, kept in step by the service (never written by clients).
    razon_social_search: Mapped[str] = mapped_column(String(bounds.SEARCH_KEY))
    razon_social_sort: Mapped[str] = mapped_column(SortKey)
    tipo_documento: Mapped[TipoDocumento] = mapped_column(
        Enum(TipoDocumento, native_enum=False, length=20), default=TipoDocumento.NIT
    )
    nit: Mapped[str] = mapped_column(String(bounds.IDENTITY_NUMBER))
    dv: Mapped[str | None] = mapped_column(String(bounds.DV), nullable=True)
    email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    telefono: Mapped[str | None] = mapped_column(String(bounds.PHONE), nullable=True)
    direccion: Mapped[str | None] = mapped_column(String(bounds.ADDRESS), nullable=True)
    # Fiscal data for electronic invoices (DIAN code lists); NULL on records made before them.
    tipo_persona: Mapped[str | None] = mapped_column(String(20), nullable=True)  # JURIDICA | NATURAL
    responsabilidades_fiscales: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    tributo: Mapped[str | None] = mapped_column(String(bounds.CODE), nullable=True)
    municipio_codigo: Mapped[str | None] = mapped_column(String(bounds.DANE_CODE), nullable=True)
    codigo_postal: Mapped[str | None] = mapped_column(String(bounds.POSTAL_CODE), nullable=True)
    # A buyer abroad (issue 25): its country (ISO 3166-1 alpha-2 of the DIAN's list) and its city and region
    # as free text; no DANE municipality. "CO" for every Colombian customer.
    pais_codigo: Mapped[str] = mapped_column(String(bounds.COUNTRY_CODE), default="CO", server_default="CO")
    ciudad_exterior: Mapped[str | None] = mapped_column(String(bounds.PLACE_NAME), nullable=True)
    region_exterior: Mapped[str | None] = mapped_column(String(bounds.PLACE_NAME), nullable=True)
    status: Mapped[CustomerStatus] = mapped_column(
        Enum(CustomerStatus, native_enum=False, length=20), default=CustomerStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerImportFile(TenantScoped, Base):
    """An uploaded import file kept for the background job that imports it
    (a job's payload is JSON and shown by GET /jobs/:id: no place for 20 MB).
    The job deletes it in the transaction that records its result."""

    __tablename__ = "customer_import_files"

    content: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
