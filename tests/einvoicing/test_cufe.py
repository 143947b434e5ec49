"""CUFE, CUDE, SoftwareSecurityCode and QR URL against the DIAN's published example and its own samples."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from lxml import etree

from fixtures.einvoicing import make_document, shared_dian
from nitida.einvoicing import cufe
from nitida.einvoicing.documents import DocumentKind
from nitida.vocabulary.kinds import Environment

NS = cufe.NS

# Anexo Técnico, numeral 11.1: the DIAN's worked example (producción, ambiente 1).
ANNEX_EXAMPLE = cufe.KeyInput(
    number="323200000129",
    issue_date="2019-01-16",
    issue_time="10:53:10-05:00",
    line_extension=Decimal("1500000"),
    tax_01=Decimal("285000"),
    tax_04=Decimal("0"),
    tax_03=Decimal("0"),
    payable=Decimal("1785000"),
    supplier_nit="700085371",
    customer_number="800199436",
    environment_code="1",
)
ANNEX_TECHNICAL_KEY = "693ff6f2a553c3646a063436fd4dd9ded0311471"


def test_cufe_of_the_annex_worked_example():
    assert ANNEX_EXAMPLE.string(ANNEX_TECHNICAL_KEY) == (
        "3232000001292019-01-1610:53:10-05:001500000.0001285000.00040.00030.001785000.00"
        "700085371800199436693ff6f2a553c3646a063436fd4dd9ded03114711"
    )
    assert ANNEX_EXAMPLE.hash(ANNEX_TECHNICAL_KEY) == (
        "8bb918b19ba22a694f1da11c643b5e9de39adf60311cf179179e9b33381030bcd4c3c3f156c506ed5908f9276f5bd9b4"
    )


def test_a_changed_field_changes_the_cufe():
    changed = dataclasses.replace(ANNEX_EXAMPLE, payable=Decimal("1785000.01"))
    assert changed.hash(ANNEX_TECHNICAL_KEY) != ANNEX_EXAMPLE.hash(ANNEX_TECHNICAL_KEY)


def _parse(name: str) -> etree._Element:
    return etree.parse(str(shared_dian() / "samples" / name)).getroot()


def test_consumidor_final_sample_cufe_recomputed_from_its_own_fields_equals_its_uuid():
    root = _parse("Consumidor_Final.xml")
    fields = cufe.key_input_from_xml(root)
    assert fields.customer_number == "2222222222"
    assert fields.environment_code == "2"
    assert fields.hash("fc8eac422eba16e22ffd8c6f94b3f40a6e38162c") == root.findtext("cbc:UUID", namespaces=NS)


def test_a_sample_whose_supplier_nit_was_edited_does_not_recompute():
    # The DIAN edited the supplier NIT of Generica.xml after computing its CUFE: a negative case.
    root = _parse("Generica.xml")
    note = root.findall("cbc:Note", NS)
    assert any(cufe.sha384_hex(n.text) == root.findtext("cbc:UUID", namespaces=NS) for n in note)
    fields = cufe.key_input_from_xml(root)
    assert fields.hash("fc8eac422eba16e22ffd8c6f94b3f40a6e38162c") != root.findtext("cbc:UUID", namespaces=NS)


@pytest.mark.parametrize(
    ("sample", "original_supplier_nit"), [("CreditNote.xml", "900508908"), ("DebitNote.xml", "900508908")]
)
def test_notes_cude_uses_the_software_pin(sample, original_supplier_nit):
    root = _parse(sample)
    uuid = root.findtext("cbc:UUID", namespaces=NS)
    note = root.findtext("cbc:Note", namespaces=NS)
    assert cufe.sha384_hex(note) == uuid
    # Our concatenation of the note's own fields (RequestedMonetaryTotal for the debit note) is the
    # DIAN's, once the supplier NIT the DIAN edited afterwards is put back.
    fields = dataclasses.replace(cufe.key_input_from_xml(root), supplier_nit=original_supplier_nit)
    assert fields.string("20191") == note
    assert fields.hash("20191") == uuid


def test_software_security_code_matches_the_generica_sample():
    code = cufe.software_security_code("56f2ae4e-9812-4fad-9255-08fcfcd5ccb0", "20191", "SETP990000002")
    assert code.startswith("a8d18e4e") and code.endswith("7de8")
    root = _parse("Generica.xml")
    sts = {"sts": "dian:gov:co:facturaelectronica:Structures-2-1"}
    assert root.findtext(".//sts:SoftwareSecurityCode", namespaces=sts) == code


def test_qr_url_per_environment():
    key = "b" * 96
    assert cufe.qr_url(key, Environment.HABILITACION) == (
        f"https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey={key}"
    )
    assert cufe.qr_url(key, Environment.PRODUCCION) == (
        f"https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey={key}"
    )


def test_amounts_are_written_with_two_decimals_and_never_rounded_silently():
    assert cufe.amount(Decimal("1500000")) == "1500000.00"
    assert cufe.amount(Decimal("0")) == "0.00"
    assert cufe.amount(Decimal("12.5")) == "12.50"
    with pytest.raises(ValueError, match="more than two decimals"):
        cufe.amount(Decimal("1.005"))


def test_cufe_for_invoices_cude_for_notes():
    invoice = make_document()
    note = make_document(DocumentKind.CREDIT_NOTE, number="NC1")
    assert cufe.document_key(invoice) == cufe.key_input(invoice).hash(invoice.numbering.technical_key)
    assert cufe.document_key(note) == cufe.key_input(note).hash(note.software.pin)
    with pytest.raises(ValueError):
        cufe.cude(invoice)
    with pytest.raises(ValueError):
        cufe.cufe(note)


def test_issue_time_is_bogota_time_whatever_zone_the_datetime_carries():
    import datetime as dt

    doc = make_document(issued_at=dt.datetime(2026, 11, 26, 2, 5, 9, tzinfo=dt.UTC))
    assert (doc.issue_date, doc.issue_time) == ("2026-11-25", "21:05:09-05:00")


# --- the fields read back from a document's XML (the conformance checks recompute the key from them) ---


def _minimal(kind: str = "Invoice", taxes: str = "", totals: str = "LegalMonetaryTotal", issue_time: str = "") -> bytes:
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    cac = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    party = "<cac:Party><cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID></cac:PartyTaxScheme></cac:Party>"
    return (
        f'<{kind} xmlns:cbc="{cbc}" xmlns:cac="{cac}">'
        "<cbc:ProfileExecutionID>2</cbc:ProfileExecutionID><cbc:ID>SETP990000101</cbc:ID>"
        f"<cbc:IssueDate>2026-11-25</cbc:IssueDate>{issue_time or '<cbc:IssueTime>09:30:15-05:00</cbc:IssueTime>'}"
        f"<cac:AccountingSupplierParty>{party.format('900123456')}</cac:AccountingSupplierParty>"
        f"<cac:AccountingCustomerParty>{party.format('901555333')}</cac:AccountingCustomerParty>"
        f"{taxes}<cac:{totals}><cbc:LineExtensionAmount>1000.00</cbc:LineExtensionAmount>"
        f"<cbc:PayableAmount>1270.00</cbc:PayableAmount></cac:{totals}></{kind}>"
    ).encode()


def _tax(scheme: str | None, amount: str) -> str:
    category = (
        f"<cac:TaxSubtotal><cac:TaxCategory><cac:TaxScheme><cbc:ID>{scheme}</cbc:ID></cac:TaxScheme>"
        "</cac:TaxCategory></cac:TaxSubtotal>"
        if scheme
        else ""
    )
    return f"<cac:TaxTotal><cbc:TaxAmount>{amount}</cbc:TaxAmount>{category}</cac:TaxTotal>"


def test_fields_read_from_xml_sum_each_tax_and_default_the_missing_ones_to_zero():
    # A TaxTotal without a scheme is skipped (not the end of the list); two IVA totals add up; ICA (03) is read.
    taxes = _tax(None, "999.00") + _tax("04", "80.00") + _tax("03", "11.00") + _tax(" 04 ", "9.00")
    fields = cufe.key_input_from_xml(etree.fromstring(_minimal(taxes=taxes)))
    assert fields == cufe.KeyInput(
        number="SETP990000101",
        issue_date="2026-11-25",
        issue_time="09:30:15-05:00",
        line_extension=Decimal("1000.00"),
        tax_01=Decimal("0"),
        tax_04=Decimal("89.00"),
        tax_03=Decimal("11.00"),
        payable=Decimal("1270.00"),
        supplier_nit="900123456",
        customer_number="901555333",
        environment_code="2",
    )
    assert fields.string("k").startswith("SETP9900001012026-11-2509:30:15-05:001000.00010.000489.000311.001270.00")
    only_iva = cufe.key_input_from_xml(etree.fromstring(_minimal(taxes=_tax("01", "190.00") + _tax("01", "0.50"))))
    assert (only_iva.tax_01, only_iva.tax_04, only_iva.tax_03) == (Decimal("190.50"), 0, 0)
    assert str(only_iva.tax_04) == "0"


def test_a_debit_note_is_read_from_its_requested_monetary_total():
    fields = cufe.key_input_from_xml(etree.fromstring(_minimal("DebitNote", totals="RequestedMonetaryTotal")))
    assert (fields.line_extension, fields.payable) == (Decimal("1000.00"), Decimal("1270.00"))
    with pytest.raises(ValueError, match=r"^the document has no cac:LegalMonetaryTotal/cbc:LineExtensionAmount$"):
        cufe.key_input_from_xml(etree.fromstring(_minimal("Invoice", totals="RequestedMonetaryTotal")))


@pytest.mark.parametrize("issue_time", ["<cbc:Note>sin hora</cbc:Note>", "<cbc:IssueTime/>"])
def test_a_missing_or_empty_field_is_named(issue_time):
    with pytest.raises(ValueError, match=r"^the document has no cbc:IssueTime$"):
        cufe.key_input_from_xml(etree.fromstring(_minimal(issue_time=issue_time)))


def test_the_key_of_the_wrong_kind_is_refused_with_its_reason():
    invoice = make_document()
    with pytest.raises(ValueError, match=r"^a CUDE is computed for credit and debit notes$"):
        cufe.cude(invoice)
    for note in (make_document(DocumentKind.CREDIT_NOTE, number="NC1"), dataclasses.replace(invoice, numbering=None)):
        with pytest.raises(ValueError, match=r"^a CUFE is computed for an invoice with its numbering resolution$"):
            cufe.cufe(note)
    debit = make_document(DocumentKind.DEBIT_NOTE, number="ND1")
    assert cufe.document_key(debit) == cufe.cude(debit) == cufe.key_input(debit).hash(debit.software.pin)


def test_the_key_input_of_a_document_is_what_its_xml_says():
    from nitida.einvoicing import ubl

    doc = make_document()
    fields = cufe.key_input(doc)
    assert fields == cufe.KeyInput(
        number="SETP990000101",
        issue_date="2026-11-25",
        issue_time="09:30:15-05:00",
        line_extension=Decimal("380950.00"),
        tax_01=Decimal("28210.50"),
        tax_04=Decimal("2736.00"),
        tax_03=Decimal("0"),
        payable=Decimal("411896.50"),
        supplier_nit="900123456",
        customer_number="901555333",
        environment_code="2",
    )
    assert fields == cufe.key_input_from_xml(ubl.build(doc))
