"""The DIAN validation rules that can be checked offline, on documents our builder produces.

Each test is named after the rule of the Anexo Técnico it mirrors (ids of the
v1.8 rule set, see ../shared/notes/dian-implementation.md §3.7; the condition is
what counts, the id is a label). The checks read only the signed XML, plus the
two secrets the XML cannot show (technical key, software PIN).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from stdnum.co import nit as stdnum_nit

from fixtures.einvoicing import (
    CUSTOMER_COMPANY,
    CUSTOMER_FINAL,
    CUSTOMER_PERSON,
    NUMBERING,
    SOFTWARE_PIN,
    TECHNICAL_KEY,
    assert_schema_valid,
    demo_certificate,
    line,
    make_document,
)
from nitida.einvoicing import codelists, cufe, signing, ubl
from nitida.einvoicing.documents import BillingReference, Document, DocumentKind, Payment, PaymentForm
from nitida.invoices import totals as totals_mod

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xades": "http://uri.etsi.org/01903/v1.3.2#",
}
CENT = Decimal("0.01")
INVOICE_REFERENCE = BillingReference(
    "SETP990000101",
    "3f0c1b2a" * 12,
    dt.date(2026, 11, 20),
)

DOCUMENTS = {
    "invoice-mixed-taxes-discounts": lambda: make_document(),
    "invoice-consumidor-final": lambda: make_document(
        number="SETP990000102",
        customer=CUSTOMER_FINAL,
        lines=(line("Resma papel carta", "2", "11900.00", taxes=(("IVA", "19"),)),),
        payment=Payment(PaymentForm.CONTADO, "10"),
    ),
    "invoice-natural-person-credito": lambda: make_document(
        number="SETP990000103",
        customer=CUSTOMER_PERSON,
        lines=(
            line("Cena para dos", "1", "120000.00", taxes=(("INC", "8"),)),
            line("Vino de la casa", "2", "45000.00", discount="12.5", taxes=(("IVA", "19"),)),
        ),
        payment=Payment(PaymentForm.CREDITO, "48", dt.date(2026, 12, 25)),
    ),
    "credit-note-anulacion": lambda: make_document(
        DocumentKind.CREDIT_NOTE, number="NC1", concept="2", reference=INVOICE_REFERENCE
    ),
    "credit-note-devolucion-parcial-consumidor-final": lambda: make_document(
        DocumentKind.CREDIT_NOTE,
        number="NC2",
        customer=CUSTOMER_FINAL,
        lines=(line("Resma papel carta", "1", "11900.00", taxes=(("IVA", "19"),)),),
        concept="1",
        reference=INVOICE_REFERENCE,
    ),
    "debit-note-intereses": lambda: make_document(
        DocumentKind.DEBIT_NOTE,
        number="ND1",
        lines=(line("Intereses de mora noviembre", "1", "35000.00", taxes=(("IVA", "19"),)),),
        concept="1",
        reference=INVOICE_REFERENCE,
    ),
}


class Produced:
    """A document as built and signed, with its parsed XML."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.xml = signing.sign(ubl.build(doc), demo_certificate())
        self.root = etree.fromstring(self.xml)
        self.kind = doc.kind

    def text(self, path: str, node: etree._Element | None = None) -> str:
        found = (self.root if node is None else node).find(path, NS)
        assert found is not None, f"missing {path}"
        return (found.text or "").strip()

    def all(self, path: str, node: etree._Element | None = None) -> list[etree._Element]:
        return (self.root if node is None else node).findall(path, NS)

    @property
    def sts(self) -> dict[str, str]:
        return {"sts": ubl.sts_namespace(self.kind)}

    def sts_text(self, path: str) -> str:
        found = self.root.find(path, self.sts)
        assert found is not None, f"missing {path}"
        return (found.text or "").strip()

    @property
    def totals_node(self) -> etree._Element:
        name = "cac:RequestedMonetaryTotal" if self.kind is DocumentKind.DEBIT_NOTE else "cac:LegalMonetaryTotal"
        return self.root.find(name, NS)

    @property
    def lines(self) -> list[etree._Element]:
        name = {"INVOICE": "InvoiceLine", "CREDIT_NOTE": "CreditNoteLine", "DEBIT_NOTE": "DebitNoteLine"}
        return self.all(f"cac:{name[self.kind.value]}")

    def parties(self) -> list[tuple[str, etree._Element]]:
        return [
            ("supplier", self.root.find("cac:AccountingSupplierParty", NS)),
            ("customer", self.root.find("cac:AccountingCustomerParty", NS)),
        ]


