"""The tenant's issuer data and electronic-invoicing settings, and signing an issued invoice.

A tenant is *configured* when it has an ``einvoicing_settings`` row: from then on each
invoice it issues is built, signed and stored in the issuing transaction (``sign_invoice``).
Secrets are encrypted with ``secrets_box`` under NITIDA_SECRET_KEY, in a context naming the
tenant and the field, so a value copied to another tenant or column does not decrypt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lxml import etree
from sqlalchemy import select

from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import Conflict, FieldError
from nitida.customers.models import Customer
from nitida.einvoicing import certificates, documents, emit, secrets_box, signed
from nitida.einvoicing.configuration import _context, find_issuer, find_settings
from nitida.einvoicing.models import ElectronicSettings, Issuer
from nitida.invoices import totals
from nitida.invoices.models import Invoice, NumberingResolution
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import ElectronicStatus, Environment, PaymentForm

# --- signing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signer:
    """What a configured tenant signs with: its issuer data, software, PIN and certificate."""

    settings: ElectronicSettings
    supplier: documents.Party
    software: documents.Software
    certificate: certificates.Certificate


def signer(session: TenantSession, secret_key: str | None, *, lock: bool = False) -> Signer | None:
    """The tenant's signer, or None when it has no electronic-invoicing settings.

    409 when settings exist but the issuer's data is missing, the certificate has expired, or the
    stored secrets no longer decrypt (NITIDA_SECRET_KEY changed). ``lock`` takes the settings row
    FOR UPDATE (note numbering).
    """
    row = find_settings(session, for_update=lock)
    if row is None:
        return None
    if secret_key is None:
        raise RuntimeError("a configured tenant's documents need the service's secret key to be signed")
    issuer = find_issuer(session)
    if issuer is None:
        raise Conflict(
            "Electronic invoicing is configured but the issuer's fiscal data is missing: PUT /billing/issuer first.",
            slug="electronic-data-missing",
        )
    try:
        pin = secrets_box.decrypt_text(secret_key, row.software_pin_encrypted, _context(session, "softwarePin"))
        p12 = secrets_box.decrypt(secret_key, row.certificate_encrypted, _context(session, "certificateP12"))
        password = secrets_box.decrypt_text(
            secret_key, row.certificate_password_encrypted, _context(session, "certificatePassword")
        )
    except secrets_box.SecretDecryptionError:
        raise Conflict(
            "The stored certificate and PIN cannot be decrypted with the current NITIDA_SECRET_KEY: "
            "send them again with PUT /billing/electronic-invoicing.",
            slug="electronic-secrets-unreadable",
        ) from None
    try:
        certificate = certificates.load_p12(p12, password)
    except certificates.CertificateError as exc:
        raise Conflict(
            f"The signing certificate cannot be used ({exc}): upload a current one with "
            "PUT /billing/electronic-invoicing.",
            slug="certificate-unusable",
        ) from None
    supplier = issuer_party(issuer)
    software = documents.Software(
        software_id=row.software_id,
        pin=pin,
        environment=row.environment,
        provider_nit=issuer.nit,  # own software: the issuer is its provider
        provider_dv=issuer.dv,
    )
    return Signer(settings=row, supplier=supplier, software=software, certificate=certificate)


def issuer_party(issuer: Issuer) -> documents.Party:
    """The tenant as the seller of its documents."""
    return documents.Party(
        person_type=issuer.tipo_persona,
        id_type=codelists.NIT,
        id_number=issuer.nit,
        dv=issuer.dv,
        razon_social=issuer.razon_social,
        nombre_comercial=issuer.nombre_comercial,
        responsabilidades=tuple(issuer.responsabilidades_fiscales),
        tributo=issuer.tributo,
        municipio_code=issuer.municipio_codigo,
        address_line=issuer.direccion,
        postal_code=issuer.codigo_postal,
        email=issuer.email,
        phone=issuer.telefono,
        actividad_economica=tuple(issuer.actividad_economica),
    )


_BUYER_FIELDS = (
    "tipo_documento",
    "nit",
    "dv",
    "razon_social",
    "tipo_persona",
    "responsabilidades_fiscales",
    "tributo",
    "municipio_codigo",
    "direccion",
    "codigo_postal",
    "email",
    "pais_codigo",
    "ciudad_exterior",
    "region_exterior",
)


def _signed_customer_person_type(signed_xml: bytes) -> documents.PersonType | None:
    code = etree.fromstring(signed_xml).findtext(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}AccountingCustomerParty/"
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}AdditionalAccountID"
    )
    return {"1": documents.PersonType.JURIDICA, "2": documents.PersonType.NATURAL}.get(code or "")


def customer_party(invoice: Invoice, customer: Customer | None = None) -> documents.Party:
    """The buyer as the invoice's snapshot (taken at issue) describes it, or — a draft, which has no
    snapshot yet — as ``customer`` is now."""
    if invoice.customer_nit is not None:
        buyer = {f: getattr(invoice, f"customer_{f}") for f in _BUYER_FIELDS}
    else:
        assert customer is not None  # a draft's buyer is its customer as it is now
        buyer = {f: getattr(customer, f) for f in _BUYER_FIELDS}
    tipo = buyer["tipo_documento"]
    assert tipo is not None and buyer["nit"] is not None
    if buyer["nit"] == codelists.CONSUMIDOR_FINAL_NUMBER:
        return documents.Party.consumidor_final(email=buyer["email"])
    person = documents.person_type_of(tipo.codigo, buyer["tipo_persona"], buyer["razon_social"])
    if person is None and invoice.signed_xml is not None:
        # Issued before the person type was asked: the notes of that invoice say what it said.
        person = _signed_customer_person_type(invoice.signed_xml)
    return documents.Party(
        person_type=person,
        id_type=tipo.codigo,
        id_number=buyer["nit"],
        dv=buyer["dv"],
        razon_social=buyer["razon_social"] or "",
        responsabilidades=tuple(buyer["responsabilidades_fiscales"] or ("R-99-PN",)),
        tributo=buyer["tributo"] or "ZZ",
        municipio_code=buyer["municipio_codigo"],
        address_line=buyer["direccion"],
        postal_code=buyer["codigo_postal"],
        email=buyer["email"],
        # Issued before buyers abroad were recorded: Colombian.
        country_code=buyer["pais_codigo"] or codelists.COLOMBIA,
        city_name=buyer["ciudad_exterior"],
        region=buyer["region_exterior"],
    )


def payment_of(invoice: Invoice) -> documents.Payment:
    method = invoice.payment_method.value if invoice.payment_method else None
    credit = invoice.payment_form is PaymentForm.CREDITO
    return documents.Payment(
        form=documents.PaymentForm.CREDITO if credit else documents.PaymentForm.CONTADO,
        # No method chosen on the draft: "1", instrumento no definido.
        means_code=codelists.PAYMENT_MEANS_BY_METHOD[method] if method else "1",
        due_date=invoice.due_date if credit else None,
    )


def figures(lines: list[totals.Line], descriptions: list[str] | list[documents.LineText]) -> documents.Figures:
    computed = totals.compute(lines)
    texts = [d if isinstance(d, documents.LineText) else documents.LineText(d) for d in descriptions]
    return documents.from_totals(lines, texts, computed)


def emit_or_409(doc: documents.Document, certificate: certificates.Certificate, what: str) -> emit.Emitted:
    """Build and sign; missing data is a 409 listing each problem (nothing is stored: the caller's
    transaction rolls back with the error)."""
    try:
        return emit.emit(doc, certificate)
    except documents.DocumentDataError as exc:
        regime = [p for p in exc.problems if p.startswith(documents.IVA_NOT_RESPONSIBLE)]
        if regime:
            # Not missing data: the issuer's régimen and the document's taxes disagree (issue 25).
            raise Conflict(
                f"{what} cannot be issued as an electronic document: {regime[0]}. Remove the IVA from those lines, "
                "or correct the issuer's tributo (PUT /billing/issuer) if it is responsible for IVA.",
                slug="iva-issuer-not-responsible",
            ) from None
        raise Conflict(
            f"{what} cannot be issued as an electronic document; missing or invalid: " + "; ".join(exc.problems) + ".",
            errors=[FieldError(field=p.split(" ", 1)[0], message=p) for p in exc.problems],
            slug="electronic-data-missing",
        ) from None


def sign_invoice(
    session: TenantSession, invoice: Invoice, resolution: NumberingResolution, *, secret_key: str | None
) -> None:
    """For a configured tenant: build, sign and store the just-numbered invoice (same transaction).

    Unconfigured: the invoice stays NOT_APPLICABLE, as before electronic invoicing existed.
    """
    found = signer(session, secret_key)
    if found is None:
        invoice.electronic_status = ElectronicStatus.NOT_APPLICABLE
        return
    assert invoice.number is not None and invoice.issued_at is not None
    require_resolution_environment(resolution, found.settings.environment)
    doc = invoice_document(invoice, resolution, found.supplier, found.software, customer_party(invoice))
    emitted = emit_or_409(doc, found.certificate, f"Invoice {invoice.number}")
    invoice.signed_xml = emitted.xml
    invoice.cufe = emitted.document_key
    invoice.qr_data = emitted.qr_data
    invoice.electronic_status = ElectronicStatus.SIGNED


def require_resolution_environment(resolution: NumberingResolution, environment: Environment) -> None:
    """409 when the resolution belongs to the other DIAN environment (issue 25): a business in producción never
    signs under the habilitación test-set resolution, nor a business in habilitación under a real one."""
    if resolution.environment is not environment:
        raise Conflict(
            f"Resolution {resolution.resolution_number} (prefix {resolution.prefix or 'none'}) is for "
            f"{resolution.environment.value} and the business issues in {environment.value}: choose a resolution of "
            f"{environment.value} for the invoice (register it, with its technical key, if the DIAN gave you one).",
            slug="resolution-environment-mismatch",
        )


def invoice_document(
    invoice: Invoice,
    resolution: NumberingResolution,
    supplier: documents.Party,
    software: documents.Software,
    buyer: documents.Party,
) -> documents.Document:
    """The electronic document of an invoice: the one signed at issue, and the one its PDF prints.
    A draft has no number yet (empty) and is dated now."""
    rows = list(invoice.lines)
    fig = figures(
        [totals.Line(r.quantity, r.unit_price, r.discount_percent, _taxes(r.taxes), r.reference_price) for r in rows],
        [documents.LineText(r.description, brand=r.brand, model=r.model) for r in rows],
    )
    return documents.Document(
        kind=documents.DocumentKind.INVOICE,
        number=invoice.number or "",
        issue_datetime=invoice.issued_at or utcnow(),
        supplier=supplier,
        customer=buyer,
        lines=fig.lines,
        tax_totals=fig.tax_totals,
        totals=fig.totals,
        software=software,
        payment=payment_of(invoice),
        numbering=documents.Numbering(
            resolution_number=resolution.resolution_number,
            valid_from=resolution.valid_from,
            valid_to=resolution.valid_to,
            prefix=resolution.prefix,
            range_from=resolution.range_from,
            range_to=resolution.range_to,
            technical_key=resolution.technical_key or "",
        ),
        notes=(invoice.notes,) if invoice.notes else (),
        currency=invoice.currency,
        export=invoice.export,
        exchange_rate=invoice.exchange_rate,
    )


def printed_invoice_document(session: TenantSession, invoice: Invoice) -> documents.Document | None:
    """The document the representación gráfica of ``invoice`` prints, or None when there is none to print:
    the business has no issuer data or no electronic-invoicing settings, or the invoice was issued
    before it had them (not an electronic invoice). A draft prints as it would be issued now.

    Printing needs no secret: the PIN (only in the CUFE's input) is left empty and nothing is signed.
    """
    settings, issuer = find_settings(session), find_issuer(session)
    if settings is None or issuer is None:
        return None
    draft = invoice.number is None
    if not draft and invoice.cufe is None:
        return None
    resolution = session.scalar(select(NumberingResolution).where(NumberingResolution.id == invoice.resolution_id))
    assert resolution is not None  # the foreign key guarantees it
    customer = session.scalar(select(Customer).where(Customer.id == invoice.customer_id)) if draft else None
    software = documents.Software(
        software_id=settings.software_id,
        pin="",
        environment=settings.environment,
        provider_nit=issuer.nit,
        provider_dv=issuer.dv,
    )
    doc = invoice_document(invoice, resolution, issuer_party(issuer), software, customer_party(invoice, customer))
    if draft or invoice.signed_xml is None:
        return doc
    # Print from what was signed: the issuer, buyer and resolution of the signed XML (issue 25).
    return signed.as_signed(doc, invoice.signed_xml)


def _taxes(raw: list[dict[str, Any]]) -> tuple[totals.Tax, ...]:
    return tuple(totals.Tax(totals.TaxType(t["type"]), Decimal(t["rate"])) for t in raw)
