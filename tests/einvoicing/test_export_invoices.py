"""Buyers abroad and the export invoice (issue 25), issued through the API on both engines.

A buyer abroad goes out with its country (not CO), its city and region as text and no DANE code; the export
invoice is InvoiceTypeCode 02 in a foreign currency with its exchange rate (PaymentExchangeRate, as the DIAN's
export sample and its rules M01-M06 have it), its lines exempt from IVA and naming brand and model. Every document
passes the XSD, the offline checks and the DIAN's own rules (tests/fixtures/dian_rules.py), its CUFE recomputed
from its own (foreign-currency) amounts, and the DIAN simulada accepts it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from fixtures import conformance as c
from fixtures import dian_rules
from fixtures.common import SECRET, assert_problem
from fixtures.einvoicing import SOFTWARE_PIN, TECHNICAL_KEY, assert_schema_valid
from fixtures.einvoicing_api import configure, dian_accepts, ok, resolution_body, xml_of
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.einvoicing import configuration, cufe
from nitida.jobs.worker import Worker
from nitida.users.models import Role

ABROAD = {
    "razonSocial": "Acme Trading Inc.",
    "tipoDocumento": "NIT_EXTRANJERO",
    "paisCodigo": "US",
    "ciudadExterior": "Miami",
    "regionExterior": "Florida",
    "direccion": "1200 Brickell Avenue, Suite 300",
    "email": "billing@acme.example",
    "responsabilidadesFiscales": ["R-99-PN"],
    "tributo": "ZZ",
}
EXPORT_LINES = [
    {
        "description": "Café verde excelso, saco de 70 kg",
        "quantity": "20",
        "unitPrice": "310.55",
        "taxes": [{"type": "IVA", "rate": "0"}],
        "brand": "Nítida Café",
        "model": "Excelso EP 70",
    },
    {
        "description": "Panela orgánica en bloque, caja de 24",
        "quantity": "12.5",
        "unitPrice": "48.37",
        "discountPercent": "5",
        "taxes": [{"type": "IVA", "rate": "0"}],
        "brand": "Trapiche Andino",
        "model": "Bloque 500 g",
    },
]


@pytest.fixture
def admin(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    return headers


def foreign_customer(client, headers, **changes) -> dict:
    body = {**ABROAD, "nit": f"98-{uuid.uuid4().int % 10_000_000:07d}", **changes}
    return ok(client.post("/billing/customers", headers=headers, json=body), 201)


def resolution(client, headers) -> dict:
    resolutions = ok(client.get("/billing/resolutions", headers=headers))
    return next((r for r in resolutions if r["prefix"] == "SETP"), None) or ok(
        client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201
    )


def draft(client, headers, customer: dict, **body):
    payload = {
        "customerId": customer["id"],
        "resolutionId": resolution(client, headers)["id"],
        "paymentForm": "CONTADO",
        "paymentMethod": "TRANSFERENCIA",
        "lines": EXPORT_LINES,
        "export": True,
        "currency": "USD",
        "exchangeRate": "3912.45",
        **body,
    }
    return client.post("/billing/invoices", headers=headers, json=payload)


def issued(client, headers, customer: dict, **body) -> dict:
    made = ok(draft(client, headers, customer, **body), 201)
    return ok(client.post(f"/billing/invoices/{made['id']}/issue", headers=headers))


def produced(xml: bytes, document: dict) -> c.Produced:
    return c.Produced(
        xml,
        technical_key=TECHNICAL_KEY,
        pin=SOFTWARE_PIN,
        resolution_number="18760000001",
        payable=Decimal(document["total"]),
        line_extension=Decimal(document["subtotal"]),
    )


def customer_address(p: c.Produced, where: str):
    return p.root.find(f"cac:AccountingCustomerParty/cac:Party/{where}", c.NS)


def test_an_invoice_to_a_buyer_abroad_carries_its_country_and_no_colombian_municipality(client, admin):
    customer = foreign_customer(client, admin)
    invoice = issued(
        client,
        admin,
        customer,
        export=False,
        currency="COP",
        exchangeRate=None,
        lines=[{"description": "Asesoría contable remota", "quantity": "1", "unitPrice": "850000.00"}],
    )
    assert invoice["customer"]["paisCodigo"] == "US" and invoice["customer"]["ciudadExterior"] == "Miami"
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert_schema_valid(p.root)
    assert p.text("cbc:InvoiceTypeCode") == "01"
    for where in ("cac:PhysicalLocation/cac:Address", "cac:PartyTaxScheme/cac:RegistrationAddress"):
        address = customer_address(p, where)
        assert address.findtext("cac:Country/cbc:IdentificationCode", namespaces=c.NS) == "US"
        assert address.findtext("cac:Country/cbc:Name", namespaces=c.NS) == "Estados Unidos"
        assert address.findtext("cbc:CityName", namespaces=c.NS) == "Miami"
        assert address.findtext("cbc:CountrySubentity", namespaces=c.NS) == "Florida"
        assert address.findtext("cac:AddressLine/cbc:Line", namespaces=c.NS) == "1200 Brickell Avenue, Suite 300"
        # No DANE municipality, department code or Colombian postal code.
        for absent in ("cbc:ID", "cbc:CountrySubentityCode", "cbc:PostalZone"):
            assert address.find(absent, c.NS) is None, absent
    company_id = p.root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", c.NS)
    assert (company_id.get("schemeName"), company_id.get("schemeID")) == ("50", None)
    assert p.text("cac:AccountingCustomerParty/cbc:AdditionalAccountID") == "1"  # a foreign company: jurídica
    dian_rules.assert_dian_accepts(p.xml, what=f"invoice {invoice['number']} to a buyer abroad")


def test_the_export_invoice_is_type_02_in_its_currency_with_the_exchange_rate_and_the_dian_accepts_it(client, admin):
    customer = foreign_customer(client, admin)
    invoice = issued(client, admin, customer)
    assert (invoice["export"], invoice["currency"], invoice["exchangeRate"]) == (True, "USD", "3912.45")
    # Amounts are the currency's: 20 × 310.55 + 12.5 × 48.37 × 0.95 (574.39), exempt from IVA.
    assert (invoice["subtotal"], invoice["taxTotal"], invoice["total"]) == ("6785.39", "0.00", "6785.39")
    assert [(line["brand"], line["model"]) for line in invoice["lines"]] == [
        ("Nítida Café", "Excelso EP 70"),
        ("Trapiche Andino", "Bloque 500 g"),
    ]
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert_schema_valid(p.root)
    assert p.text("cbc:InvoiceTypeCode") == "02"
    assert p.text("cbc:DocumentCurrencyCode") == "USD"
    amounts = [el for el in p.root.iter() if el.get("currencyID") is not None]
    assert amounts and {el.get("currencyID") for el in amounts} == {"USD"}
    rate = p.root.find("cac:PaymentExchangeRate", c.NS)
    assert [(c_.tag.split("}")[1], c_.text) for c_ in rate] == [
        ("SourceCurrencyCode", "USD"),
        ("SourceCurrencyBaseRate", "1.00"),
        ("TargetCurrencyCode", "COP"),
        ("TargetCurrencyBaseRate", "1.00"),
        ("CalculationRate", "3912.45"),
        ("Date", p.text("cbc:IssueDate")),
    ]
    assert p.text("cac:LegalMonetaryTotal/cbc:PayableAmount") == "6785.39"
    # Every line exempt: IVA at 0 %, and each good's brand and model.
    assert p.text("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent") == "0.00"
    assert [line.findtext("cac:Item/cbc:BrandName", namespaces=c.NS) for line in p.lines] == [
        "Nítida Café",
        "Trapiche Andino",
    ]
    # The CUFE is the annex's formula over the amounts as the XML writes them (dollars).
    key_input = cufe.key_input_from_xml(p.root)
    assert (key_input.line_extension, key_input.payable) == (Decimal("6785.39"), Decimal("6785.39"))
    assert key_input.hash(TECHNICAL_KEY) == invoice["cufe"] == p.text("cbc:UUID")
    dian_rules.assert_dian_accepts(p.xml, what=f"export invoice {invoice['number']}")


def test_a_credit_note_of_an_export_invoice_is_in_its_currency(client, admin):
    invoice = issued(client, admin, foreign_customer(client, admin))
    dian_accepts(client, admin, invoice)  # a note references only an invoice the DIAN accepted (main's rule)
    note = ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/credit-notes",
            headers=admin,
            json={"concept": 2, "description": "Anulación de la factura de exportación"},
        ),
        201,
    )
    xml = xml_of(client, admin, f"/billing/credit-notes/{note['id']}/xml")
    p = c.Produced(xml, technical_key=TECHNICAL_KEY, pin=SOFTWARE_PIN)
    assert_schema_valid(p.root)
    assert p.text("cbc:DocumentCurrencyCode") == "USD"
    assert p.text("cac:PaymentExchangeRate/cbc:CalculationRate") == "3912.45"
    assert p.text("cac:LegalMonetaryTotal/cbc:PayableAmount") == "6785.39"
    dian_rules.assert_dian_accepts(xml, what=f"credit note {note['number']} of an export invoice")


def test_a_buyer_without_identification_abroad_type_43(client, admin):
    customer = foreign_customer(
        client, admin, tipoDocumento="SIN_ID_EXTERIOR", nit="SINID001", tipoPersona="NATURAL", paisCodigo="EC"
    )
    invoice = issued(client, admin, customer, currency="EUR", exchangeRate="4410.10")
    p = produced(xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml"), invoice)
    assert_schema_valid(p.root)
    company_id = p.root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", c.NS)
    assert company_id.get("schemeName") == "43"
    assert customer_address(p, "cac:PhysicalLocation/cac:Address/cac:Country/cbc:IdentificationCode").text == "EC"
    # FAJ25: the v1.8 rule set's list of identification types (2019) predates 43, which Anexo 1.9 has; its
    # only hit here, allowed for this document alone.
    hits = dian_rules.unexpected(dian_rules.dian_messages(p.xml))
    assert {hit.rule for hit in hits} <= {"FAJ25"}, [str(h) for h in hits]
    dian_rules.assert_dian_accepts(p.xml, allowed=set(dian_rules.STALE_RULES) | {"FAJ25"})


def test_currency_rate_and_export_are_validated_naming_the_field(client, admin):
    abroad = foreign_customer(client, admin)
    local = ok(
        client.post(
            "/billing/customers",
            headers=admin,
            json={"razonSocial": "Comercializadora Andina S.A.S.", "nit": "800197268", "municipioCodigo": "11001"},
        ),
        201,
    )
    assert_problem(draft(client, admin, abroad, export=False), 400, field="currency")
    assert_problem(draft(client, admin, abroad, exchangeRate=None), 400, field="exchangeRate")
    assert_problem(draft(client, admin, abroad, exchangeRate="0"), 400, field="exchangeRate")
    assert_problem(draft(client, admin, abroad, currency="COP"), 400, field="exchangeRate")
    assert_problem(draft(client, admin, abroad, currency="XYZ"), 400, field="currency")
    assert_problem(draft(client, admin, local), 400, field="export")
    taxed = [{**EXPORT_LINES[0], "taxes": [{"type": "IVA", "rate": "19"}]}]
    assert_problem(draft(client, admin, abroad, lines=taxed), 400, field="lines")
    assert ok(client.get("/billing/invoices", headers=admin)) == []
    # A draft in dollars may become a sale in pesos only with its rate gone.
    made = ok(draft(client, admin, abroad), 201)
    path = f"/billing/invoices/{made['id']}"
    assert_problem(client.patch(path, headers=admin, json={"currency": "COP"}), 400, field="exchangeRate")
    assert_problem(client.patch(path, headers=admin, json={"customerId": local["id"]}), 400, field="export")
    assert ok(client.get(path, headers=admin))["currency"] == "USD"
    changed = ok(client.patch(path, headers=admin, json={"currency": "COP", "exchangeRate": None, "export": False}))
    assert (changed["currency"], changed["exchangeRate"], changed["export"]) == ("COP", None, False)


def test_an_export_line_without_brand_and_model_is_409_at_issue(client, admin):
    lines = [{k: v for k, v in EXPORT_LINES[0].items() if k not in ("brand", "model")}]
    made = ok(draft(client, admin, foreign_customer(client, admin), lines=lines), 201)
    problem = assert_problem(client.post(f"/billing/invoices/{made['id']}/issue", headers=admin), 409)
    assert "line 1 of an export invoice needs its brand (marca) and model (modelo)" in problem["detail"]
    assert ok(client.get(f"/billing/invoices/{made['id']}", headers=admin))["status"] == "DRAFT"


def test_the_dian_simulada_accepts_the_export_invoice(client, database, database_url, tenant):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    admin_user = tenant.users[Role.ADMIN]
    actor = Principal(
        user_id=admin_user.id, tenant_id=tenant.id, email=admin_user.email, name=admin_user.name, role=Role.ADMIN
    )
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    invoice = issued(client, headers, foreign_customer(client, headers))
    settings = Settings(database_url=database_url, secret_key=SECRET, smtp_url="", job_backoff_seconds=0)
    Worker(database, only_tenant=tenant.id, settings=settings, name=f"export-{tenant.id.hex[:6]}").run_until_idle()
    state = ok(client.get(f"/billing/invoices/{invoice['id']}/dian-messages", headers=headers))
    assert state["electronicStatus"] == "ACCEPTED" and state["statusCode"] == "00", state


def test_the_pdf_shows_the_currency_the_rate_and_the_buyer_abroad_in_spanish(client, admin, tmp_path):
    from dian.test_pdf import keep_sample, one_line, pages_png, text_of

    invoice = issued(client, admin, foreign_customer(client, admin))
    response = client.get(f"/billing/invoices/{invoice['id']}/pdf", headers=admin)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = one_line(text_of(response.content, tmp_path))
    assert "Factura electrónica de exportación" in text
    assert "Moneda: USD (Dólar estadounidense)" in text
    assert "Tasa de cambio: 1 USD = $ 3.912,45 COP" in text
    assert "Total en pesos: $ 26.547.499,11" in text  # 6.785,39 × 3.912,45
    assert "USD 6.785,39" in text and "$ 6.785,39" not in text
    assert "Seis mil setecientos ochenta y cinco con 39/100 USD (Dólar estadounidense)" in text
    assert "Marca: Nítida Café · Modelo: Excelso EP" in text  # the model wraps in its cell
    assert "Miami, Florida, Estados Unidos" in text and "NIT de otro país" in text
    [page] = pages_png(response.content, tmp_path, "export")
    keep_sample(page, f"export-invoice-{tmp_path.name[-12:]}.png")