def money(node: etree._Element, path: str) -> Decimal:
    found = node.find(path, NS)
    assert found is not None, f"missing {path}"
    return Decimal(found.text)


@pytest.fixture(scope="module", params=sorted(DOCUMENTS), ids=sorted(DOCUMENTS))
def produced(request) -> Produced:
    return Produced(DOCUMENTS[request.param]())


# ---------------------------------------------------------------- rule checks
# Each check raises AssertionError when the rule is broken; the property tests reuse them.


def check_schema_valid(p: Produced) -> None:
    assert_schema_valid(p.root)


def check_FAB03_one_dian_extension_then_the_signature(p: Produced) -> None:
    contents = p.all("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent")
    assert len(contents) == 2
    assert [etree.QName(c).localname for c in contents[0]] == ["DianExtensions"]
    assert etree.QName(contents[0][0]).namespace == ubl.sts_namespace(p.kind)
    assert [etree.QName(c).localname for c in contents[1]] == ["Signature"]


def check_FAD01_to_FAD04_header(p: Produced) -> None:
    assert p.text("cbc:UBLVersionID") == "UBL 2.1"
    expected_customization = {"INVOICE": "10", "CREDIT_NOTE": "20", "DEBIT_NOTE": "30"}[p.kind.value]
    assert p.text("cbc:CustomizationID") == expected_customization
    profile = p.text("cbc:ProfileID")
    assert profile.startswith("DIAN 2.1")
    if p.kind is DocumentKind.INVOICE:
        assert profile == "DIAN 2.1: Factura Electrónica de Venta"
    assert p.text("cbc:ProfileExecutionID") in {"1", "2"}


def check_FAD06_uuid_is_the_cufe_recomputed_from_the_document(p: Produced) -> None:
    uuid = p.root.find("cbc:UUID", NS)
    assert uuid.get("schemeID") == p.text("cbc:ProfileExecutionID")
    secret = TECHNICAL_KEY if p.kind is DocumentKind.INVOICE else SOFTWARE_PIN
    assert re.fullmatch(r"[0-9a-f]{96}", uuid.text)
    assert cufe.key_input_from_xml(p.root).hash(secret) == uuid.text


def check_FAD08_uuid_scheme(p: Produced) -> None:
    expected = "CUFE-SHA384" if p.kind is DocumentKind.INVOICE else "CUDE-SHA384"
    assert p.root.find("cbc:UUID", NS).get("schemeName") == expected


def check_FAD05_FAB10_numbering_within_the_resolution(p: Produced) -> None:
    number = p.text("cbc:ID")
    assert re.fullmatch(r"[A-Za-z0-9]+", number), "no spaces or hyphens (FAD05a)"
    if p.kind is not DocumentKind.INVOICE:
        assert p.root.find(".//sts:InvoiceControl", p.sts) is None
        return
    prefix = p.sts_text(".//sts:InvoiceControl/sts:AuthorizedInvoices/sts:Prefix")
    assert number.startswith(prefix)
    consecutive = int(number[len(prefix) :])
    low = int(p.sts_text(".//sts:AuthorizedInvoices/sts:From"))
    high = int(p.sts_text(".//sts:AuthorizedInvoices/sts:To"))
    assert low <= consecutive <= high
    assert p.sts_text(".//sts:InvoiceControl/sts:InvoiceAuthorization") == NUMBERING.resolution_number


def check_FAD09_issue_date_within_the_authorization_period(p: Produced) -> None:
    if p.kind is not DocumentKind.INVOICE:
        return
    start = p.text(".//{*}AuthorizationPeriod/cbc:StartDate")
    end = p.text(".//{*}AuthorizationPeriod/cbc:EndDate")
    assert start <= p.text("cbc:IssueDate") <= end


def check_FAD10_issue_time_format(p: Produced) -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.text("cbc:IssueDate"))
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}-05:00", p.text("cbc:IssueTime"))


