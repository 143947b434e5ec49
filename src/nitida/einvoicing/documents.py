"""What an electronic document says, independent of the ORM and of XML.

The service fills these frozen dataclasses from its rows (issuer settings,
the invoice and its customer snapshot, the resolution) and hands them to
``ubl.build``. Money is Decimal with at most two decimals: the figures are the
ones the invoices domain already computed (``from_totals`` adapts
``nitida.invoices.totals``), never recomputed here.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from stdnum.co import nit as stdnum_nit

from nitida.core.clock import BOGOTA
from nitida.invoices import totals as totals_mod
from nitida.vocabulary import codelists, fiscal
from nitida.vocabulary.kinds import Environment, PaymentForm, PersonType

ZERO = Decimal("0.00")


class DocumentKind(enum.StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    DEBIT_NOTE = "DEBIT_NOTE"

    @property
    def type_code(self) -> str:
        """DIAN tipo de documento: 01 factura de venta, 91 nota crédito, 92 nota débito."""
        return {"INVOICE": "01", "CREDIT_NOTE": "91", "DEBIT_NOTE": "92"}[self.value]


@dataclass(frozen=True, slots=True)
class Party:
    person_type: PersonType | None  # None: not known (a document cannot be built; see person_type_of)
    id_type: str  # DIAN code: "31" NIT, "13" CC, "22" CE, "41" pasaporte, "42", "47" PEP, "48" PPT…
    id_number: str  # without the check digit
    razon_social: str
    dv: str | None = None  # NIT check digit, only when id_type is "31"
    nombre_comercial: str | None = None
    responsabilidades: tuple[str, ...] = ("R-99-PN",)
    tributo: str = "ZZ"  # 01 IVA, 04 INC, ZA IVA e INC, ZZ no aplica
    municipio_code: str | None = None  # 5-digit DANE code
    address_line: str | None = None
    postal_code: str | None = None
    email: str | None = None
    phone: str | None = None
    country_code: str = "CO"  # ISO 3166-1 alpha-2 of the DIAN's list
    actividad_economica: tuple[str, ...] = ()  # CIIU codes
    city_name: str | None = None  # a party abroad: its city and region, as free text (no DANE code)
    region: str | None = None

    @classmethod
    def consumidor_final(cls, email: str | None = None) -> Party:
        """The anonymous buyer as the DIAN describes it: natural person, CC 222222222222, R-99-PN, ZZ."""
        return cls(
            person_type=PersonType.NATURAL,
            id_type="13",
            id_number=codelists.CONSUMIDOR_FINAL_NUMBER,
            razon_social=codelists.CONSUMIDOR_FINAL_NAME,
            responsabilidades=("R-99-PN",),
            tributo="ZZ",
            email=email,
        )

    @property
    def is_consumidor_final(self) -> bool:
        return self.id_number == codelists.CONSUMIDOR_FINAL_NUMBER

    @property
    def municipio(self) -> codelists.Municipio | None:
        return codelists.municipio(self.municipio_code) if self.municipio_code else None

    @property
    def abroad(self) -> bool:
        return self.country_code != codelists.COLOMBIA


@dataclass(frozen=True, slots=True)
class LineTax:
    tax_type: str  # "IVA" | "INC"
    rate: Decimal  # percent
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A line as the DIAN's document carries it (its amounts computed: invoices.totals.Line is the input)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    line_extension_amount: Decimal  # after the discount, before taxes
    taxes: tuple[LineTax, ...] = ()
    unit_code: str = codelists.DEFAULT_UNIT_CODE
    discount_percent: Decimal = Decimal(0)
    discount_amount: Decimal = ZERO
    item_code: str | None = None  # seller's own code (StandardItemIdentification schemeID 999)
    brand: str | None = None  # an exported good's brand and model (Item/BrandName, ModelName)
    model: str | None = None
    # A line given away (gift, sample: its amount is 0): FreeOfChargeIndicator true and a PricingReference with
    # this commercial unit value (issue 25); its taxes are on quantity × this value.
    reference_price: Decimal | None = None
    free: bool = False

    @property
    def gross_amount(self) -> Decimal:
        """Quantity × price before the discount (the discount's BaseAmount)."""
        return self.line_extension_amount + self.discount_amount


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxTotal:
    tax_type: str  # "IVA" | "INC"
    tax_amount: Decimal
    subtotals: tuple[TaxSubtotal, ...]


@dataclass(frozen=True, slots=True)
class MonetaryTotals:
    line_extension: Decimal  # Σ line amounts
    tax_exclusive: Decimal  # Σ bases of the lines that carry a tax
    tax_inclusive: Decimal  # line_extension + Σ taxes
    payable: Decimal
    allowance_total: Decimal = ZERO
    charge_total: Decimal = ZERO
    prepaid: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Payment:
    form: PaymentForm = PaymentForm.CONTADO
    means_code: str = "10"  # codelists.PAYMENT_MEANS_BY_METHOD maps our methods
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class Numbering:
    resolution_number: str
    valid_from: date
    valid_to: date
    prefix: str
    range_from: int
    range_to: int
    technical_key: str


@dataclass(frozen=True, slots=True)
class Software:
    software_id: str
    pin: str
    environment: Environment
    provider_nit: str  # own software: the issuer's NIT
    provider_dv: str


@dataclass(frozen=True, slots=True)
class BillingReference:
    number: str
    cufe: str
    issue_date: date


@dataclass(frozen=True, slots=True)
class Document:
    kind: DocumentKind
    number: str  # prefix + consecutive, no separators
    issue_datetime: datetime  # aware
    supplier: Party
    customer: Party
    lines: tuple[DocumentLine, ...]
    tax_totals: tuple[TaxTotal, ...]
    totals: MonetaryTotals
    software: Software
    payment: Payment = field(default_factory=Payment)
    numbering: Numbering | None = None  # invoices: the resolution (and its technical key)
    billing_reference: BillingReference | None = None  # notes: the invoice they correct
    concept_code: str | None = None  # notes: codelists.CREDIT_NOTE_CONCEPTS / DEBIT_NOTE_CONCEPTS
    concept_description: str | None = None
    notes: tuple[str, ...] = ()
    currency: str = "COP"  # ISO 4217: every amount of the document is in it
    export: bool = False  # an export invoice: InvoiceTypeCode 02 (issue 25)
    exchange_rate: Decimal | None = None  # pesos per unit of ``currency`` (PaymentExchangeRate), when not COP

    @property
    def type_code(self) -> str:
        """cbc:InvoiceTypeCode (01 venta, 02 exportación) or the note's type code."""
        if self.kind is DocumentKind.INVOICE and self.export:
            return codelists.INVOICE_TYPE_EXPORT
        return self.kind.type_code

    @property
    def local_issue(self) -> datetime:
        return self.issue_datetime.astimezone(BOGOTA)

    @property
    def issue_date(self) -> str:
        return self.local_issue.strftime("%Y-%m-%d")

    @property
    def issue_time(self) -> str:
        """HH:MM:SS-05:00, as FAD10 requires (Colombia keeps -05:00 all year)."""
        local = self.local_issue
        offset = local.strftime("%z")
        return f"{local.strftime('%H:%M:%S')}{offset[:3]}:{offset[3:]}"

    def tax_amount(self, tax_type: str) -> Decimal:
        return sum((t.tax_amount for t in self.tax_totals if t.tax_type == tax_type), ZERO)


# How the problem of an issuer charging IVA it is not responsible for begins (einvoicing.service names it: 409).
IVA_NOT_RESPONSIBLE = "the issuer is not responsible for IVA"


class DocumentDataError(ValueError):
    """The document lacks data the DIAN requires; ``problems`` says what, one short phrase each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def person_type_of(id_type: str, stored: str | None, razon_social: str | None = None) -> PersonType | None:
    """The person type a party goes out with: the one recorded; else the one that cannot be wrong —
    natural for a document only a person holds (a cédula, a passport…), jurídica for a name that ends in
    a company's legal form ("… S.A.S.", "… Ltda."); else None, and the document is refused until it is
    given: a NIT may be a persona natural (a merchant with a RUT) as well as a jurídica, and guessing
    jurídica from it put natural persons on the DIAN's records as companies (issue 25)."""
    if stored:
        return PersonType(stored)
    return fiscal.derived_person_type(id_type, razon_social)


def _party_problems(role: str, party: Party) -> list[str]:
    out: list[str] = []
    if party.id_type not in codelists.IDENTIFICATION_TYPES:
        out.append(f"{role} identification type {party.id_type!r} is not a DIAN code")
    if party.person_type is None:
        out.append(f"{role} person type (tipoPersona: NATURAL or JURIDICA) is missing")
    elif party.person_type is PersonType.JURIDICA and party.id_type in codelists.NATURAL_PERSON_ID_TYPES:
        out.append(f"{role} is a persona jurídica but identification type {party.id_type!r} is a natural person's")
    if not party.id_number:
        out.append(f"{role} identification number is missing")
    if party.id_type == codelists.NIT:
        if party.dv is None:
            out.append(f"{role} NIT check digit is missing")
        elif not stdnum_nit.is_valid(party.id_number + party.dv):
            out.append(f"{role} NIT {party.id_number}-{party.dv} has a wrong check digit")
    if not party.razon_social.strip():
        out.append(f"{role} name (razón social) is missing")
    for code in party.responsabilidades:
        if code not in codelists.RESPONSABILIDADES:
            out.append(f"{role} responsabilidad fiscal {code!r} is not a DIAN code")
    if not party.responsabilidades:
        out.append(f"{role} responsabilidades fiscales are missing")
    if codelists.NO_RESPONSABILIDAD in party.responsabilidades and len(party.responsabilidades) > 1:
        out.append(f"{role} responsabilidad R-99-PN (no aplica) cannot go with others")
    if party.tributo not in codelists.TRIBUTOS:
        out.append(f"{role} tributo {party.tributo!r} is not a DIAN code")
    for code in party.actividad_economica:
        if code not in codelists.ciiu_codes():
            out.append(f"{role} economic activity {code!r} is not a CIIU code of the DIAN's list")
    if party.is_consumidor_final and role == "customer":
        return out  # the DIAN asks no address of the consumidor final
    if party.country_code not in codelists.countries():
        out.append(f"{role} country {party.country_code!r} is not in the DIAN's list of countries")
    if party.abroad:
        # A party abroad has a foreign address: its city (and region) as text, no DANE code (issue 25).
        if party.municipio_code or party.postal_code:
            out.append(f"{role} is abroad ({party.country_code}) and cannot have a Colombian municipality")
        if not (party.city_name or "").strip():
            out.append(f"{role} city abroad (ciudadExterior) is missing")
        if not (party.address_line or "").strip():
            out.append(f"{role} address (direccion) is missing")
        return out
    if party.id_type == "43":
        out.append(f"{role} identification type 43 (sin identificación del exterior) is for a party abroad")
    postal = codelists.postal_code_problem(party.postal_code, party.municipio_code)
    if postal is not None:
        out.append(f"{role} {postal}")
    if not party.municipio_code:
        out.append(f"{role} municipality (municipioCodigo) is missing")
    elif party.municipio is None:
        out.append(f"{role} municipality {party.municipio_code!r} is not a DANE code")
    if not (party.address_line or "").strip():
        out.append(f"{role} address (direccion) is missing")
    return out


def problems(doc: Document) -> list[str]:
    """Everything that keeps this document from being a valid DIAN document, or [] when it can be built."""
    out = _party_problems("issuer", doc.supplier) + _party_problems("customer", doc.customer)
    if doc.supplier.id_type != codelists.NIT:
        out.append("issuer must be identified by NIT")
    if doc.issue_datetime.tzinfo is None:
        out.append("issue time must carry its time zone")
    if not doc.lines:
        out.append("a document needs at least one line")
    if not doc.number or not doc.number.isalnum():
        out.append(f"document number {doc.number!r} must be letters and digits only")
    if not doc.software.software_id or not doc.software.pin:
        out.append("software id and PIN are missing")
    if doc.kind is DocumentKind.INVOICE:
        if doc.numbering is None:
            out.append("an invoice needs its numbering resolution")
        elif not doc.numbering.technical_key:
            out.append("the numbering resolution has no technical key (clave técnica)")
    else:
        if doc.billing_reference is None:
            out.append("a note must reference the invoice it corrects")
        concepts = (
            codelists.CREDIT_NOTE_CONCEPTS if doc.kind is DocumentKind.CREDIT_NOTE else codelists.DEBIT_NOTE_CONCEPTS
        )
        if doc.concept_code not in concepts:
            out.append(f"note concept {doc.concept_code!r} is not one of {', '.join(concepts)}")
    out += _currency_problems(doc)
    if doc.payment.means_code not in codelists.PAYMENT_MEANS:
        out.append(f"payment means {doc.payment.means_code!r} is not a DIAN code")
    if doc.payment.form is PaymentForm.CREDITO and doc.payment.due_date is None:
        out.append("a credit (crédito) payment needs a due date")
    if doc.supplier.tributo not in codelists.IVA_RESPONSABLE_TRIBUTOS:
        charged = [str(n) for n, line in enumerate(doc.lines, start=1) if any(t.tax_type == "IVA" for t in line.taxes)]
        if charged:
            out.append(
                f"{IVA_NOT_RESPONSIBLE} (tributo {doc.supplier.tributo}: "
                f"{codelists.TRIBUTOS.get(doc.supplier.tributo, '?')}) and cannot charge it: line {', '.join(charged)}"
            )
    for position, line in enumerate(doc.lines, start=1):
        if line.unit_code not in codelists.UNIT_CODES:
            out.append(f"line {position} unit code {line.unit_code!r} is not offered")
        if not line.description.strip():
            out.append(f"line {position} has no description")
    return out


def _currency_problems(doc: Document) -> list[str]:
    """An export invoice (issue 25): a buyer abroad, IVA-exempt lines (IVA 0 %, no INC: exports are exempt,
    art. 481 E.T.), each good's brand and model (the DIAN's FA05/FA06); a foreign currency only on an export
    invoice, with its exchange rate."""
    out: list[str] = []
    if doc.currency not in codelists.currencies():
        out.append(f"currency {doc.currency!r} is not in the DIAN's list of currencies")
    if doc.currency != codelists.COP:
        if doc.kind is DocumentKind.INVOICE and not doc.export:
            out.append(f"a foreign currency ({doc.currency}) is for an export invoice only")
        if doc.exchange_rate is None or doc.exchange_rate <= 0:
            out.append(f"the exchange rate of {doc.currency} to COP (exchangeRate) is missing")
    if not doc.export:
        return out
    if doc.kind is not DocumentKind.INVOICE:
        out.append("only an invoice can be an export invoice")
    if not doc.customer.abroad:
        out.append("an export invoice's customer is abroad (in another country)")
    for position, line in enumerate(doc.lines, start=1):
        if any(t.tax_type != "IVA" or t.rate != 0 for t in line.taxes):
            out.append(f"line {position} of an export invoice is exempt from IVA (IVA 0 %) and carries no INC")
        if not (line.brand or "").strip() or not (line.model or "").strip():
            out.append(f"line {position} of an export invoice needs its brand (marca) and model (modelo)")
    return out


def _reference_price(line: totals_mod.Line) -> Decimal:
    """A free line's declared unit value: the one given; else its list price given away at 100 % (0 when it
    has none: a line of price 0 with no reference price still goes out declared free)."""
    if line.reference_price is not None:
        return line.reference_price
    return line.unit_price


@dataclass(frozen=True, slots=True)
class Figures:
    """Lines, tax totals and monetary totals of a document, as ``Document`` takes them."""

    lines: tuple[DocumentLine, ...]
    tax_totals: tuple[TaxTotal, ...]
    totals: MonetaryTotals


@dataclass(frozen=True, slots=True)
class LineText:
    """What a line says beside its arithmetic."""

    description: str
    unit_code: str = codelists.DEFAULT_UNIT_CODE
    item_code: str | None = None
    brand: str | None = None
    model: str | None = None


def from_totals(lines: Sequence[totals_mod.Line], texts: Sequence[LineText], computed: totals_mod.Totals) -> Figures:
    """Adapt the invoices domain's computed totals (``totals.compute(lines)``) to document figures.

    The discount of a line is its gross amount (quantity × price, to the cent) less its base; the
    taxable base of the document (TaxExclusiveAmount) counts each taxed line once.
    """
    if not (len(lines) == len(texts) == len(computed.lines)):
        raise ValueError("lines, texts and computed totals must have the same length")
    doc_lines: list[DocumentLine] = []
    taxed_base = ZERO
    for line, text, figures in zip(lines, texts, computed.lines):
        gross = totals_mod.line_base(line.quantity, line.unit_price)
        taxes = tuple(LineTax(t.type.value, t.rate, figures.tax_base, t.amount) for t in figures.taxes)
        if taxes:
            taxed_base += figures.tax_base
        free = totals_mod.is_free(line)
        doc_lines.append(
            DocumentLine(
                description=text.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_extension_amount=figures.base,
                taxes=taxes,
                unit_code=text.unit_code,
                discount_percent=line.discount_percent,
                discount_amount=gross - figures.base,
                item_code=text.item_code,
                brand=text.brand,
                model=text.model,
                reference_price=_reference_price(line) if free else None,
                free=free,
            )
        )
    tax_totals = []
    for tax_type in (totals_mod.TaxType.IVA, totals_mod.TaxType.INC):
        groups = [g for g in computed.groups if g.type is tax_type]
        if groups:
            tax_totals.append(
                TaxTotal(
                    tax_type=tax_type.value,
                    tax_amount=sum((g.tax_amount for g in groups), ZERO),
                    subtotals=tuple(TaxSubtotal(g.rate, g.taxable_amount, g.tax_amount) for g in groups),
                )
            )
    monetary = MonetaryTotals(
        line_extension=computed.subtotal,
        tax_exclusive=taxed_base,
        tax_inclusive=computed.total,
        payable=computed.total,
    )
    return Figures(lines=tuple(doc_lines), tax_totals=tuple(tax_totals), totals=monetary)
