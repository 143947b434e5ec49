"""UBL 2.1 Invoice / CreditNote / DebitNote as the DIAN's Anexo Técnico asks, built with lxml.

Elements are appended in the order the OASIS schemas require (a sequence:
any other order is a schema error, DIAN rule ZB01). The second UBLExtension is
left with an empty ExtensionContent for ``signing.sign`` to fill; a document
validates against the schemas only once signed.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from nitida.einvoicing import cufe
from nitida.einvoicing.documents import (
    Document,
    DocumentDataError,
    DocumentKind,
    DocumentLine,
    Party,
    TaxTotal,
    problems,
)
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import PaymentForm, PersonType

NS_DOC = {
    DocumentKind.INVOICE: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    DocumentKind.CREDIT_NOTE: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    DocumentKind.DEBIT_NOTE: "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2",
}
ROOT_NAME = {
    DocumentKind.INVOICE: "Invoice",
    DocumentKind.CREDIT_NOTE: "CreditNote",
    DocumentKind.DEBIT_NOTE: "DebitNote",
}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
# Invoices use the 2-1 structures namespace; the DIAN's own note samples (and Odoo 19) use the v1 one for notes.
STS_INVOICE = "dian:gov:co:facturaelectronica:Structures-2-1"
STS_NOTE = "http://www.dian.gov.co/contratos/facturaelectronica/v1/Structures"

DIAN_AGENCY = "195"
DIAN_AGENCY_NAME = "CO, DIAN (Dirección de Impuestos y Aduanas Nacionales)"
DIAN_NIT, DIAN_DV = "800197268", "4"

PROFILE_ID = {
    DocumentKind.INVOICE: "DIAN 2.1: Factura Electrónica de Venta",
    DocumentKind.CREDIT_NOTE: "DIAN 2.1: Nota Crédito de Factura Electrónica de Venta",
    DocumentKind.DEBIT_NOTE: "DIAN 2.1: Nota Débito de Factura Electrónica de Venta",
}
CUSTOMIZATION_ID = {
    DocumentKind.INVOICE: codelists.CUSTOMIZATION_INVOICE,
    DocumentKind.CREDIT_NOTE: codelists.CUSTOMIZATION_CREDIT_NOTE,
    DocumentKind.DEBIT_NOTE: codelists.CUSTOMIZATION_DEBIT_NOTE,
}


REFERENCE_PRICE_CODE = "01"  # Valor comercial: a gift's or sample's value in trade


def sts_namespace(kind: DocumentKind) -> str:
    return STS_INVOICE if kind is DocumentKind.INVOICE else STS_NOTE


def _money(value: Decimal) -> str:
    return cufe.amount(value)


def _percent(value: Decimal) -> str:
    # "19.00": the DIAN rejects three decimals (FAS01b).
    return _money(value)


def _quantity(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.sts = sts_namespace(doc.kind)

    # element helpers
    def cbc(self, parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{CBC}}}{name}", {k: v for k, v in attrs.items()})
        if text is not None:
            el.text = text
        return el

    def cac(self, parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{name}")

    def sts_el(self, parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.sts}}}{name}", attrs)
        if text is not None:
            el.text = text
        return el

    def amount(self, parent: etree._Element, name: str, value: Decimal) -> etree._Element:
        return self.cbc(parent, name, _money(value), currencyID=self.doc.currency)

    # the document
    def build(self, key: str) -> etree._Element:
        doc = self.doc
        kind = doc.kind
        nsmap = {
            None: NS_DOC[kind],
            "cac": CAC,
            "cbc": CBC,
            "ext": EXT,
            "sts": self.sts,
            "ds": DS,
            "xades": XADES,
        }
        # The default namespace is keyed None, as lxml wants it (its stubs say str only).
        root = etree.Element(f"{{{NS_DOC[kind]}}}{ROOT_NAME[kind]}", nsmap=nsmap)  # type: ignore[arg-type]
        self.extensions(root, key)
        self.cbc(root, "UBLVersionID", "UBL 2.1")
        self.cbc(root, "CustomizationID", CUSTOMIZATION_ID[kind])
        self.cbc(root, "ProfileID", PROFILE_ID[kind])
        self.cbc(root, "ProfileExecutionID", doc.software.environment.code)
        self.cbc(root, "ID", doc.number)
        self.cbc(
            root,
            "UUID",
            key,
            schemeID=doc.software.environment.code,
            schemeName="CUFE-SHA384" if kind is DocumentKind.INVOICE else "CUDE-SHA384",
        )
        self.cbc(root, "IssueDate", doc.issue_date)
        self.cbc(root, "IssueTime", doc.issue_time)
        if kind is DocumentKind.INVOICE:
            if doc.payment.due_date is not None:
                self.cbc(root, "DueDate", doc.payment.due_date.isoformat())
            self.cbc(root, "InvoiceTypeCode", doc.type_code)
            for note in doc.notes:
                self.cbc(root, "Note", note)
        elif kind is DocumentKind.CREDIT_NOTE:
            self.cbc(root, "CreditNoteTypeCode", kind.type_code)
            for note in doc.notes:
                self.cbc(root, "Note", note)
        else:  # UBL 2.1 DebitNote has no type code element
            for note in doc.notes:
                self.cbc(root, "Note", note)
        self.cbc(root, "DocumentCurrencyCode", doc.currency)
        self.cbc(root, "LineCountNumeric", str(len(doc.lines)))
        if kind is not DocumentKind.INVOICE:
            self.discrepancy_and_reference(root)
        self.party(root, "AccountingSupplierParty", doc.supplier, supplier=True)
        self.party(root, "AccountingCustomerParty", doc.customer, supplier=False)
        self.payment_means(root)
        self.exchange_rate(root)
        for tax_total in doc.tax_totals:
            self.tax_total(root, tax_total)
        self.monetary_total(root)
        for position, line in enumerate(doc.lines, start=1):
            self.line(root, position, line)
        return root

    def extensions(self, root: etree._Element, key: str) -> None:
        doc = self.doc
        exts = etree.SubElement(root, f"{{{EXT}}}UBLExtensions")
        content = etree.SubElement(etree.SubElement(exts, f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent")
        dian = self.sts_el(content, "DianExtensions")
        if doc.kind is DocumentKind.INVOICE and doc.numbering is not None:
            control = self.sts_el(dian, "InvoiceControl")
            self.sts_el(control, "InvoiceAuthorization", doc.numbering.resolution_number)
            period = self.sts_el(control, "AuthorizationPeriod")
            self.cbc(period, "StartDate", doc.numbering.valid_from.isoformat())
            self.cbc(period, "EndDate", doc.numbering.valid_to.isoformat())
            authorized = self.sts_el(control, "AuthorizedInvoices")
            if doc.numbering.prefix:
                self.sts_el(authorized, "Prefix", doc.numbering.prefix)
            self.sts_el(authorized, "From", str(doc.numbering.range_from))
            self.sts_el(authorized, "To", str(doc.numbering.range_to))
        source = self.sts_el(dian, "InvoiceSource")
        self.cbc(
            source,
            "IdentificationCode",
            "CO",
            listAgencyID="6",
            listAgencyName="United Nations Economic Commission for Europe",
            listSchemeURI="urn:oasis:names:specification:ubl:codelist:gc:CountryIdentificationCode-2.1",
        )
        provider = self.sts_el(dian, "SoftwareProvider")
        software = doc.software
        self.sts_el(
            provider,
            "ProviderID",
            software.provider_nit,
            schemeAgencyID=DIAN_AGENCY,
            schemeAgencyName=DIAN_AGENCY_NAME,
            schemeID=software.provider_dv,
            schemeName=codelists.NIT,
        )
        self.sts_el(
            provider, "SoftwareID", software.software_id, schemeAgencyID=DIAN_AGENCY, schemeAgencyName=DIAN_AGENCY_NAME
        )
        self.sts_el(
            dian,
            "SoftwareSecurityCode",
            cufe.software_security_code(software.software_id, software.pin, doc.number),
            schemeAgencyID=DIAN_AGENCY,
            schemeAgencyName=DIAN_AGENCY_NAME,
        )
        authorization = self.sts_el(dian, "AuthorizationProvider")
        self.sts_el(
            authorization,
            "AuthorizationProviderID",
            DIAN_NIT,
            schemeAgencyID=DIAN_AGENCY,
            schemeAgencyName=DIAN_AGENCY_NAME,
            schemeID=DIAN_DV,
            schemeName=codelists.NIT,
        )
        self.sts_el(dian, "QRCode", cufe.qr_url(key, software.environment))
        # The second extension holds the XAdES signature (signing.sign).
        etree.SubElement(etree.SubElement(exts, f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent")

    def discrepancy_and_reference(self, root: etree._Element) -> None:
        doc = self.doc
        ref = doc.billing_reference
        assert ref is not None and doc.concept_code is not None
        concepts = (
            codelists.CREDIT_NOTE_CONCEPTS if doc.kind is DocumentKind.CREDIT_NOTE else codelists.DEBIT_NOTE_CONCEPTS
        )
        discrepancy = self.cac(root, "DiscrepancyResponse")
        self.cbc(discrepancy, "ReferenceID", ref.number)
        self.cbc(discrepancy, "ResponseCode", doc.concept_code)
        self.cbc(discrepancy, "Description", doc.concept_description or concepts[doc.concept_code])
        billing = self.cac(root, "BillingReference")
        invoice_ref = self.cac(billing, "InvoiceDocumentReference")
        self.cbc(invoice_ref, "ID", ref.number)
        self.cbc(invoice_ref, "UUID", ref.cufe, schemeName="CUFE-SHA384")
        self.cbc(invoice_ref, "IssueDate", ref.issue_date.isoformat())

    def company_id(self, parent: etree._Element, name: str, party: Party) -> None:
        attrs = {"schemeAgencyID": DIAN_AGENCY, "schemeAgencyName": DIAN_AGENCY_NAME}
        if party.id_type == codelists.NIT and party.dv is not None:
            attrs["schemeID"] = party.dv
        attrs["schemeName"] = party.id_type
        self.cbc(parent, name, party.id_number, **attrs)

    def address(self, parent: etree._Element, name: str, party: Party) -> None:
        if party.abroad:
            self.address_abroad(parent, name, party)
            return
        municipio = party.municipio
        assert municipio is not None
        address = self.cac(parent, name)
        self.cbc(address, "ID", municipio.code)
        self.cbc(address, "CityName", municipio.name)
        if party.postal_code:
            self.cbc(address, "PostalZone", party.postal_code)
        self.cbc(address, "CountrySubentity", municipio.departamento)
        self.cbc(address, "CountrySubentityCode", municipio.departamento_code)
        line = self.cac(address, "AddressLine")
        self.cbc(line, "Line", party.address_line or "")
        country = self.cac(address, "Country")
        self.cbc(country, "IdentificationCode", party.country_code)
        self.cbc(country, "Name", "Colombia", languageID="es")

    def address_abroad(self, parent: etree._Element, name: str, party: Party) -> None:
        """A foreign address (issue 25): its city and region as text, its line and country; no DANE code,
        department or postal code (the pattern the DIAN confirms for a non-resident in its DS annex)."""
        address = self.cac(parent, name)
        self.cbc(address, "CityName", (party.city_name or "").strip())
        if (party.region or "").strip():
            self.cbc(address, "CountrySubentity", (party.region or "").strip())
        line = self.cac(address, "AddressLine")
        self.cbc(line, "Line", party.address_line or "")
        country = self.cac(address, "Country")
        self.cbc(country, "IdentificationCode", party.country_code)
        self.cbc(country, "Name", codelists.countries()[party.country_code], languageID="es")

    def party(self, root: etree._Element, role: str, party: Party, *, supplier: bool) -> None:
        holder = self.cac(root, role)
        assert party.person_type is not None  # documents.problems refuses a party without one
        self.cbc(holder, "AdditionalAccountID", party.person_type.code, schemeAgencyID=DIAN_AGENCY)
        p = self.cac(holder, "Party")
        final = (not supplier) and party.is_consumidor_final
        if supplier and party.actividad_economica:
            self.cbc(p, "IndustryClassificationCode", ";".join(party.actividad_economica))
        if party.person_type is PersonType.NATURAL and not supplier:
            identification = self.cac(p, "PartyIdentification")
            self.company_id(identification, "ID", party)
        name = self.cac(p, "PartyName")
        self.cbc(name, "Name", party.nombre_comercial or party.razon_social)
        if not final:
            location = self.cac(p, "PhysicalLocation")
            self.address(location, "Address", party)
        tax_scheme = self.cac(p, "PartyTaxScheme")
        self.cbc(tax_scheme, "RegistrationName", party.razon_social)
        self.company_id(tax_scheme, "CompanyID", party)
        # listName: 48 responsable de IVA, 49 no responsable.
        list_name = "48" if party.tributo in ("01", "ZA") else "49"
        self.cbc(tax_scheme, "TaxLevelCode", ";".join(party.responsabilidades), listName=list_name)
        if not final:
            self.address(tax_scheme, "RegistrationAddress", party)
        scheme = self.cac(tax_scheme, "TaxScheme")
        self.cbc(scheme, "ID", party.tributo)
        self.cbc(scheme, "Name", codelists.TRIBUTOS[party.tributo])
        if not final:
            legal = self.cac(p, "PartyLegalEntity")
            self.cbc(legal, "RegistrationName", party.razon_social)
            self.company_id(legal, "CompanyID", party)
            if supplier and self.doc.numbering is not None and self.doc.numbering.prefix:
                registration = self.cac(legal, "CorporateRegistrationScheme")
                self.cbc(registration, "ID", self.doc.numbering.prefix)
        if party.email or party.phone:
            contact = self.cac(p, "Contact")
            if party.phone:
                self.cbc(contact, "Telephone", party.phone)
            if party.email:
                self.cbc(contact, "ElectronicMail", party.email)

    def payment_means(self, root: etree._Element) -> None:
        payment = self.doc.payment
        means = self.cac(root, "PaymentMeans")
        self.cbc(means, "ID", payment.form.code)
        self.cbc(means, "PaymentMeansCode", payment.means_code)
        if payment.form is PaymentForm.CREDITO and payment.due_date is not None:
            self.cbc(means, "PaymentDueDate", payment.due_date.isoformat())

    def exchange_rate(self, root: etree._Element) -> None:
        """A document in a foreign currency says what one unit of it is worth in pesos, as the DIAN's export
        sample does and its rules M01-M06 check: source = the document's currency at 1.00, target COP at 1.00,
        the rate and its date."""
        doc = self.doc
        if doc.currency == codelists.COP or doc.exchange_rate is None:
            return
        rate = self.cac(root, "PaymentExchangeRate")
        self.cbc(rate, "SourceCurrencyCode", doc.currency)
        self.cbc(rate, "SourceCurrencyBaseRate", "1.00")
        self.cbc(rate, "TargetCurrencyCode", codelists.COP)
        self.cbc(rate, "TargetCurrencyBaseRate", "1.00")
        self.cbc(rate, "CalculationRate", _money(doc.exchange_rate))
        self.cbc(rate, "Date", doc.issue_date)

    def tax_scheme(self, parent: etree._Element, tax_type: str) -> None:
        scheme_id, scheme_name = codelists.TAX_SCHEMES[tax_type]
        scheme = self.cac(parent, "TaxScheme")
        self.cbc(scheme, "ID", scheme_id)
        self.cbc(scheme, "Name", scheme_name)

    def tax_total(self, parent: etree._Element, tax_total: TaxTotal) -> None:
        total = self.cac(parent, "TaxTotal")
        self.amount(total, "TaxAmount", tax_total.tax_amount)
        for sub in tax_total.subtotals:
            subtotal = self.cac(total, "TaxSubtotal")
            self.amount(subtotal, "TaxableAmount", sub.taxable_amount)
            self.amount(subtotal, "TaxAmount", sub.tax_amount)
            category = self.cac(subtotal, "TaxCategory")
            self.cbc(category, "Percent", _percent(sub.rate))
            self.tax_scheme(category, tax_total.tax_type)

    def monetary_total(self, root: etree._Element) -> None:
        totals = self.doc.totals
        name = "RequestedMonetaryTotal" if self.doc.kind is DocumentKind.DEBIT_NOTE else "LegalMonetaryTotal"
        node = self.cac(root, name)
        self.amount(node, "LineExtensionAmount", totals.line_extension)
        self.amount(node, "TaxExclusiveAmount", totals.tax_exclusive)
        self.amount(node, "TaxInclusiveAmount", totals.tax_inclusive)
        self.amount(node, "AllowanceTotalAmount", totals.allowance_total)
        self.amount(node, "ChargeTotalAmount", totals.charge_total)
        if totals.prepaid:
            self.amount(node, "PrepaidAmount", totals.prepaid)
        self.amount(node, "PayableAmount", totals.payable)

    def line(self, root: etree._Element, position: int, line: DocumentLine) -> None:
        kind = self.doc.kind
        element, quantity_name = {
            DocumentKind.INVOICE: ("InvoiceLine", "InvoicedQuantity"),
            DocumentKind.CREDIT_NOTE: ("CreditNoteLine", "CreditedQuantity"),
            DocumentKind.DEBIT_NOTE: ("DebitNoteLine", "DebitedQuantity"),
        }[kind]
        node = self.cac(root, element)
        self.cbc(node, "ID", str(position))
        self.cbc(node, quantity_name, _quantity(line.quantity), unitCode=line.unit_code)
        self.amount(node, "LineExtensionAmount", line.line_extension_amount)
        # Invoice lines always say whether they are free; a credit note's line only when it is (a gift credited
        # back); UBL 2.1 DebitNoteLine has no such element.
        if kind is DocumentKind.INVOICE or (kind is DocumentKind.CREDIT_NOTE and line.free):
            self.cbc(node, "FreeOfChargeIndicator", "true" if line.free else "false")
        if line.free and line.reference_price is not None:
            self.pricing_reference(node, line.reference_price)
        # Invoice lines put the discount before the taxes; credit and debit note lines the other way round.
        if kind is DocumentKind.INVOICE:
            self.line_discount(node, line)
            self.line_taxes(node, line)
        else:
            self.line_taxes(node, line)
            self.line_discount(node, line)
        item = self.cac(node, "Item")
        self.cbc(item, "Description", line.description)
        if line.brand:
            self.cbc(item, "BrandName", line.brand)
        if line.model:
            self.cbc(item, "ModelName", line.model)
        if line.item_code:
            standard = self.cac(item, "StandardItemIdentification")
            self.cbc(
                standard, "ID", line.item_code, schemeID="999", schemeName="Estándar de adopción del contribuyente"
            )
        price = self.cac(node, "Price")
        self.amount(price, "PriceAmount", line.unit_price)
        # The quantity the price is multiplied by: PriceAmount × BaseQuantity − discounts = the line's amount
        # (the DIAN's FAV06). It was always 1, so every discounted line was notified.
        self.cbc(price, "BaseQuantity", _quantity(line.quantity), unitCode=line.unit_code)

    def pricing_reference(self, node: etree._Element, reference_price: Decimal) -> None:
        """A free line's commercial value (Anexo 1.9, the DIAN's samples): PriceTypeCode 01 "Valor comercial"
        of the list CodigoPrecioReferencia (01 comercial, 02 en inventarios, 03 otro valor)."""
        alternative = self.cac(self.cac(node, "PricingReference"), "AlternativeConditionPrice")
        self.amount(alternative, "PriceAmount", reference_price)
        self.cbc(alternative, "PriceTypeCode", REFERENCE_PRICE_CODE)
        self.cbc(alternative, "PriceType", codelists.REFERENCE_PRICE_TYPES[REFERENCE_PRICE_CODE])

    def line_discount(self, node: etree._Element, line: DocumentLine) -> None:
        if not line.discount_amount:
            return
        allowance = self.cac(node, "AllowanceCharge")
        self.cbc(allowance, "ID", "1")
        self.cbc(allowance, "ChargeIndicator", "false")
        self.cbc(allowance, "AllowanceChargeReasonCode", "11")  # "Otro descuento"
        self.cbc(allowance, "AllowanceChargeReason", "Descuento")
        self.cbc(allowance, "MultiplierFactorNumeric", _percent(line.discount_percent))
        self.amount(allowance, "Amount", line.discount_amount)
        self.amount(allowance, "BaseAmount", line.gross_amount)

    def line_taxes(self, node: etree._Element, line: DocumentLine) -> None:
        for tax_type in ("IVA", "INC"):
            taxes = [t for t in line.taxes if t.tax_type == tax_type]
            if not taxes:
                continue
            total = self.cac(node, "TaxTotal")
            self.amount(total, "TaxAmount", sum((t.tax_amount for t in taxes), Decimal(0)))
            for tax in taxes:
                subtotal = self.cac(total, "TaxSubtotal")
                self.amount(subtotal, "TaxableAmount", tax.taxable_amount)
                self.amount(subtotal, "TaxAmount", tax.tax_amount)
                category = self.cac(subtotal, "TaxCategory")
                self.cbc(category, "Percent", _percent(tax.rate))
                self.tax_scheme(category, tax_type)


def build(doc: Document) -> etree._Element:
    """The unsigned UBL document (root element); raises DocumentDataError listing what is missing."""
    found = problems(doc)
    if found:
        raise DocumentDataError(found)
    key = cufe.document_key(doc)
    return _Builder(doc).build(key)


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