def check_FAD12_document_type_code(p: Produced) -> None:
    if p.kind is DocumentKind.INVOICE:
        assert p.text("cbc:InvoiceTypeCode") == "01"
    elif p.kind is DocumentKind.CREDIT_NOTE:
        assert p.text("cbc:CreditNoteTypeCode") == "91"
    else:
        assert p.root.find("cbc:DebitNoteTypeCode", NS) is None  # UBL 2.1 has none


def check_FAD15_currency_and_amount_format(p: Produced) -> None:
    assert p.text("cbc:DocumentCurrencyCode") == "COP"
    amounts = [el for el in p.root.iter() if el.get("currencyID") is not None]
    assert amounts
    for el in amounts:
        assert el.get("currencyID") == "COP"
        assert re.fullmatch(r"\d+\.\d{2}", el.text), f"{etree.QName(el).localname}={el.text}"


def check_FAD16_line_count(p: Produced) -> None:
    assert int(p.text("cbc:LineCountNumeric")) == len(p.lines) > 0


def check_FAB19_FAB22_software_provider_with_correct_dv(p: Produced) -> None:
    provider = p.root.find(".//sts:SoftwareProvider/sts:ProviderID", p.sts)
    assert provider.get("schemeName") == "31"
    assert provider.get("schemeAgencyID") == "195"
    assert stdnum_nit.is_valid(provider.text + provider.get("schemeID"))


def check_FAB24_FAB27_software_id_and_security_code(p: Produced) -> None:
    software_id = p.sts_text(".//sts:SoftwareProvider/sts:SoftwareID")
    assert software_id
    expected = cufe.sha384_hex(software_id + SOFTWARE_PIN + p.text("cbc:ID"))
    assert p.sts_text(".//sts:SoftwareSecurityCode") == expected


def check_FAB31_FAB34_authorization_provider_is_the_dian(p: Produced) -> None:
    node = p.root.find(".//sts:AuthorizationProvider/sts:AuthorizationProviderID", p.sts)
    assert (node.text, node.get("schemeID"), node.get("schemeName")) == ("800197268", "4", "31")


def check_FAB36_qr_code_has_the_key_and_the_environment_host(p: Produced) -> None:
    qr = p.sts_text(".//sts:QRCode")
    host = "catalogo-vpfe-hab" if p.text("cbc:ProfileExecutionID") == "2" else "catalogo-vpfe."
    assert host in qr
    assert qr.endswith("documentkey=" + p.text("cbc:UUID"))


def _tax_schemes(party: etree._Element):
    return party.findall("cac:Party/cac:PartyTaxScheme", NS)


def check_FAJ02_FAK02_person_type(p: Produced) -> None:
    for _, party in p.parties():
        assert party.findtext("cbc:AdditionalAccountID", namespaces=NS) in codelists.PERSON_TYPES


def check_FAJ21_FAJ25_FAJ44_FAK21_FAK44_identification_and_dv(p: Produced) -> None:
    for role, party in p.parties():
        ids = party.findall("cac:Party/cac:PartyTaxScheme/cbc:CompanyID", NS)
        ids += party.findall("cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NS)
        ids += party.findall("cac:Party/cac:PartyIdentification/cbc:ID", NS)
        assert ids, role
        for company_id in ids:
            scheme = company_id.get("schemeName")
            assert scheme in codelists.IDENTIFICATION_TYPES, (role, scheme)
            if scheme == "31":
                assert stdnum_nit.is_valid(company_id.text + company_id.get("schemeID")), (role, company_id.text)
            else:
                assert company_id.get("schemeID") is None
    supplier_scheme = p.root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", NS)
    assert supplier_scheme.get("schemeName") == "31"


def check_FAJ26_FAK26_responsabilidades(p: Produced) -> None:
    for role, party in p.parties():
        for scheme in _tax_schemes(party):
            codes = scheme.findtext("cbc:TaxLevelCode", namespaces=NS).split(";")
            assert codes and set(codes) <= set(codelists.RESPONSABILIDADES), (role, codes)


def check_FAJ27_FAJ40_party_tax_scheme(p: Produced) -> None:
    for role, party in p.parties():
        for scheme in _tax_schemes(party):
            code = scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS)
            assert code in codelists.TRIBUTOS, (role, code)
            assert scheme.findtext("cac:TaxScheme/cbc:Name", namespaces=NS) == codelists.TRIBUTOS[code]


