"""API shapes of the issuer, the electronic-invoicing settings and the notes."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.money import MoneyOut
from nitida.core.schemas import ApiInput, ApiModel, LocalDateTime
from nitida.invoices.schemas import MAX_LINES, LineIn, LineRead, TaxGroupRead
from nitida.vocabulary import fiscal
from nitida.vocabulary.fields import MunicipioCodigo, OptionalCodigoPostal, Responsabilidades, Tributo
from nitida.vocabulary.kinds import ElectronicStatus, Environment, NoteKind, PersonType


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --- issuer ---------------------------------------------------------------------


class IssuerWrite(ApiInput):
    """The tenant's fiscal data as the DIAN's RUT has it; PUT replaces all of it."""

    razon_social: str = Field(min_length=1, max_length=bounds.RAZON_SOCIAL)
    nombre_comercial: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, max_length=bounds.RAZON_SOCIAL
    )
    nit: str = Field(
        min_length=1, max_length=bounds.IDENTITY_NUMBER + 6, description="900123456, 900.123.456 or 900123456-8"
    )
    tipo_persona: PersonType
    responsabilidades_fiscales: Responsabilidades
    tributo: Tributo
    actividad_economica: list[str] = Field(default_factory=list, max_length=10, description="CIIU codes, 4 digits")
    direccion: str = Field(min_length=1, max_length=bounds.ADDRESS)
    municipio_codigo: MunicipioCodigo
    codigo_postal: OptionalCodigoPostal = None
    email: Annotated[Annotated[EmailStr, Field(max_length=bounds.EMAIL)] | None, BeforeValidator(_blank_to_none)] = None
    telefono: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=bounds.PHONE)

    @field_validator("actividad_economica")
    @classmethod
    def _ciiu(cls, value: list[str]) -> list[str]:
        return fiscal.actividades(value)

    @field_validator("codigo_postal")
    @classmethod
    def _postal_of_the_municipality(cls, value: str | None, info: ValidationInfo) -> str | None:
        return fiscal.postal_code_of(info.data.get("municipio_codigo"), value)


class IssuerRead(ApiModel):
    razon_social: str
    nombre_comercial: str | None
    nit: str
    dv: str = Field(description="NIT check digit, computed")
    tipo_persona: PersonType
    responsabilidades_fiscales: list[str]
    tributo: str
    actividad_economica: list[str]
    direccion: str
    municipio_codigo: str
    municipio: str | None = Field(description="Derived from municipioCodigo (DANE)")
    departamento: str | None = Field(description="Derived from municipioCodigo (DANE)")
    codigo_postal: str | None
    email: str | None
    telefono: str | None
    updated_at: LocalDateTime


# --- electronic-invoicing settings -------------------------------------------------

_NOTE_PREFIX = re.compile(r"^[A-Z0-9]{1,4}$")


def _note_prefix(value: str) -> str:
    value = value.upper()
    if not _NOTE_PREFIX.match(value):
        raise ValueError("must be 1 to 4 letters (A-Z) or digits")
    return value


NotePrefix = Annotated[str, Field(min_length=1, max_length=bounds.PREFIX), AfterValidator(_note_prefix)]


class ElectronicInvoicingWrite(ApiInput):
    """Software and certificate. ``softwarePin``, ``certificateP12`` and ``certificatePassword`` may be
    left out once stored (they are kept); they are never shown back."""

    environment: Environment
    software_id: str = Field(min_length=1, max_length=bounds.SOFTWARE_ID, description="SoftwareID given by the DIAN")
    software_pin: str | None = Field(default=None, min_length=1, max_length=bounds.SOFTWARE_PIN)
    test_set_id: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, max_length=bounds.TEST_SET_ID, description="TestSetId of the habilitación test set"
    )
    certificate_p12: str | None = Field(
        default=None,
        min_length=1,
        max_length=bounds.CERTIFICATE_P12_BASE64,
        description="Base64 of the PKCS#12 (.p12/.pfx) file with the signing key",
    )
    certificate_password: str | None = Field(default=None, max_length=bounds.CERTIFICATE_PASSWORD)
    credit_note_prefix: NotePrefix = "NC"
    debit_note_prefix: NotePrefix = "ND"


class CertificateRead(ApiModel):
    subject: str
    serial_number: str
    expires_at: LocalDateTime


class ElectronicInvoicingRead(ApiModel):
    environment: Environment
    # The demo's DIAN simulada (and mail catcher) answers this tenant, not the DIAN: set by `nitida demo` only.
    simulated: bool = Field(description="Documents go to the demo's simulated DIAN, e-mails to its mail catcher")
    software_id: str
    test_set_id: str | None
    certificate: CertificateRead
    credit_note_prefix: str
    debit_note_prefix: str
    next_credit_note: int
    next_debit_note: int
    updated_at: LocalDateTime


# --- notes ---------------------------------------------------------------------------


class CreditNoteCreate(ApiInput):
    concept: int = Field(
        ge=1,
        le=6,
        description=(
            "Anexo Técnico 1.9: 1 devolución parcial, 2 anulación, 3 rebaja o descuento parcial o total, "
            "4 ajuste de precio, 5 descuento comercial por pronto pago, 6 descuento comercial por volumen de ventas"
        ),
    )
    description: str = Field(min_length=1, max_length=bounds.DESCRIPTION)
    lines: list[LineIn] | None = Field(
        default=None, min_length=1, max_length=MAX_LINES, description="Default: every line of the invoice"
    )


class DebitNoteCreate(ApiInput):
    concept: int = Field(ge=1, le=4, description="1 intereses, 2 gastos por cobrar, 3 cambio del valor, 4 otros")
    description: str = Field(min_length=1, max_length=bounds.DESCRIPTION)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class NoteRead(ApiModel):
    id: uuid.UUID
    kind: NoteKind
    invoice_id: uuid.UUID
    invoice_number: str
    number: str
    prefix: str
    consecutive: int
    concept: str
    concept_name: str
    description: str
    issue_date: dt.date
    issued_at: LocalDateTime
    lines: list[LineRead]
    taxes: list[TaxGroupRead]
    subtotal: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    cude: str
    qr_data: str
    electronic_status: ElectronicStatus
    created_at: LocalDateTime
