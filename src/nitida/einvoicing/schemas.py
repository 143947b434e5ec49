"""API shapes of the issuer, the electronic-invoicing settings and the notes."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, EmailStr, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.money import MAX_MONEY, MoneyIn, MoneyOut, QuantityIn
from nitida.core.schemas import ApiInput, ApiModel, LocalDateTime
from nitida.invoices.schemas import MAX_LINES, MAX_UNIT_PRICE, LineIn, LineRead, TaxGroupRead
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


class NoteItemIn(ApiInput):
    """A line of the invoice the note names: ``quantity`` of its units, or ``amount`` of its value before taxes.
    The note's line is the invoice's own (description, price, discount, taxes)."""

    line: int = Field(ge=1, le=MAX_LINES, description="The invoice's line, 1 being the first")
    quantity: QuantityIn | None = Field(default=None, description="Units of the line (more than 0)")
    amount: MoneyIn | None = Field(default=None, description="Value before taxes (more than 0)")

    @field_validator("quantity", "amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise ValueError("must be greater than 0")
        if value is not None and value > MAX_UNIT_PRICE:
            raise ValueError(f"must be at most {MAX_UNIT_PRICE}")
        return value

    @field_validator("amount")
    @classmethod
    def _one_of(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        quantity = info.data.get("quantity")
        if (value is None) == (quantity is None):
            raise ValueError("give either quantity or amount")
        return value


def _amount(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise ValueError("must be greater than 0")
    if value is not None and value > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY}")
    return value


def _only_one(value: object, info: ValidationInfo) -> object:
    if value is not None and any(info.data.get(other) is not None for other in ("lines", "items")):
        raise ValueError("give only one of lines, items and amount")
    return value


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
        default=None,
        min_length=1,
        max_length=MAX_LINES,
        description="Free lines (concept 1: each must repeat a line of the invoice; taxes: those of its lines). "
        "None of lines, items and amount: every line of the invoice",
    )
    items: list[NoteItemIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINES,
        description="The invoice's lines credited: units (concept 1 returns units; 3, 5, 6 either) or an amount "
        "of a line's value (concept 4; 3, 5, 6 either). Never more of a line than is left of it",
    )
    amount: MoneyIn | None = Field(
        default=None,
        description="Concepts 3, 5 and 6: a discount of this value before taxes, split over the invoice's taxes "
        "in proportion to what is left of each",
    )

    @field_validator("items")
    @classmethod
    def _the_items(cls, value: list[NoteItemIn] | None, info: ValidationInfo) -> list[NoteItemIn] | None:
        _only_one(value, info)
        return value

    @field_validator("amount")
    @classmethod
    def _the_amount(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        _only_one(value, info)
        return _amount(value)


class DebitNoteCreate(ApiInput):
    concept: int = Field(ge=1, le=4, description="1 intereses, 2 gastos por cobrar, 3 cambio del valor, 4 otros")
    description: str = Field(min_length=1, max_length=bounds.DESCRIPTION)
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    items: list[NoteItemIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LINES,
        description="The invoice's lines debited: more units of a line, or an amount of value on it (its taxes)",
    )
    amount: MoneyIn | None = Field(
        default=None, description="A value before taxes, split over the invoice's taxes in proportion to its lines"
    )

    @field_validator("items")
    @classmethod
    def _the_items(cls, value: list[NoteItemIn] | None, info: ValidationInfo) -> list[NoteItemIn] | None:
        _only_one(value, info)
        return value

    @field_validator("amount")
    @classmethod
    def _the_amount(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        _only_one(value, info)
        return _amount(value)


class NoteLineRead(LineRead):
    invoice_line: int | None = Field(description="The invoice's line it credits or debits (1 is the first)")


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
    lines: list[NoteLineRead]
    taxes: list[TaxGroupRead]
    subtotal: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    cude: str
    qr_data: str
    electronic_status: ElectronicStatus
    created_at: LocalDateTime