def _check_address(address: etree._Element, role: str) -> None:
    code = address.findtext("cbc:ID", namespaces=NS)
    municipio = codelists.municipio(code)
    assert municipio is not None, (role, code)
    assert address.findtext("cbc:CityName", namespaces=NS) == municipio.name
    assert address.findtext("cbc:CountrySubentityCode", namespaces=NS) == code[:2]
    assert address.findtext("cbc:CountrySubentity", namespaces=NS) == municipio.departamento
    assert address.findtext("cac:AddressLine/cbc:Line", namespaces=NS).strip()
    assert address.findtext("cac:Country/cbc:IdentificationCode", namespaces=NS) == "CO"


def check_FAJ08_FAJ28_FAK08_addresses_with_dane_codes(p: Produced) -> None:
    for role, party in p.parties():
        number = party.findtext("cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS)
        addresses = party.findall("cac:Party/cac:PhysicalLocation/cac:Address", NS)
        addresses += party.findall("cac:Party/cac:PartyTaxScheme/cac:RegistrationAddress", NS)
        if role == "customer" and number == codelists.CONSUMIDOR_FINAL_NUMBER:
            assert addresses == []
            continue
        assert len(addresses) == 2, role
        for address in addresses:
            _check_address(address, role)


def check_consumidor_final_as_the_dian_describes_it(p: Produced) -> None:
    customer = p.root.find("cac:AccountingCustomerParty", NS)
    company_id = customer.find("cac:Party/cac:PartyTaxScheme/cbc:CompanyID", NS)
    if company_id.text != codelists.CONSUMIDOR_FINAL_NUMBER:
        return
    assert company_id.get("schemeName") == "13"
    assert customer.findtext("cbc:AdditionalAccountID", namespaces=NS) == "2"
    scheme = customer.find("cac:Party/cac:PartyTaxScheme", NS)
    assert scheme.findtext("cbc:TaxLevelCode", namespaces=NS) == "R-99-PN"
    assert scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) == "ZZ"
    assert customer.find("cac:Party/cac:PartyLegalEntity", NS) is None
    assert cufe.key_input_from_xml(p.root).customer_number == "222222222222"


def check_FAN02_FAN03_payment_means(p: Produced) -> None:
    means = p.all("cac:PaymentMeans")
    assert len(means) == 1
    form = p.text("cbc:ID", means[0])
    assert form in codelists.PAYMENT_FORMS
    assert p.text("cbc:PaymentMeansCode", means[0]) in codelists.PAYMENT_MEANS
    if form == "2":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.text("cbc:PaymentDueDate", means[0]))


def _check_tax_total(total: etree._Element, where: str) -> Decimal:
    subtotals = total.findall("cac:TaxSubtotal", NS)
    assert subtotals, where
    schemes = set()
    for sub in subtotals:
        scheme = sub.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS)
        schemes.add(scheme)
        assert scheme in {"01", "04"}, (where, scheme)  # FAS16
        percent_text = sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS)
        assert re.fullmatch(r"\d+\.\d{2}", percent_text), (where, percent_text)  # FAS01b
        tax_type = "IVA" if scheme == "01" else "INC"
        assert Decimal(percent_text) in totals_mod.ALLOWED_RATES[totals_mod.TaxType(tax_type)]
        taxable = money(sub, "cbc:TaxableAmount")
        expected = (taxable * Decimal(percent_text) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        # FAS07/FAX07: a group's tax is the sum of its lines' rounded taxes, so allow one cent per line.
        assert abs(money(sub, "cbc:TaxAmount") - expected) <= CENT * max(1, len(subtotals)), where
    assert len(schemes) == 1, f"{where}: one TaxTotal per tax"
    amount = money(total, "cbc:TaxAmount")
    assert amount == sum(money(s, "cbc:TaxAmount") for s in subtotals), where  # FAS02 / FAX02
    return amount


def check_FAS02_FAS07_FAS16_document_taxes(p: Produced) -> None:
    schemes = [
        t.findtext("cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS) for t in p.all("cac:TaxTotal")
    ]
    assert len(schemes) == len(set(schemes))
    for total in p.all("cac:TaxTotal"):
        _check_tax_total(total, "document")
        # the document's taxable amount per rate is the sum of the lines' (strict: no rounding involved)
        for sub in total.findall("cac:TaxSubtotal", NS):
            scheme = sub.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS)
            percent = sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS)
            line_subs = [
                s
                for ln in p.lines
                for s in ln.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
                if s.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=NS) == scheme
                and s.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS) == percent
            ]
            assert money(sub, "cbc:TaxableAmount") == sum(money(s, "cbc:TaxableAmount") for s in line_subs)
            assert money(sub, "cbc:TaxAmount") == sum(money(s, "cbc:TaxAmount") for s in line_subs)


