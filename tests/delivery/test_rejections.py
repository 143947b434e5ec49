"""Issue 25: a rejected invoice is not an invoice. It is corrected and sent again under the same number (new
issue time, new CUFE, the rejected version and the DIAN's messages kept); no note may reference a document the
DIAN did not accept; a resolution belongs to a DIAN environment; each DIAN file type has its own consecutive.
Both engines; the DIAN is the project's fake one on 127.0.0.1 answering with its real rule rejection."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from delivery.test_delivery_jobs import delivery_of, fake, history_actions, invoice_of, smtp, the_zip, worker  # noqa: F401
from fixtures import dian as answers
from fixtures import dian_rules
from fixtures.common import assert_problem
from fixtures.conformance import NS
from fixtures.einvoicing import assert_schema_valid
from fixtures.einvoicing_api import LINES, configure, customer_body, issued_invoice, ok, resolution_body, xml_of
from nitida.einvoicing import signing
from nitida.users.models import Role


def rejected_invoice(client, tenant, worker, fake, smtp) -> tuple[dict, answers.StatefulDian]:  # noqa: F811
    dian = answers.StatefulDian(reject=True).install(fake)
    invoice = invoice_of(client, tenant)
    worker(tenant, fake, smtp.url).run_until_idle()
    assert delivery_of(client, tenant, invoice["id"])["electronicStatus"] == "REJECTED"
    return invoice, dian


def test_a_rejected_invoice_is_corrected_and_sent_again_under_its_number(client, tenant, worker, fake, smtp):  # noqa: F811
    headers = tenant.headers()
    invoice, dian = rejected_invoice(client, tenant, worker, fake, smtp)
    rejected_xml = xml_of(client, headers, f"/billing/invoices/{invoice['id']}/xml")
    messages = delivery_of(client, tenant, invoice["id"])["messages"]

    # Nothing may reference the rejected CUFE: no anulación, no note; the answer says what to do instead.
    refused = assert_problem(
        client.post(f"/billing/invoices/{invoice['id']}/void", headers=headers, json={"reason": "Error"}), 409
    )
    assert "rejected by the DIAN" in refused["detail"] and "/correction" in refused["detail"]
    body = {
        "concept": 3,
        "description": "Descuento",
        "lines": [{"description": "x", "quantity": "1", "unitPrice": "1"}],
    }
    assert_problem(client.post(f"/billing/invoices/{invoice['id']}/credit-notes", headers=headers, json=body), 409)
    assert_problem(client.post(f"/billing/invoices/{invoice['id']}/debit-notes", headers=headers, json=body), 409)
    assert_problem(
        client.post(f"/billing/invoices/{invoice['id']}/correction", headers=tenant.headers(Role.CONSULTA)), 403
    )

    # The clerk fixes the lines and the payment method; the DIAN now accepts what it is sent.
    dian.reject = False
    corrected = ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/correction",
            headers=tenant.headers(Role.OPERADOR),
            json={"paymentMethod": "EFECTIVO", "lines": LINES[:2]},
        )
    )
    assert corrected["number"] == invoice["number"] and corrected["status"] == "ISSUED"
    assert corrected["electronicStatus"] == "SIGNED" and corrected["cufe"] != invoice["cufe"]
    assert corrected["issuedAt"] > invoice["issuedAt"] and corrected["total"] != invoice["total"]
    assert len(corrected["lines"]) == 2 and corrected["paymentMethod"] == "EFECTIVO"
    xml = xml_of(client, headers, f"/billing/invoices/{invoice['id']}/xml")
    root = etree.fromstring(xml)
    assert root.findtext("cbc:ID", namespaces=NS) == invoice["number"]
    assert root.findtext("cbc:UUID", namespaces=NS) == corrected["cufe"]
    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=NS) == "10"  # efectivo
    assert_schema_valid(xml)
    assert signing.verify(xml)
    dian_rules.assert_dian_accepts(xml, what=f"corrected invoice {invoice['number']}")

    # The rejected version is kept: its CUFE, issue time, signed XML and every message of the DIAN.
    [version] = ok(
        client.get(f"/billing/invoices/{invoice['id']}/rejected-versions", headers=tenant.headers(Role.CONSULTA))
    )
    assert version["number"] == invoice["number"] and version["cufe"] == invoice["cufe"]
    assert version["dianMessages"] == messages and len(messages) == 21 and version["dianStatusCode"] == "99"
    assert version["fileName"] == "fv09001234560002600000001.xml"
    kept = client.get(f"/billing/invoices/{invoice['id']}/rejected-versions/{version['id']}/xml", headers=headers)
    assert kept.status_code == 200 and kept.content == rejected_xml
    assert history_actions(client, tenant, invoice["id"])[-1] == "CORRECTED"
    state = delivery_of(client, tenant, invoice["id"])
    assert state["messages"] == [] and state["electronicStatus"] == "SIGNED"

    worker(tenant, fake, smtp.url).run_until_idle()
    assert delivery_of(client, tenant, invoice["id"])["electronicStatus"] == "ACCEPTED"
    # The corrected document travelled as a new file (its own fv and z numbers), under the same invoice number.
    uploads = [r for r in fake.requests if r.checked.operation == "SendTestSetAsync"]
    assert [list(r.files) for r in uploads] == [
        ["fv09001234560002600000001.xml"],
        ["fv09001234560002600000002.xml"],
    ]
    assert [r.checked.params["fileName"] for r in uploads] == [
        "z09001234560002600000001.zip",
        "z09001234560002600000002.zip",
    ]
    assert len(smtp.messages) == 1
    # Accepted now: it may be voided, by a credit note referencing the CUFE the DIAN validated.
    voided = ok(client.post(f"/billing/invoices/{invoice['id']}/void", headers=headers, json={"reason": "Error"}))
    assert voided["status"] == "VOID"


def test_only_a_rejected_invoice_is_corrected_and_a_pending_one_takes_no_note(client, tenant):
    headers = tenant.headers()
    configure(client, headers)
    invoice = issued_invoice(client, headers)  # SIGNED: the DIAN has not answered
    refused = assert_problem(client.post(f"/billing/invoices/{invoice['id']}/correction", headers=headers), 409)
    assert "only an invoice the DIAN rejected" in refused["detail"]
    refused = assert_problem(
        client.post(f"/billing/invoices/{invoice['id']}/void", headers=headers, json={"reason": "Error"}), 409
    )
    assert "has not accepted it yet" in refused["detail"]
    body = {
        "concept": 3,
        "description": "Descuento",
        "lines": [{"description": "x", "quantity": "1", "unitPrice": "1"}],
    }
    assert_problem(client.post(f"/billing/invoices/{invoice['id']}/credit-notes", headers=headers, json=body), 409)
    shown = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))
    assert shown["status"] == "ISSUED" and shown["creditedTotal"] == "0.00"
    assert ok(client.get(f"/billing/invoices/{invoice['id']}/rejected-versions", headers=headers)) == []


def test_a_correction_with_bad_data_changes_nothing(client, tenant, worker, fake, smtp):  # noqa: F811
    headers = tenant.headers()
    invoice, _dian = rejected_invoice(client, tenant, worker, fake, smtp)
    bad = client.post(
        f"/billing/invoices/{invoice['id']}/correction",
        headers=headers,
        json={"lines": [{"description": "Resma", "quantity": "-1", "unitPrice": "100"}]},
    )
    assert bad.status_code == 400 and "lines[0].quantity" in bad.text, bad.text
    past = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    late = assert_problem(
        client.post(
            f"/billing/invoices/{invoice['id']}/correction",
            headers=headers,
            json={"paymentForm": "CREDITO", "dueDate": past},
        ),
        400,
    )
    assert late["errors"][0]["field"] == "dueDate"
    shown = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))
    assert shown["cufe"] == invoice["cufe"] and shown["electronicStatus"] == "REJECTED"
    assert shown["total"] == invoice["total"] and shown["paymentForm"] == "CONTADO"
    assert ok(client.get(f"/billing/invoices/{invoice['id']}/rejected-versions", headers=headers)) == []


def test_a_resolution_belongs_to_an_environment(client, tenant):
    headers = tenant.headers()
    configure(client, headers)
    test_set = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    assert test_set["environment"] == "HABILITACION"
    # The DIAN's test set is never a producción resolution.
    refused = assert_problem(
        client.post(
            "/billing/resolutions", headers=headers, json={**resolution_body("SETQ"), "environment": "PRODUCCION"}
        ),
        400,
    )
    assert refused["errors"][0]["field"] == "environment"

    # The business goes to producción: the test set's numbers are refused, saying why, and nothing is used up.
    settings = ok(client.get("/billing/electronic-invoicing", headers=headers))
    ok(
        client.put(
            "/billing/electronic-invoicing",
            headers=headers,
            json={"environment": "PRODUCCION", "softwareId": settings["softwareId"]},
        )
    )
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    body = {"customerId": customer["id"], "resolutionId": test_set["id"], "paymentForm": "CONTADO", "lines": LINES}
    draft = ok(client.post("/billing/invoices", headers=headers, json=body), 201)
    problem = assert_problem(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers), 409)
    assert "is for HABILITACION and the business issues in PRODUCCION" in problem["detail"]
    assert ok(client.get(f"/billing/invoices/{draft['id']}", headers=headers))["status"] == "DRAFT"
    assert ok(client.get(f"/billing/resolutions/{test_set['id']}", headers=headers))["nextNumber"] == 990000000

    # A resolution registered now is the business's environment's; issuing under it signs for producción.
    production = {
        **resolution_body("FE"),
        "resolutionNumber": "18764000001234",
        "rangeFrom": 1,
        "rangeTo": 5000,
        "technicalKey": "a" * 40,
    }
    made = ok(client.post("/billing/resolutions", headers=headers, json=production), 201)
    assert made["environment"] == "PRODUCCION"
    ok(client.patch(f"/billing/invoices/{draft['id']}", headers=headers, json={"resolutionId": made["id"]}))
    issued = ok(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers))
    assert issued["number"] == "FE1" and issued["electronicStatus"] == "SIGNED"
    xml = xml_of(client, headers, f"/billing/invoices/{draft['id']}/xml")
    assert etree.fromstring(xml).findtext("cbc:ProfileExecutionID", namespaces=NS) == "1"
    # Its environment no longer changes once a number was used; the unused test set's may not go to producción.
    in_use = assert_problem(
        client.patch(f"/billing/resolutions/{made['id']}", headers=headers, json={"environment": "HABILITACION"}), 409
    )
    assert "cannot change once an invoice" in in_use["detail"]
    assert_problem(
        client.patch(f"/billing/resolutions/{test_set['id']}", headers=headers, json={"environment": "PRODUCCION"}),
        400,
    )


def test_each_dian_file_type_has_its_own_consecutive(client, tenant, worker, fake, smtp, database):  # noqa: F811
    """The invoice and its credit note, mailed to one buyer, travel in containers of different names (the ad and
    z counters are their own, not the documents' consecutives, which both are 1)."""
    headers = tenant.headers()
    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant)
    worker(tenant, fake, smtp.url).run_until_idle()
    body = {
        "concept": 3,
        "description": "Descuento",
        "lines": [{"description": "Descuento", "quantity": "1", "unitPrice": "1000.00"}],
    }
    ok(client.post(f"/billing/invoices/{invoice['id']}/credit-notes", headers=headers, json=body), 201)
    worker(tenant, fake, smtp.url).run_until_idle()

    uploads = [(list(r.files)[0], r.checked.params["fileName"]) for r in fake.requests if r.files]
    assert uploads == [
        ("fv09001234560002600000001.xml", "z09001234560002600000001.zip"),
        ("nc09001234560002600000001.xml", "z09001234560002600000003.zip"),
    ]
    mailed = []
    for raw in smtp.messages:
        _subject, archive, msg = the_zip(raw)
        [attachment] = list(msg.iter_attachments())
        mailed.append((attachment.get_filename(), sorted(archive.namelist())))
    assert mailed == [
        ("z09001234560002600000002.zip", ["ad09001234560002600000001.pdf", "ad09001234560002600000001.xml"]),
        ("z09001234560002600000004.zip", ["ad09001234560002600000002.pdf", "ad09001234560002600000002.xml"]),
    ]
    every_name = (
        [name for pair in uploads for name in pair] + [m[0] for m in mailed] + [n for m in mailed for n in m[1]]
    )
    assert len(every_name) == len(set(every_name))
