"""The DIAN validation rules that can be checked offline, on documents our builder produces.

The checks themselves live in tests/fixtures/conformance.py (the API's documents are checked with them too).

Each test is named after the rule of the Anexo Técnico it mirrors (ids of the
v1.8 rule set, see ../shared/notes/dian-implementation.md §3.7; the condition is
what counts, the id is a label). The checks read only the signed XML, plus the
two secrets the XML cannot show (technical key, software PIN).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from fixtures import conformance as c
from fixtures.einvoicing import (
    CUSTOMER_COMPANY,
    CUSTOMER_FINAL,
    CUSTOMER_PERSON,
    demo_certificate,
    line,
    make_document,
)
from nitida.einvoicing import signing, ubl
from nitida.einvoicing.documents import BillingReference, DocumentKind, Payment
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import PaymentForm

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


@pytest.fixture(scope="module", params=sorted(DOCUMENTS), ids=sorted(DOCUMENTS))
def produced(request) -> c.Produced:
    return c.Produced.of(DOCUMENTS[request.param]())


# ------------------------------------------------------------ one test per rule


def test_schema_valid(produced):
    c.check_schema_valid(produced)


def test_FAB03_one_dian_extension_then_the_signature(produced):
    c.check_FAB03_one_dian_extension_then_the_signature(produced)


def test_FAD01_to_FAD04_header(produced):
    c.check_FAD01_to_FAD04_header(produced)


def test_FAD06_uuid_is_the_cufe_recomputed_from_the_document(produced):
    c.check_FAD06_uuid_is_the_cufe_recomputed_from_the_document(produced)


def test_FAD08_uuid_scheme(produced):
    c.check_FAD08_uuid_scheme(produced)


def test_FAD05_FAB10_numbering_within_the_resolution(produced):
    c.check_FAD05_FAB10_numbering_within_the_resolution(produced)


def test_FAD09_issue_date_within_the_authorization_period(produced):
    c.check_FAD09_issue_date_within_the_authorization_period(produced)


def test_FAD10_issue_time_format(produced):
    c.check_FAD10_issue_time_format(produced)


def test_FAD12_document_type_code(produced):
    c.check_FAD12_document_type_code(produced)


def test_FAD15_currency_and_amount_format(produced):
    c.check_FAD15_currency_and_amount_format(produced)


def test_FAD16_line_count(produced):
    c.check_FAD16_line_count(produced)


def test_FAB19_FAB22_software_provider_with_correct_dv(produced):
    c.check_FAB19_FAB22_software_provider_with_correct_dv(produced)


def test_FAB24_FAB27_software_id_and_security_code(produced):
    c.check_FAB24_FAB27_software_id_and_security_code(produced)


def test_FAB31_FAB34_authorization_provider_is_the_dian(produced):
    c.check_FAB31_FAB34_authorization_provider_is_the_dian(produced)


def test_FAB36_qr_code_has_the_key_and_the_environment_host(produced):
    c.check_FAB36_qr_code_has_the_key_and_the_environment_host(produced)


def test_FAJ02_FAK02_person_type(produced):
    c.check_FAJ02_FAK02_person_type(produced)


def test_FAJ21_FAJ25_FAJ44_FAK21_FAK44_identification_and_dv(produced):
    c.check_FAJ21_FAJ25_FAJ44_FAK21_FAK44_identification_and_dv(produced)


def test_FAJ26_FAK26_responsabilidades(produced):
    c.check_FAJ26_FAK26_responsabilidades(produced)


def test_FAJ27_FAJ40_party_tax_scheme(produced):
    c.check_FAJ27_FAJ40_party_tax_scheme(produced)


def test_FAJ08_FAJ28_FAK08_addresses_with_dane_codes(produced):
    c.check_FAJ08_FAJ28_FAK08_addresses_with_dane_codes(produced)


def test_consumidor_final_as_the_dian_describes_it(produced):
    c.check_consumidor_final_as_the_dian_describes_it(produced)


def test_FAN02_FAN03_payment_means(produced):
    c.check_FAN02_FAN03_payment_means(produced)


def test_FAS02_FAS07_FAS16_document_taxes(produced):
    c.check_FAS02_FAS07_FAS16_document_taxes(produced)


def test_FAX02_FAX07_line_taxes(produced):
    c.check_FAX02_FAX07_line_taxes(produced)


def test_FAU02_to_FAU14_monetary_totals(produced):
    c.check_FAU02_to_FAU14_monetary_totals(produced)


def test_totals_equal_the_api_totals(produced):
    c.check_totals_equal_the_api_totals(produced)


def test_FAV02_to_FAV06_lines(produced):
    c.check_FAV02_to_FAV06_lines(produced)


def test_CBF_CBG_note_references(produced):
    c.check_CBF_CBG_note_references(produced)


def test_DC_signature(produced):
    c.check_DC_signature(produced)


def test_DIAN_rules_oracle(produced):
    c.check_DIAN_rules_oracle(produced)


def test_free_lines_are_declared(produced):
    c.check_free_lines_are_declared(produced)


def test_every_rule_has_its_test():
    tested = {name[len("test_") :] for name in globals() if name.startswith("test_")}
    assert {rule.__name__[len("check_") :] for rule in c.RULES} <= tested


def test_the_checks_catch_a_broken_document():
    # A document whose payable amount was edited (and re-signed) fails the CUFE and totals rules.
    doc = make_document()
    root = etree.fromstring(ubl.to_bytes(ubl.build(doc)))
    node = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", c.NS)
    node.text = f"{Decimal(node.text) + 1:.2f}"
    broken = c.Produced(
        signing.sign(root, demo_certificate()), payable=doc.totals.payable, line_extension=doc.totals.line_extension
    )
    with pytest.raises(AssertionError):
        c.check_FAD06_uuid_is_the_cufe_recomputed_from_the_document(broken)
    with pytest.raises(AssertionError):
        c.check_FAU02_to_FAU14_monetary_totals(broken)
    c.check_DC_signature(broken)  # a re-signed document verifies: the rules, not the signature, catch it


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
    c.check_all(c.Produced.of(doc))


# Invoices as the audit of issue 25 made them: many lines, quantities with up to 6 decimals, prices with
# cents, discounts, every tax combination the service offers (IVA 19/5/0, excluded, INC 4/8/16, IVA with INC).
# Each one passes the offline rules above and the DIAN's own compiled rules (check_DIAN_rules_oracle).
EVERY_TAX_CHOICE = [
    (),
    (("IVA", "19"),),
    (("IVA", "5"),),
    (("IVA", "0"),),
    (("INC", "4"),),
    (("INC", "8"),),
    (("INC", "16"),),
    (("IVA", "19"), ("INC", "8")),
    (("IVA", "5"), ("INC", "8")),
    (("IVA", "0"), ("INC", "4")),
    (("IVA", "19"), ("INC", "16")),
]
fine_quantity = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000"), places=6)
cents_price = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2500000.00"), places=2)
any_discount = st.one_of(
    st.just(Decimal(0)), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2)
)
audit_line = st.builds(
    lambda q, p, d, taxes: line("Artículo de prueba", str(q), str(p), str(d), taxes),
    st.one_of(fine_quantity, st.integers(min_value=1, max_value=500).map(Decimal)),
    cents_price,
    any_discount,
    st.sampled_from(EVERY_TAX_CHOICE),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    # hypothesis keeps lists short unless told: half the invoices have 40 to 120 lines
    st.one_of(st.lists(audit_line, min_size=1, max_size=12), st.lists(audit_line, min_size=40, max_size=120)),
    st.sampled_from([CUSTOMER_COMPANY, CUSTOMER_PERSON, CUSTOMER_FINAL]),
)
def test_property_audit_invoices_pass_the_dians_rules(lines, customer):
    c.check_all(c.Produced.of(make_document(lines=tuple(lines), customer=customer)))


def test_FAS07_many_lines_tax_groups_are_base_times_rate():
    # Issue 25: 150 lines of 0.13 at IVA 19 summed their rounded taxes to 3.00, 0.71 under 19.50 × 19 %:
    # the DIAN's FAS07 rejected it. The group is now 3.71, and the lines' taxes add up to it.
    doc = make_document(lines=(line("Tornillo", "1", "0.13", taxes=(("IVA", "19"),)),) * 150)
    p = c.Produced.of(doc)
    assert [m.rule for m in c.dian_rules.dian_messages(p.xml) if m.rule in {"FAS07", "FAX07"}] == []
    c.check_all(p)
    assert p.text("cac:TaxTotal/cbc:TaxAmount") == "3.71"
    assert p.text("cac:LegalMonetaryTotal/cbc:PayableAmount") == "23.21"


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_FAV06_a_discounted_lines_price_times_base_quantity_less_the_discount_is_its_amount(kind):
    # Issue 25: BaseQuantity was always 1, so 3 × 8 500.00 less 10 % (22 950.00) read as 8 500.00 − 2 550.00
    # and the DIAN notified FAV06 (CAV06, DAV06) on every discounted line.
    doc = make_document(kind, lines=(line("Cuaderno", "3", "8500.00", discount="10", taxes=(("IVA", "19"),)),))
    p = c.Produced.of(doc)
    assert [m for m in c.dian_rules.dian_messages(p.xml) if m.rule.endswith("V06")] == []
    quantity = p.lines[0].find("cac:Price/cbc:BaseQuantity", c.NS)
    assert quantity.text == "3"
    c.check_all(p)


# --- free lines (issue 25): gifts and samples, declared free with their reference price -------------------


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_a_gift_is_declared_free_with_its_reference_price_and_taxed_on_it(kind):
    doc = make_document(
        kind,
        lines=(
            line("Resma papel carta", "10", "11900.00", taxes=(("IVA", "19"),)),
            line("Agenda 2027 (muestra)", "3", "0", taxes=(("IVA", "19"),), reference="25000.00"),
            line("Cortesía de la casa", "1", "50000.00", discount="100", taxes=(("IVA", "19"),)),
        ),
    )
    p = c.Produced.of(doc)
    c.check_all(p)  # XSD, the offline rules and the DIAN's compiled rules
    gift, courtesy = p.lines[1], p.lines[2]
    if kind is not DocumentKind.DEBIT_NOTE:  # UBL 2.1 DebitNoteLine has no such element
        assert gift.findtext("cbc:FreeOfChargeIndicator", namespaces=c.NS) == "true"
        assert courtesy.findtext("cbc:FreeOfChargeIndicator", namespaces=c.NS) == "true"
    if kind is DocumentKind.INVOICE:
        assert p.lines[0].findtext("cbc:FreeOfChargeIndicator", namespaces=c.NS) == "false"
    alternative = gift.find("cac:PricingReference/cac:AlternativeConditionPrice", c.NS)
    assert alternative.findtext("cbc:PriceAmount", namespaces=c.NS) == "25000.00"
    assert alternative.findtext("cbc:PriceTypeCode", namespaces=c.NS) == "01"
    assert alternative.findtext("cbc:PriceType", namespaces=c.NS) == "Valor comercial"
    assert gift.findtext("cbc:LineExtensionAmount", namespaces=c.NS) == "0.00"
    # its IVA is on 3 × 25 000.00, and it is in the document's taxes and totals
    assert gift.findtext("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount", namespaces=c.NS) == "75000.00"
    assert gift.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=c.NS) == "14250.00"
    assert p.text("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == "194000.00"
    assert p.text("cac:TaxTotal/cbc:TaxAmount") == "36860.00"
    totals = "cac:RequestedMonetaryTotal" if kind is DocumentKind.DEBIT_NOTE else "cac:LegalMonetaryTotal"
    assert p.text(f"{totals}/cbc:LineExtensionAmount") == "119000.00"
    assert p.text(f"{totals}/cbc:TaxExclusiveAmount") == "194000.00"
    assert p.text(f"{totals}/cbc:PayableAmount") == "155860.00"
    # given away at 100 % with no reference price: declared at its list price, taxed on nothing
    courtesy_price = courtesy.find("cac:PricingReference/cac:AlternativeConditionPrice/cbc:PriceAmount", c.NS)
    assert courtesy_price.text == "50000.00"
    assert courtesy.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=c.NS) == "0.00"


gift_line = st.builds(
    lambda q, ref, taxes, zero_price: line(
        "Obsequio de prueba",
        str(q),
        "0" if zero_price else "1000.00",
        "0" if zero_price else "100",
        taxes,
        reference=str(ref),
    ),
    quantity_strategy,
    money_strategy,
    st.sampled_from(EVERY_TAX_CHOICE),
    st.booleans(),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    st.lists(st.one_of(audit_line, gift_line), min_size=1, max_size=30),
    st.sampled_from(list(DocumentKind)),
    st.sampled_from([CUSTOMER_COMPANY, CUSTOMER_PERSON, CUSTOMER_FINAL]),
)
def test_property_documents_with_gifts_pass_the_dians_rules(lines, kind, customer):
    c.check_all(c.Produced.of(make_document(kind, lines=tuple(lines), customer=customer)))