def check_FAX02_FAX07_line_taxes(p: Produced) -> None:
    for ln in p.lines:
        for total in ln.findall("cac:TaxTotal", NS):
            _check_tax_total(total, f"line {ln.findtext('cbc:ID', namespaces=NS)}")
            for sub in total.findall("cac:TaxSubtotal", NS):
                taxable = money(sub, "cbc:TaxableAmount")
                percent = Decimal(sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS))
                assert money(sub, "cbc:TaxAmount") == (taxable * percent / 100).quantize(CENT, ROUND_HALF_UP)
                assert taxable == money(ln, "cbc:LineExtensionAmount")


def check_FAU02_to_FAU14_monetary_totals(p: Produced) -> None:
    totals = p.totals_node
    assert totals is not None
    if p.kind is DocumentKind.DEBIT_NOTE:
        assert p.root.find("cac:LegalMonetaryTotal", NS) is None
    line_sum = sum(money(ln, "cbc:LineExtensionAmount") for ln in p.lines)
    assert money(totals, "cbc:LineExtensionAmount") == line_sum  # FAU02
    taxed_lines = sum(money(ln, "cbc:LineExtensionAmount") for ln in p.lines if ln.find("cac:TaxTotal", NS) is not None)
    assert money(totals, "cbc:TaxExclusiveAmount") == taxed_lines  # FAU04
    taxes = sum((money(t, "cbc:TaxAmount") for t in p.all("cac:TaxTotal")), Decimal(0))
    assert money(totals, "cbc:TaxInclusiveAmount") == line_sum + taxes  # FAU06
    allowances = sum((money(a, "cbc:Amount") for a in p.all("cac:AllowanceCharge")), Decimal(0))
    assert money(totals, "cbc:AllowanceTotalAmount") == allowances  # FAU05 (no document-level discounts)
    assert money(totals, "cbc:ChargeTotalAmount") == 0
    prepaid = money(totals, "cbc:PrepaidAmount") if totals.find("cbc:PrepaidAmount", NS) is not None else 0
    payable = money(totals, "cbc:TaxInclusiveAmount") - allowances - prepaid
    assert money(totals, "cbc:PayableAmount") == payable  # FAU14


def check_totals_equal_the_api_totals(p: Produced) -> None:
    assert money(p.totals_node, "cbc:PayableAmount") == p.doc.totals.payable
    assert money(p.totals_node, "cbc:LineExtensionAmount") == p.doc.totals.line_extension


def check_FAV02_to_FAV06_lines(p: Produced) -> None:
    assert [ln.findtext("cbc:ID", namespaces=NS) for ln in p.lines] == [str(i) for i in range(1, len(p.lines) + 1)]
    quantity_name = {"INVOICE": "InvoicedQuantity", "CREDIT_NOTE": "CreditedQuantity", "DEBIT_NOTE": "DebitedQuantity"}
    for ln in p.lines:
        quantity_node = ln.find(f"cbc:{quantity_name[p.kind.value]}", NS)
        assert quantity_node.get("unitCode") in codelists.UNIT_CODES  # FAV05
        quantity = Decimal(quantity_node.text)
        price = money(ln, "cac:Price/cbc:PriceAmount")
        assert ln.find("cac:Price/cbc:BaseQuantity", NS).get("unitCode") == quantity_node.get("unitCode")
        assert ln.findtext("cac:Item/cbc:Description", namespaces=NS).strip()
        gross = (quantity * price).quantize(CENT, ROUND_HALF_UP)
        discounts = Decimal(0)
        for allowance in ln.findall("cac:AllowanceCharge", NS):
            assert allowance.findtext("cbc:ChargeIndicator", namespaces=NS) == "false"
            factor = Decimal(allowance.findtext("cbc:MultiplierFactorNumeric", namespaces=NS))
            amount, base = money(allowance, "cbc:Amount"), money(allowance, "cbc:BaseAmount")
            assert 0 < factor <= 100 and 0 < amount <= base  # FAX05/FAX06
            assert base == gross
            assert abs(amount - (base * factor / 100)) <= CENT
            discounts += amount
        assert money(ln, "cbc:LineExtensionAmount") == gross - discounts


