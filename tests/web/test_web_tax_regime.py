"""Issue 25, régimen coherence: an issuer not responsible for IVA cannot charge it. The API refuses the issue
with a 409 of its own (not "missing data"), and the invoice page says why in Spanish; nothing is issued."""

from __future__ import annotations

import html

from fixtures.common import assert_problem
from fixtures.einvoicing_api import ISSUER_BODY, customer_body, ok, resolution_body, settings_body
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role

NOT_RESPONSIBLE = {**ISSUER_BODY, "tributo": "ZZ", "responsabilidadesFiscales": ["R-99-PN"]}


def _draft_with_iva(client, headers) -> dict:
    ok(client.put("/billing/issuer", headers=headers, json=NOT_RESPONSIBLE))
    ok(client.put("/billing/electronic-invoicing", headers=headers, json=settings_body()))
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    lines = [
        {"description": "Asesoría (excluida)", "quantity": "1", "unitPrice": "60000.00"},
        {
            "description": "Resma carta",
            "quantity": "2",
            "unitPrice": "11900.00",
            "taxes": [{"type": "IVA", "rate": "19"}],
        },
    ]
    body = {"customerId": customer["id"], "resolutionId": resolution["id"], "paymentForm": "CONTADO", "lines": lines}
    return ok(client.post("/billing/invoices", headers=headers, json=body), 201)


def test_the_api_refuses_iva_from_an_issuer_not_responsible_for_it(client, tenant):
    headers = tenant.headers()
    draft = _draft_with_iva(client, headers)
    problem = assert_problem(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers), 409)
    assert problem["type"].endswith("iva-issuer-not-responsible"), problem
    assert (
        "the issuer is not responsible for IVA (tributo ZZ: No aplica) and cannot charge it: line 2"
        in (problem["detail"])
    )
    assert ok(client.get(f"/billing/invoices/{draft['id']}", headers=headers))["status"] == "DRAFT"


def test_the_invoice_page_says_in_spanish_why_it_cannot_issue(app, client, tenant):
    draft = _draft_with_iva(client, tenant.headers())
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    path = f"/app/facturas/{draft['id']}"
    refused = browser.post(f"{path}/emitir", data={"csrf_token": csrf_of(browser.get(path).text)})
    assert refused.status_code == 409
    text = html.unescape(refused.text)
    assert "La empresa no es responsable de IVA" in text and "no puede cobrarlo" in text
    assert "Faltan datos" not in text
    assert ok(client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()))["status"] == "DRAFT"
