"""Electronic invoices, credit notes and debit notes issued through the API (both engines).

Proof that what the API stores and serves is a DIAN document: every XML validates against
../shared/dian/xsd, its signature verifies (and fails after one peso changes), and the offline
DIAN rules of tests/fixtures/conformance.py hold on it, with the totals the API reported.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import conformance as c
from fixtures.common import assert_problem
from fixtures.einvoicing import SOFTWARE_PIN, TECHNICAL_KEY, assert_schema_valid
from fixtures.einvoicing_api import (
    LINES,
    change_one_peso,
    configure,
    customer_body,
    issued_invoice,
    ok,
    resolution_body,
    xml_of,
)
from nitida.einvoicing import cufe, signing
from nitida.users.models import Role
from nitida.vocabulary import codelists


@pytest.fixture
def admin(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    return headers


def produced(xml: bytes, document: dict) -> c.Produced:
    return c.Produced(
        xml,
        technical_key=TECHNICAL_KEY,
        pin=SOFTWARE_PIN,
        resolution_number="18760000001",
        payable=Decimal(document["total"]),
        line_extension=Decimal(document["subtotal"]),
    )


# --- invoices --------------------------------------------------------------------------------


def test_issued_invoice_is_a_signed_dian_document(client, admin):
    invoice = issued_invoice(client, admin)
    assert invoice["electronicStatus"] == "SIGNED"
    assert len(invoice["cufe"]) == 96
    assert invoice["qrData"] == f"https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey={invoice['cufe']}"
    xml = xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml")
    assert_schema_valid(xml)
    assert signing.verify(xml)
    assert not signing.verify(change_one_peso(xml))
    p = produced(xml, invoice)
    c.check_all(p)
    assert p.text("cbc:ID") == invoice["number"] and p.text("cbc:UUID") == invoice["cufe"]
    assert p.text("cbc:ProfileExecutionID") == "2"
    assert p.text("cac:PaymentMeans/cbc:PaymentMeansCode") == "47"  # TRANSFERENCIA
    assert p.text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == invoice["total"]
    # the CUFE recomputed from the document's own fields with the resolution's technical key
    assert cufe.key_input_from_xml(p.root).hash(TECHNICAL_KEY) == invoice["cufe"]
    # the customer's fiscal data is the snapshot: later edits do not reach the document
    assert invoice["customer"]["municipioCodigo"] == "05001"
    assert p.root.findtext("cac:AccountingCustomerParty//cac:RegistrationAddress/cbc:CityName", namespaces=c.NS) == (
        "Medellín"
    )
    ok(client.patch(f"/billing/customers/{invoice['customerId']}", headers=admin, json={"municipioCodigo": "76001"}))
    assert xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml") == xml
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))["customer"]["municipioCodigo"] == "05001"


def test_every_role_reads_the_xml(client, tenant, admin):
    invoice = issued_invoice(client, admin)
    for role in Role:
        xml_of(client, tenant.headers(role), f"/billing/invoices/{invoice['id']}/xml")


def test_xml_of_a_draft_is_409_and_of_another_tenant_404(client, admin, make_tenant):
    invoice = issued_invoice(client, admin)
    resolution = invoice["resolutionId"]
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=admin,
            json={"customerId": invoice["customerId"], "resolutionId": resolution, "lines": LINES[:1]},
        ),
        201,
    )
    assert draft["electronicStatus"] == "NOT_APPLICABLE" and draft["cufe"] is None
    assert_problem(client.get(f"/billing/invoices/{draft['id']}/xml", headers=admin), 409)
    other = make_tenant("Otra S.A.S.", "800197268")
    for role in Role:
        assert_problem(client.get(f"/billing/invoices/{invoice['id']}/xml", headers=other.headers(role)), 404)


def test_unconfigured_tenant_issues_as_before(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    invoice = issued_invoice(client, headers)
    assert invoice["status"] == "ISSUED"
    assert (invoice["electronicStatus"], invoice["cufe"], invoice["qrData"]) == ("NOT_APPLICABLE", None, None)
    assert_problem(client.get(f"/billing/invoices/{invoice['id']}/xml", headers=headers), 409)
    # its notes: configure electronic invoicing first
    body = {"concept": 1, "description": "Devolución"}
    problem = assert_problem(
        client.post(f"/billing/invoices/{invoice['id']}/credit-notes", headers=headers, json=body), 409
    )
    assert "Configure electronic invoicing first" in problem["detail"]
    voided = ok(client.post(f"/billing/invoices/{invoice['id']}/void", headers=headers, json={"reason": "Error"}))
    assert voided["status"] == "VOID" and voided["creditedTotal"] == "0.00"
    assert ok(client.get("/billing/credit-notes", headers=headers)) == []


def test_missing_fiscal_data_is_409_listing_it_and_nothing_is_issued(client, admin):
    customer = customer_body()
    del customer["municipioCodigo"]
    customer["direccion"] = None
    with pytest.raises(AssertionError) as failed:
        issued_invoice(client, admin, customer=customer)
    assert "409" in str(failed.value)
    assert "customer municipality (municipioCodigo) is missing" in str(failed.value)
    assert "customer address (direccion) is missing" in str(failed.value)
    drafts = ok(client.get("/billing/invoices", headers=admin))
    assert [d["status"] for d in drafts] == ["DRAFT"] and drafts[0]["number"] is None
    resolution = ok(client.get("/billing/resolutions", headers=admin))[0]
    assert resolution["nextNumber"] == 990000000  # the number was not taken
    # once the data is there, the same draft is issued with the first number: no gap
    ok(
        client.patch(
            f"/billing/customers/{drafts[0]['customerId']}",
            headers=admin,
            json={"municipioCodigo": "11001", "direccion": "Calle 26 # 13-19", "codigoPostal": "110231"},
        )
    )
    issued = ok(client.post(f"/billing/invoices/{drafts[0]['id']}/issue", headers=admin))
    assert issued["number"] == "SETP990000000" and issued["electronicStatus"] == "SIGNED"


def test_missing_technical_key_and_missing_issuer_are_409(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers, issuer=False)
    resolution = ok(
        client.post("/billing/resolutions", headers=headers, json={**resolution_body(), "technicalKey": None}), 201
    )
    made = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={"customerId": made["id"], "resolutionId": resolution["id"], "lines": LINES},
        ),
        201,
    )
    problem = assert_problem(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers), 409)
    assert "PUT /billing/issuer" in problem["detail"]
    configure(client, headers, settings=False)
    problem = assert_problem(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers), 409)
    assert "technical key" in problem["detail"]


def test_consumidor_final_and_every_payment_method(client, admin):
    final = {"razonSocial": "Consumidor final", "nit": "222222222222", "tipoDocumento": "CC"}
    invoice = issued_invoice(client, admin, customer=final, paymentMethod="EFECTIVO", lines=LINES[:1])
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)
    assert p.root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity", c.NS) is None
    for method, code in codelists.PAYMENT_MEANS_BY_METHOD.items():
        invoice = issued_invoice(client, admin, paymentMethod=method, lines=LINES[:1])
        xml = xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml")
        assert produced(xml, invoice).text("cac:PaymentMeans/cbc:PaymentMeansCode") == code, method
    # no method chosen: "1" (instrumento no definido); CREDITO carries its due date
    invoice = issued_invoice(
        client, admin, paymentMethod=None, paymentForm="CREDITO", dueDate="2099-12-31", lines=LINES[:1]
    )
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert (p.text("cac:PaymentMeans/cbc:ID"), p.text("cac:PaymentMeans/cbc:PaymentMeansCode")) == ("2", "1")
    assert p.text("cac:PaymentMeans/cbc:PaymentDueDate") == "2099-12-31"


def test_produccion_uses_the_production_host(client, admin):
    ok(
        client.put(
            "/billing/electronic-invoicing", headers=admin, json={"environment": "PRODUCCION", "softwareId": "x"}
        )
    )
    # A production resolution (the test set's belongs to habilitación: issue 25), registered in PRODUCCION.
    production = {**resolution_body("FE"), "resolutionNumber": "18764000000001"}
    resolution = ok(client.post("/billing/resolutions", headers=admin, json=production), 201)
    assert resolution["environment"] == "PRODUCCION"
    invoice = issued_invoice(client, admin, lines=LINES[:1], resolutionId=resolution["id"])
    assert invoice["qrData"].startswith("https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=")
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert p.text("cbc:ProfileExecutionID") == "1"


# --- hypothesis through the API: what the service computes, stores, signs and reports ----------------

_API_TAXES = [
    [],
    [{"type": "IVA", "rate": "19"}],
    [{"type": "IVA", "rate": "5"}],
    [{"type": "IVA", "rate": "0"}],
    [{"type": "INC", "rate": "8"}],
    [{"type": "IVA", "rate": "19"}, {"type": "INC", "rate": "8"}],
    [{"type": "IVA", "rate": "5"}, {"type": "INC", "rate": "4"}],
]
_api_line = st.fixed_dictionaries(
    {
        "description": st.just("Artículo de prueba"),
        "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("250"), places=3).map(str),
        "unitPrice": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000.00"), places=2).map(str),
        "discountPercent": st.sampled_from(["0", "0", "5", "12.5", "33.33", "99.99"]),
        "taxes": st.sampled_from(_API_TAXES),
    }
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(lines=st.one_of(st.lists(_api_line, min_size=1, max_size=8), st.lists(_api_line, min_size=25, max_size=60)))
def test_property_invoices_issued_through_the_api_pass_the_dians_rules(client, admin, lines):
    # The tenant is reused across examples (each example issues its own invoice under it, to a customer of
    # its own: hypothesis seeds `random`, so the usual random NIT would repeat).
    nit = str(800_000_000 + uuid.uuid4().int % 199_999_999)
    invoice = issued_invoice(client, admin, lines=lines, customer=customer_body(nit=nit))
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)  # the offline rules, the DIAN's own (check_DIAN_rules_oracle) and the API's totals
    assert p.text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == invoice["total"]
    for group in invoice["taxes"]:
        scheme = codelists.TAX_SCHEMES[group["type"]][0]
        [sub] = [
            s
            for s in p.all("cac:TaxTotal/cac:TaxSubtotal")
            if s.findtext("cac:TaxCategory/cac:TaxScheme/cbc:ID", namespaces=c.NS) == scheme
            and Decimal(s.findtext("cac:TaxCategory/cbc:Percent", namespaces=c.NS)) == Decimal(group["rate"])
        ]
        assert c.money(sub, "cbc:TaxableAmount") == Decimal(group["taxableAmount"])
        assert c.money(sub, "cbc:TaxAmount") == Decimal(group["taxAmount"])


def test_many_lines_tax_groups_are_base_times_rate_in_the_api_and_the_document(client, admin):
    # Issue 25 (FAS07): the API's groups, totals and lines agree with the signed document's.
    lines = [
        {"description": "Tornillo", "quantity": "1", "unitPrice": "0.13", "taxes": [{"type": "IVA", "rate": "19"}]}
    ]
    invoice = issued_invoice(client, admin, lines=lines * 150)
    assert invoice["taxes"] == [{"type": "IVA", "rate": "19.00", "taxableAmount": "19.50", "taxAmount": "3.71"}]
    assert (invoice["taxTotal"], invoice["total"]) == ("3.71", "23.21")
    assert sum(Decimal(t["amount"]) for ln in invoice["lines"] for t in ln["taxes"]) == Decimal("3.71")
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)
    assert p.text("cac:TaxTotal/cbc:TaxAmount") == "3.71"


def test_a_nit_buyer_without_person_type_is_asked_not_sent_as_a_company(client, admin):
    # Issue 25: a persona natural with a NIT went out as jurídica (the type defaulted from the NIT).
    body = customer_body(razonSocial="Jorge Iván Restrepo", tipoPersona=None, responsabilidadesFiscales=["R-99-PN"])
    problem = assert_problem_of_issue(client, admin, body)
    assert problem["status"] == 409
    assert "customer person type (tipoPersona: NATURAL or JURIDICA) is missing" in problem["detail"]
    # told, it goes out as a natural person, also identified in PartyIdentification
    invoice = issued_invoice(client, admin, customer={**body, "nit": random_nit_unique(), "tipoPersona": "NATURAL"})
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)
    assert p.text("cac:AccountingCustomerParty/cbc:AdditionalAccountID") == "2"
    assert p.root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification", c.NS) is not None
    # a cédula needs no asking: only a natural person holds one
    cedula = customer_body(tipoDocumento="CC", nit=random_nit_unique(), tipoPersona=None)
    invoice = issued_invoice(client, admin, customer=cedula, lines=LINES[:1])
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert p.text("cac:AccountingCustomerParty/cbc:AdditionalAccountID") == "2"


def test_notes_of_an_invoice_issued_before_the_person_type_was_asked_keep_what_it_said(client, admin):
    # An invoice signed when a NIT defaulted to jurídica (its snapshot has no person type): its notes carry
    # the person type its signed XML states, so the buyer is the same on both.
    invoice = issued_invoice(client, admin, lines=LINES[:1])
    from nitida.einvoicing.service import _signed_customer_person_type
    from nitida.vocabulary.kinds import PersonType

    xml = xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml")
    assert _signed_customer_person_type(xml) is PersonType.JURIDICA


def random_nit_unique() -> str:
    return str(800_000_000 + uuid.uuid4().int % 199_999_999)


def assert_problem_of_issue(client, headers, customer: dict) -> dict:
    """The problem answered when issuing a draft to ``customer``."""
    made = ok(client.post("/billing/customers", headers=headers, json={**customer, "nit": random_nit_unique()}), 201)
    resolutions = ok(client.get("/billing/resolutions", headers=headers))
    resolution = next((r for r in resolutions if r["prefix"] == "SETP"), None) or ok(
        client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201
    )
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={"customerId": made["id"], "resolutionId": resolution["id"], "paymentForm": "CONTADO", "lines": LINES},
        ),
        201,
    )
    response = client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers)
    return assert_problem(response, 409)


def test_an_invoice_under_a_resolution_without_a_prefix_is_a_dian_document(client, admin):
    # Issue 25: the DIAN authorises numbering without a prefix; the document then has no sts:Prefix.
    body = {**resolution_body(), "prefix": "", "rangeFrom": 1, "rangeTo": 5000}
    resolution = ok(client.post("/billing/resolutions", headers=admin, json=body), 201)
    invoice = issued_invoice(client, admin, lines=LINES[:2], resolutionId=resolution["id"])
    assert invoice["number"] == "1"
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)
    assert p.root.find(".//sts:AuthorizedInvoices/sts:Prefix", p.sts) is None
    assert p.root.find("cac:AccountingSupplierParty//cac:CorporateRegistrationScheme", c.NS) is None