def check_CBF_CBG_note_references(p: Produced) -> None:
    if p.kind is DocumentKind.INVOICE:
        assert p.root.find("cac:DiscrepancyResponse", NS) is None
        return
    discrepancy = p.root.find("cac:DiscrepancyResponse", NS)
    concepts = codelists.CREDIT_NOTE_CONCEPTS if p.kind is DocumentKind.CREDIT_NOTE else codelists.DEBIT_NOTE_CONCEPTS
    assert p.text("cbc:ResponseCode", discrepancy) in concepts  # CBF01-03
    assert p.text("cbc:Description", discrepancy)
    reference = p.root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert p.text("cbc:ID", reference) == p.text("cbc:ReferenceID", discrepancy)  # CBG03
    uuid = reference.find("cbc:UUID", NS)
    assert uuid.get("schemeName") == "CUFE-SHA384" and re.fullmatch(r"[0-9a-f]{96}", uuid.text)  # CBG04
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.text("cbc:IssueDate", reference))


def check_DC_signature(p: Produced) -> None:
    assert signing.verify(p.xml)
    signature = p.root.find(".//ds:Signature", NS)
    assert signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS) is not None
    assert signature.find("ds:SignatureValue", NS).text.strip()
    props = signature.find(".//xades:SignedSignatureProperties", NS)
    for name in ("SigningTime", "SigningCertificate", "SignaturePolicyIdentifier", "SignerRole"):
        assert props.find(f"xades:{name}", NS) is not None, name


RULES = [value for name, value in sorted(globals().items()) if name.startswith("check_")]


# ------------------------------------------------------------ one test per rule


def test_schema_valid(produced):
    check_schema_valid(produced)


def test_FAB03_one_dian_extension_then_the_signature(produced):
    check_FAB03_one_dian_extension_then_the_signature(produced)


def test_FAD01_to_FAD04_header(produced):
    check_FAD01_to_FAD04_header(produced)


def test_FAD06_uuid_is_the_cufe_recomputed_from_the_document(produced):
    check_FAD06_uuid_is_the_cufe_recomputed_from_the_document(produced)


def test_FAD08_uuid_scheme(produced):
    check_FAD08_uuid_scheme(produced)


def test_FAD05_FAB10_numbering_within_the_resolution(produced):
    check_FAD05_FAB10_numbering_within_the_resolution(produced)


def test_FAD09_issue_date_within_the_authorization_period(produced):
    check_FAD09_issue_date_within_the_authorization_period(produced)


def test_FAD10_issue_time_format(produced):
    check_FAD10_issue_time_format(produced)


def test_FAD12_document_type_code(produced):
    check_FAD12_document_type_code(produced)


def test_FAD15_currency_and_amount_format(produced):
    check_FAD15_currency_and_amount_format(produced)


def test_FAD16_line_count(produced):
    check_FAD16_line_count(produced)


def test_FAB19_FAB22_software_provider_with_correct_dv(produced):
    check_FAB19_FAB22_software_provider_with_correct_dv(produced)


def test_FAB24_FAB27_software_id_and_security_code(produced):
    check_FAB24_FAB27_software_id_and_security_code(produced)


def test_FAB31_FAB34_authorization_provider_is_the_dian(produced):
    check_FAB31_FAB34_authorization_provider_is_the_dian(produced)


def test_FAB36_qr_code_has_the_key_and_the_environment_host(produced):
    check_FAB36_qr_code_has_the_key_and_the_environment_host(produced)


def test_FAJ02_FAK02_person_type(produced):
    check_FAJ02_FAK02_person_type(produced)


def test_FAJ21_FAJ25_FAJ44_FAK21_FAK44_identification_and_dv(produced):
    check_FAJ21_FAJ25_FAJ44_FAK21_FAK44_identification_and_dv(produced)


