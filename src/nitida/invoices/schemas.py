from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.money import MoneyIn, MoneyOut, QuantityIn, QuantityOut
from nitida.core.schemas import ApiInput, ApiModel, FreeText, LocalDateTime
from nitida.invoices.models import InvoiceStatus, PaymentMethod
from nitida.invoices.totals import TaxType, allowed_rates_text, rate_allowed
from nitida.vocabulary.fields import CurrencyCode
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import ElectronicStatus, Environment, PaymentForm

MAX_CONSECUTIVE = 999_999_999_999_999  # fits a BIGINT with room to spare
MAX_QUANTITY = Decimal("1000000000")  # 10^9 units
MAX_UNIT_PRICE = Decimal("1000000000000")  # 10^12 pesos
MAX_LINES = 500

_PREFIX = re.compile(r"^[A-Z0-9]{1,4}$")


# --- numbering resolutions ---------------------------------------------------


def _prefix(value: str) -> str:
    value = value.upper()
    if not _PREFIX.match(value):
        raise ValueError("must be 1 to 4 letters (A-Z) or digits")
    return value


Prefix = Annotated[
    str,
    Field(min_length=1, max_length=4, pattern=r"^[A-Za-z0-9]{1,4}$", description="1 to 4 letters or digits"),
    AfterValidator(_prefix),
]


def _optional_prefix(value: str) -> str:
    return _prefix(value) if value else ""


# The DIAN also authorises numbering without a prefix (issue 25): then the number is the consecutive alone.
OptionalPrefix = Annotated[
    str,
    BeforeValidator(lambda value: "" if value is None else value),
    Field(max_length=4, pattern=r"^[A-Za-z0-9]{0,4}$", description="Up to 4 letters or digits; empty or null: none"),
    AfterValidator(_optional_prefix),
]
Consecutive = Annotated[int, Field(ge=1, le=MAX_CONSECUTIVE)]
# The DIAN's habilitación test-set resolution (its public data, ../shared/dian/README.md): never for producción.
TEST_SET_RESOLUTION_NUMBER = "18760000001"


def _test_set_in_habilitacion(environment: Environment | None, info: ValidationInfo) -> Environment | None:
    number = info.data.get("resolution_number")
    if environment is Environment.PRODUCCION and number == TEST_SET_RESOLUTION_NUMBER:
        raise ValueError(
            f"resolution {TEST_SET_RESOLUTION_NUMBER} is the DIAN's habilitación test set: it is for HABILITACION only"
        )
    return environment


