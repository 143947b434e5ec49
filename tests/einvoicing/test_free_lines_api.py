"""Issue 25, free lines through the API on both engines: a gift or sample (price 0, or a 100 % discount) is
declared free in its document (FreeOfChargeIndicator, PricingReference with its reference price and the
DIAN's price-type code 01), its taxes are on its reference value, the API's totals are the document's, and
the document passes the XSD and the DIAN's rules (hypothesis included)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from dian.test_pdf import one_line, text_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import conformance as c
from fixtures.common import assert_problem
from fixtures.einvoicing import SOFTWARE_PIN, TECHNICAL_KEY
from fixtures.einvoicing_api import configure, customer_body, dian_accepts, issued_invoice, ok, xml_of
from nitida.users.models import Role

GIFT = {
    "description": "Agenda 2027 (muestra)",
    "quantity": "3",
    "unitPrice": "0",
    "referencePrice": "25000.00",
    "taxes": [{"type": "IVA", "rate": "19"}],
}
PAID = {
    "description": "Resma papel carta",
    "quantity": "10",
    "unitPrice": "11900.00",
    "taxes": [{"type": "IVA", "rate": "19"}],
}


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


def test_a_gift_is_declared_free_and_taxed_on_its_reference_value(client, admin, tmp_path):
    invoice = issued_invoice(client, admin, lines=[PAID, GIFT])
    gift = invoice["lines"][1]
    assert gift["referencePrice"] == "25000.00" and gift["base"] == "0.00"
    assert gift["taxes"] == [{"type": "IVA", "rate": "19.00", "amount": "14250.00"}]
    assert invoice["taxes"] == [{"type": "IVA", "rate": "19.00", "taxableAmount": "194000.00", "taxAmount": "36860.00"}]
    assert (invoice["subtotal"], invoice["total"]) == ("119000.00", "155860.00")

    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    c.check_all(p)  # XSD, the offline rules, the DIAN's compiled rules, the API's totals
    line = p.lines[1]
    assert line.findtext("cbc:FreeOfChargeIndicator", namespaces=c.NS) == "true"
    alternative = line.find("cac:PricingReference/cac:AlternativeConditionPrice", c.NS)
    assert alternative.findtext("cbc:PriceAmount", namespaces=c.NS) == "25000.00"
    assert alternative.findtext("cbc:PriceTypeCode", namespaces=c.NS) == "01"

    pdf = client.get(f"/billing/invoices/{invoice['id']}/pdf", headers=admin)
    assert pdf.status_code == 200
    text = one_line(text_of(pdf.content, tmp_path))
    assert "Obsequio / muestra sin valor comercial" in text and "valor de referencia $ 25.000,00" in text

    # a void credits the gift too: its tax is on the invoice and comes back with it (of an accepted invoice)
    dian_accepts(client, admin, invoice)
    voided = ok(client.post(f"/billing/invoices/{invoice['id']}/void", headers=admin, json={"reason": "Error"}))
    assert voided["status"] == "VOID" and voided["balance"] == "0.00"
    notes = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=admin))
    [anulacion] = [n for n in notes if n["concept"] == "2"]
    assert anulacion["total"] == "155860.00"


def test_a_reference_price_belongs_to_a_line_given_away(client, admin):
    customer = ok(client.post("/billing/customers", headers=admin, json=customer_body()), 201)
    resolutions = ok(client.get("/billing/resolutions", headers=admin))
    resolution = resolutions[0] if resolutions else None
    body = {"customerId": customer["id"], "resolutionId": resolution["id"] if resolution else str(uuid.uuid4())}
    for line, message in (
        ({**PAID, "referencePrice": "25000.00"}, "only a line given away"),
        ({**GIFT, "referencePrice": "0"}, "must be greater than 0"),
        ({**GIFT, "referencePrice": "-1"}, "must be greater than 0"),
    ):
        problem = assert_problem(
            client.post("/billing/invoices", headers=admin, json={**body, "lines": [line]}),
            400,
            field="lines[0].referencePrice",
        )
        [error] = [e for e in problem["errors"] if e["field"] == "lines[0].referencePrice"]
        assert message in error["message"], error


_gift = st.fixed_dictionaries(
    {
        "description": st.just("Obsequio"),
        "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"), places=3).map(str),
        "unitPrice": st.just("0"),
        "referencePrice": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000.00"), places=2).map(str),
        "taxes": st.sampled_from(
            [[], [{"type": "IVA", "rate": "19"}], [{"type": "IVA", "rate": "5"}], [{"type": "INC", "rate": "8"}]]
        ),
    }
)
_paid = st.fixed_dictionaries(
    {
        "description": st.just("Artículo"),
        "quantity": st.decimals(min_value=Decimal("0.001"), max_value=Decimal("250"), places=3).map(str),
        "unitPrice": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000.00"), places=2).map(str),
        "discountPercent": st.sampled_from(["0", "12.5", "100"]),
        "taxes": st.sampled_from([[], [{"type": "IVA", "rate": "19"}], [{"type": "IVA", "rate": "0"}]]),
    }
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(lines=st.lists(st.one_of(_gift, _paid), min_size=1, max_size=12))
def test_property_invoices_with_gifts_issued_through_the_api_pass_the_dians_rules(client, admin, lines):
    nit = str(800_000_000 + uuid.uuid4().int % 199_999_999)
    invoice = issued_invoice(client, admin, lines=lines, customer=customer_body(nit=nit))
    c.check_all(produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice))