def test_FAJ26_FAK26_responsabilidades(produced):
    check_FAJ26_FAK26_responsabilidades(produced)


def test_FAJ27_FAJ40_party_tax_scheme(produced):
    check_FAJ27_FAJ40_party_tax_scheme(produced)


def test_FAJ08_FAJ28_FAK08_addresses_with_dane_codes(produced):
    check_FAJ08_FAJ28_FAK08_addresses_with_dane_codes(produced)


def test_consumidor_final_as_the_dian_describes_it(produced):
    check_consumidor_final_as_the_dian_describes_it(produced)


def test_FAN02_FAN03_payment_means(produced):
    check_FAN02_FAN03_payment_means(produced)


def test_FAS02_FAS07_FAS16_document_taxes(produced):
    check_FAS02_FAS07_FAS16_document_taxes(produced)


def test_FAX02_FAX07_line_taxes(produced):
    check_FAX02_FAX07_line_taxes(produced)


def test_FAU02_to_FAU14_monetary_totals(produced):
    check_FAU02_to_FAU14_monetary_totals(produced)


def test_totals_equal_the_api_totals(produced):
    check_totals_equal_the_api_totals(produced)


def test_FAV02_to_FAV06_lines(produced):
    check_FAV02_to_FAV06_lines(produced)


def test_CBF_CBG_note_references(produced):
    check_CBF_CBG_note_references(produced)


def test_DC_signature(produced):
    check_DC_signature(produced)


def test_every_rule_has_its_test():
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert {rule.__name__[len("check_") :] for rule in RULES} <= tested


def test_the_checks_catch_a_broken_document():
    # A document whose payable amount was edited (and re-signed) fails the CUFE and totals rules.
    good = Produced(make_document())
    root = etree.fromstring(ubl.to_bytes(ubl.build(good.doc)))
    node = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS)
    node.text = f"{Decimal(node.text) + 1:.2f}"
    broken = Produced.__new__(Produced)
    broken.doc, broken.kind = good.doc, good.kind
    broken.xml = signing.sign(root, demo_certificate())
    broken.root = etree.fromstring(broken.xml)
    with pytest.raises(AssertionError):
        check_FAD06_uuid_is_the_cufe_recomputed_from_the_document(broken)
    with pytest.raises(AssertionError):
        check_FAU02_to_FAU14_monetary_totals(broken)
    check_DC_signature(broken)  # a re-signed document verifies: the rules, not the signature, catch it


# ------------------------------------------------------------ property tests

TAX_CHOICES = [(), (("IVA", "19"),), (("IVA", "5"),), (("IVA", "0"),), (("INC", "8"),), (("IVA", "19"), ("INC", "8"))]

money_strategy = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
quantity_strategy = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
discount_strategy = st.sampled_from([Decimal(0), Decimal(0), Decimal(5), Decimal("12.5"), Decimal(50), Decimal(100)])
line_strategy = st.builds(
    lambda q, p, d, taxes, unit: line("Producto de prueba", str(q), str(p), str(d), taxes, unit),
    quantity_strategy,
    money_strategy,
    discount_strategy,
    st.sampled_from(TAX_CHOICES),
    st.sampled_from(sorted(codelists.UNIT_CODES)),
)
document_strategy = st.builds(
    lambda kind, lines, customer, consecutive, minutes: make_document(
        kind,
        number=("SETP" if kind is DocumentKind.INVOICE else "NC" if kind is DocumentKind.CREDIT_NOTE else "ND")
        + str(consecutive),
        customer=customer,
        lines=tuple(lines),
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes),
        reference=INVOICE_REFERENCE if kind is not DocumentKind.INVOICE else None,
    ),
    st.sampled_from(list(DocumentKind)),
    st.lists(line_strategy, min_size=1, max_size=6),
    st.sampled_from([CUSTOMER_COMPANY, CUSTOMER_PERSON, CUSTOMER_FINAL]),
    st.integers(min_value=990000000, max_value=995000000),
    st.integers(min_value=0, max_value=60 * 24 * 365 * 3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document_strategy)
def test_property_random_documents_are_valid_consistent_and_signed(doc):
    produced = Produced(doc)
    for rule in RULES:
        rule(produced)