class ResolutionCreate(ApiInput):
    resolution_number: FreeText = Field(
        min_length=1, max_length=bounds.RESOLUTION_NUMBER, description="The DIAN resolution number"
    )
    prefix: OptionalPrefix = ""
    range_from: Consecutive
    range_to: Consecutive
    valid_from: dt.date
    valid_to: dt.date
    technical_key: FreeText | None = Field(default=None, max_length=bounds.TECHNICAL_KEY, description="Clave técnica")
    environment: Environment | None = Field(
        default=None,
        description="The DIAN environment it numbers in (issue 25); by default the business's current one "
        "(HABILITACION before electronic invoicing is configured, and always for the test set 18760000001)",
    )

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: Environment | None, info: ValidationInfo) -> Environment | None:
        return _test_set_in_habilitacion(value, info)

    @field_validator("range_to")
    @classmethod
    def _range(cls, value: int, info: ValidationInfo) -> int:
        start = info.data.get("range_from")
        if start is not None and value < start:
            raise ValueError(f"must be at least rangeFrom ({start})")
        return value

    @field_validator("valid_to")
    @classmethod
    def _validity(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("valid_from")
        if start is not None and value < start:
            raise ValueError(f"must not be before validFrom ({start.isoformat()})")
        return value


class ResolutionUpdate(ApiInput):
    """validTo, technicalKey and rangeTo may change; rangeTo never below the numbers already used; environment
    only while no invoice was numbered under it."""

    valid_to: dt.date | None = None
    technical_key: FreeText | None = Field(default=None, max_length=bounds.TECHNICAL_KEY)
    range_to: Consecutive | None = None
    environment: Environment | None = None


class ResolutionRead(ApiModel):
    id: uuid.UUID
    resolution_number: str
    prefix: str
    range_from: int
    range_to: int
    valid_from: dt.date
    valid_to: dt.date
    technical_key: str | None = Field(
        description="The DIAN technical key (clave técnica); null unless the caller is ADMIN"
    )
    next_number: int = Field(description="The consecutive the next issued invoice takes")
    environment: Environment = Field(
        description="The DIAN environment it numbers in: invoices are signed under it "
        "only while the business issues in that environment"
    )
    remaining: int = Field(description="Numbers left in the range")
    created_at: LocalDateTime
    updated_at: LocalDateTime


# --- invoices ------------------------------------------------------------------


class TaxIn(ApiInput):
    type: TaxType
    rate: MoneyIn = Field(description="Percent. IVA: 0, 5 or 19; INC: 8 (4 and 16 where the law sets them)")

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        tax_type = info.data.get("type")
        if tax_type is not None and not rate_allowed(tax_type, value):
            raise ValueError(f"{tax_type.value} rate must be one of {allowed_rates_text(tax_type)}")
        return value


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalBrand = Annotated[Annotated[FreeText, Field(max_length=bounds.BRAND)] | None, BeforeValidator(_blank_to_none)]
ExchangeRate = Annotated[
    MoneyIn, Field(description="Pesos (COP) one unit of the currency is worth (TRM), at most 2 decimals")
]
EXPORT_DESCRIPTION = (
    "An export invoice (InvoiceTypeCode 02) to a customer abroad: its lines are exempt from IVA (IVA 0 %) and "
    "name each good's brand and model"
)
CURRENCY_DESCRIPTION = "ISO 4217 currency of every amount of the invoice; other than COP only on an export invoice"


class LineIn(ApiInput):
    description: FreeText = Field(min_length=1, max_length=bounds.DESCRIPTION)
    quantity: QuantityIn = Field(description="More than 0, at most 6 decimals")
    unit_price: MoneyIn = Field(description="0 or more, at most 2 decimals")
    discount_percent: MoneyIn = Field(default=Decimal("0"), description="0 to 100, at most 2 decimals")
    taxes: list[TaxIn] = Field(default_factory=list, max_length=2, description="No taxes: excluded from IVA")
    brand: OptionalBrand = Field(default=None, description="An exported good's brand (marca); export invoices")
    model: OptionalBrand = Field(default=None, description="An exported good's model (modelo); export invoices")
    reference_price: MoneyIn | None = Field(
        default=None,
        description="A gift or sample (unitPrice 0, or discountPercent 100): its commercial unit value, which its "
        "electronic document declares (FreeOfChargeIndicator, PricingReference) and its taxes are computed on",
    )

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be greater than 0")
        if value > MAX_QUANTITY:
            raise ValueError(f"must be at most {MAX_QUANTITY}")
        return value

    @field_validator("unit_price")
    @classmethod
    def _price(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("must not be negative")
        if value > MAX_UNIT_PRICE:
            raise ValueError(f"must be at most {MAX_UNIT_PRICE}")
        return value

    @field_validator("discount_percent")
    @classmethod
    def _discount(cls, value: Decimal) -> Decimal:
        if value < 0 or value > 100:
            raise ValueError("must be between 0 and 100")
        return value

    @field_validator("taxes")
    @classmethod
    def _one_of_each(cls, value: list[TaxIn]) -> list[TaxIn]:
        kinds = [t.type for t in value]
        if len(kinds) != len(set(kinds)):
            raise ValueError("a line carries each tax type at most once")
        return value

    @field_validator("reference_price")
    @classmethod
    def _reference_of_a_free_line(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if value is None:
            return None
        if value <= 0:
            raise ValueError("must be greater than 0")
        if value > MAX_UNIT_PRICE:
            raise ValueError(f"must be at most {MAX_UNIT_PRICE}")
        price, discount = info.data.get("unit_price"), info.data.get("discount_percent")
        if price is not None and discount is not None and price != 0 and discount != 100:
            raise ValueError(
                "only a line given away (a gift or sample: unitPrice 0 or discountPercent 100) has a reference price"
            )
        return value


class InvoiceCreate(ApiInput):
    customer_id: uuid.UUID
    resolution_id: uuid.UUID
    due_date: dt.date | None = Field(default=None, description="Required for CREDITO by the time of issue")
    payment_form: PaymentForm = PaymentForm.CONTADO
    payment_method: PaymentMethod | None = Field(
        default=None, description="Expected means of payment (the electronic invoice's PaymentMeansCode)"
    )
    notes: FreeText | None = Field(default=None, max_length=bounds.NOTES)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    export: bool = Field(default=False, description=EXPORT_DESCRIPTION)
    currency: CurrencyCode = Field(default="COP", description=CURRENCY_DESCRIPTION)
    exchange_rate: ExchangeRate | None = Field(default=None, description="Required when currency is not COP")


class InvoiceUpdate(ApiInput):
    """Only the fields present change; ``lines``, when present, replaces every line."""

    customer_id: uuid.UUID | None = None
    resolution_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    payment_form: PaymentForm | None = None
    payment_method: PaymentMethod | None = None
    notes: FreeText | None = Field(default=None, max_length=bounds.NOTES)
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    export: bool | None = Field(default=None, description=EXPORT_DESCRIPTION)
    currency: CurrencyCode | None = Field(default=None, description=CURRENCY_DESCRIPTION)
    exchange_rate: ExchangeRate | None = None


class InvoiceCorrection(ApiInput):
    """A rejected invoice's correction (issue 25): only the fields present change; ``lines``, when present,
    replaces every line. The number and the resolution stay: the corrected invoice is sent under the same number.
    An empty body re-signs the invoice as it is (the cause was elsewhere: the customer's or the issuer's data)."""

    customer_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    payment_form: PaymentForm | None = None
    payment_method: PaymentMethod | None = None
    notes: FreeText | None = Field(default=None, max_length=bounds.NOTES)
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)
    export: bool | None = Field(default=None, description=EXPORT_DESCRIPTION)
    currency: CurrencyCode | None = Field(default=None, description=CURRENCY_DESCRIPTION)
    exchange_rate: ExchangeRate | None = None


class PaymentCreate(ApiInput):
    amount: MoneyIn = Field(description="More than 0 and at most the balance")
    date: dt.date | None = Field(default=None, description="Defaults to today (Bogotá)")
    method: PaymentMethod
    reference: FreeText | None = Field(default=None, max_length=bounds.PAYMENT_REFERENCE)

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value


class VoidRequest(ApiInput):
    reason: FreeText = Field(min_length=1, max_length=bounds.DESCRIPTION)


class TaxRead(ApiModel):
    type: TaxType
    rate: MoneyOut
    amount: MoneyOut


class LineRead(ApiModel):
    description: str
    quantity: QuantityOut
    unit_price: MoneyOut
    discount_percent: MoneyOut
    taxes: list[TaxRead]
    reference_price: MoneyOut | None = Field(
        default=None, description="A gift or sample's commercial unit value (its taxes are on it)"
    )
    base: MoneyOut = Field(description="quantity × unitPrice × (1 − discountPercent/100), rounded half-up")
    tax_total: MoneyOut
    total: MoneyOut
    brand: str | None = None
    model: str | None = None


class TaxGroupRead(ApiModel):
    type: TaxType
    rate: MoneyOut
    taxable_amount: MoneyOut
    tax_amount: MoneyOut


class CustomerSnapshot(ApiModel):
    """The customer's fiscal data: as stored on issue, or the customer's current data on a draft."""

    id: uuid.UUID
    razon_social: str
    tipo_documento: TipoDocumento
    tipo_documento_codigo: str
    nit: str
    dv: str | None
    email: str | None
    direccion: str | None
    tipo_persona: str | None = None
    responsabilidades_fiscales: list[str] | None = None
    tributo: str | None = None
    municipio_codigo: str | None = None
    codigo_postal: str | None = None
    pais_codigo: str | None = Field(default=None, description="ISO 3166-1 alpha-2; null on invoices issued before it")
    ciudad_exterior: str | None = None
    region_exterior: str | None = None


class PaymentRead(ApiModel):
    id: uuid.UUID
    amount: MoneyOut
    date: dt.date
    method: PaymentMethod
    reference: str | None
    created_at: LocalDateTime


class InvoiceSummary(ApiModel):
    id: uuid.UUID
    status: InvoiceStatus
    number: str | None
    customer_id: uuid.UUID
    customer_name: str
    resolution_id: uuid.UUID
    issue_date: dt.date | None
    due_date: dt.date | None
    payment_form: PaymentForm
    currency: str = Field(description="ISO 4217 currency of every amount (COP unless an export invoice says)")
    subtotal: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    amount_paid: MoneyOut
    credited_total: MoneyOut = Field(description="Σ of the invoice's credit notes")
    debited_total: MoneyOut = Field(description="Σ of the invoice's debit notes")
    balance: MoneyOut = Field(description="total + debitedTotal − creditedTotal − amountPaid")
    electronic_status: ElectronicStatus
    created_at: LocalDateTime
    updated_at: LocalDateTime


class InvoiceRead(InvoiceSummary):
    prefix: str | None
    consecutive: int | None
    issued_at: LocalDateTime | None
    payment_method: PaymentMethod | None
    cufe: str | None = Field(description="The electronic invoice's CUFE (SHA-384), once signed")
    qr_data: str | None = Field(description="The DIAN consultation URL with the CUFE (habilitación or producción host)")
    notes: str | None
    export: bool = Field(description="An export invoice (InvoiceTypeCode 02)")
    exchange_rate: MoneyOut | None = Field(description="Pesos per unit of currency; null for COP")
    customer: CustomerSnapshot
    lines: list[LineRead]
    taxes: list[TaxGroupRead] = Field(description="Per (type, rate): taxable amount and tax")
    payments: list[PaymentRead]
    void_reason: str | None
    voided_at: LocalDateTime | None
