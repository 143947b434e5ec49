"""Credit and debit notes through the API: documents, limits, numbering, void, balances, roles (both engines)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fixtures import conformance as c
from fixtures.common import assert_problem
from fixtures.einvoicing import SOFTWARE_PIN, TECHNICAL_KEY, assert_schema_valid
from fixtures.einvoicing_api import LINES, accepted_invoice, change_one_peso, configure, issued_invoice, ok, xml_of
from nitida.einvoicing import cufe, signing
from nitida.users.models import Role


@pytest.fixture
def admin(client, tenant):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    return headers


def credit(client, headers, invoice_id: str, **body):
    return client.post(
        f"/billing/invoices/{invoice_id}/credit-notes",
        headers=headers,
        json={"concept": 1, "description": "Devolución de mercancía", **body},
    )


def debit(client, headers, invoice_id: str, **body):
    return client.post(
        f"/billing/invoices/{invoice_id}/debit-notes",
        headers=headers,
        json={
            "concept": 1,
            "description": "Intereses de mora",
            "lines": [{"description": "Intereses de mora", "quantity": "1", "unitPrice": "35000.00"}],
            **body,
        },
    )


def checked(client, headers, note: dict, invoice: dict) -> c.Produced:
    """The note's XML passes the schema, the signature (and fails after one peso) and every offline rule."""
    path = "credit-notes" if note["kind"] == "CREDIT" else "debit-notes"
    xml = xml_of(client, headers, f"/billing/{path}/{note['id']}/xml")
    assert_schema_valid(xml)
    assert signing.verify(xml)
    assert not signing.verify(change_one_peso(xml))
    p = c.Produced(
        xml,
        technical_key=TECHNICAL_KEY,
        pin=SOFTWARE_PIN,
        payable=Decimal(note["total"]),
        line_extension=Decimal(note["subtotal"]),
    )
    c.check_all(p)
    assert p.text("cbc:ID") == note["number"] and p.text("cbc:UUID") == note["cude"]
    assert cufe.key_input_from_xml(p.root).hash(SOFTWARE_PIN) == note["cude"]  # CUDE: the PIN, not the key
    reference = p.root.find("cac:BillingReference/cac:InvoiceDocumentReference", c.NS)
    assert p.text("cbc:ID", reference) == invoice["number"]
    assert p.text("cbc:UUID", reference) == invoice["cufe"]
    assert p.text("cbc:IssueDate", reference) == invoice["issueDate"]
    assert p.text("cac:DiscrepancyResponse/cbc:ResponseCode") == note["concept"]
    assert p.text("cac:DiscrepancyResponse/cbc:Description") == note["description"]
    return p


def test_partial_credit_note_is_a_signed_document_and_lowers_the_balance(client, admin):
    invoice = accepted_invoice(client, admin)
    response = credit(client, admin, invoice["id"], concept=1, lines=[LINES[0]])
    note = ok(response, 201)
    assert (note["number"], note["prefix"], note["consecutive"], note["kind"]) == ("NC1", "NC", 1, "CREDIT")
    assert note["total"] == "141610.00" and note["electronicStatus"] == "SIGNED"
    assert note["invoiceNumber"] == invoice["number"] and note["conceptName"].startswith("Devolución parcial")
    checked(client, admin, note, invoice)
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
    assert after["creditedTotal"] == "141610.00"
    assert Decimal(after["balance"]) == Decimal(invoice["total"]) - Decimal("141610.00")
    assert after["status"] == "ISSUED"
    assert ok(client.get(f"/billing/credit-notes/{note['id']}", headers=admin)) == note
    assert ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=admin)) == [note]
    events = ok(client.get(f"/billing/invoices/{invoice['id']}/history", headers=admin))
    assert events[-1]["action"] == "CREDITED"


def test_default_lines_are_the_whole_invoice_and_never_more_than_uncredited(client, admin):
    invoice = accepted_invoice(client, admin)
    partial = ok(credit(client, admin, invoice["id"], concept=3, lines=[LINES[0]]), 201)
    # all the invoice's lines (the default) is now more than what remains uncredited
    problem = assert_problem(credit(client, admin, invoice["id"], concept=4), 409)
    assert "uncredited total" in problem["detail"]
    # the refused note took no number: the next one is NC2
    rest = Decimal(invoice["total"]) - Decimal(partial["total"])
    lines = [{"description": "Ajuste final", "quantity": "1", "unitPrice": f"{rest:.2f}"}]
    last = ok(credit(client, admin, invoice["id"], concept=4, lines=lines), 201)
    assert last["number"] == "NC2"
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
    assert (after["balance"], after["status"]) == ("0.00", "PAID")  # credited down to 0
    assert_problem(credit(client, admin, invoice["id"], lines=[{**lines[0], "unitPrice": "0.01"}]), 409)


def test_whole_credit_note_by_default(client, admin):
    invoice = accepted_invoice(client, admin)
    note = ok(credit(client, admin, invoice["id"], concept=5), 201)
    assert (note["total"], note["subtotal"], note["taxTotal"]) == (
        invoice["total"],
        invoice["subtotal"],
        invoice["taxTotal"],
    )
    assert [ln["description"] for ln in note["lines"]] == [ln["description"] for ln in invoice["lines"]]
    checked(client, admin, note, invoice)


def test_credit_beyond_the_open_balance_is_409(client, admin):
    invoice = accepted_invoice(client, admin, lines=LINES[:1])  # 141,610.00
    ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/payments",
            headers=admin,
            json={"amount": "100000.00", "method": "EFECTIVO"},
        ),
        201,
    )
    problem = assert_problem(credit(client, admin, invoice["id"], concept=3), 409)
    assert "open balance" in problem["detail"]
    rest = [{"description": "Descuento", "quantity": "1", "unitPrice": "41610.00"}]
    ok(credit(client, admin, invoice["id"], concept=3, lines=rest), 201)
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))["status"] == "PAID"


def test_anulacion_must_be_whole_and_void_issues_it(client, admin):
    invoice = accepted_invoice(client, admin)
    problem = assert_problem(credit(client, admin, invoice["id"], concept=2, lines=[LINES[0]]), 409)
    assert "anulación" in problem["detail"]
    voided = ok(
        client.post(f"/billing/invoices/{invoice['id']}/void", headers=admin, json={"reason": "Cliente errado"})
    )
    assert voided["status"] == "VOID" and voided["voidReason"] == "Cliente errado"
    assert voided["creditedTotal"] == invoice["total"] and voided["balance"] == "0.00"
    [note] = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=admin))
    assert (note["concept"], note["description"], note["total"]) == ("2", "Cliente errado", invoice["total"])
    checked(client, admin, note, invoice)
    # the XML stays the invoice's: an electronic invoice is never just flagged void
    xml_of(client, admin, f"/billing/invoices/{invoice['id']}/xml")
    assert_problem(credit(client, admin, invoice["id"]), 409)
    assert_problem(debit(client, admin, invoice["id"]), 409)
    actions = [e["action"] for e in ok(client.get(f"/billing/invoices/{invoice['id']}/history", headers=admin))]
    assert actions[-2:] == ["CREDITED", "VOIDED"]


def test_debit_note_raises_the_balance_and_reopens_a_paid_invoice(client, admin):
    invoice = accepted_invoice(client, admin, lines=LINES[:1])
    ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/payments",
            headers=admin,
            json={"amount": invoice["total"], "method": "TRANSFERENCIA"},
        ),
        201,
    )
    note = ok(debit(client, admin, invoice["id"]), 201)
    assert (note["number"], note["kind"], note["total"], note["conceptName"]) == (
        "ND1",
        "DEBIT",
        "35000.00",
        "Intereses",
    )
    p = checked(client, admin, note, invoice)
    assert p.root.find("cac:RequestedMonetaryTotal", c.NS) is not None
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
    assert (after["status"], after["balance"], after["debitedTotal"]) == ("ISSUED", "35000.00", "35000.00")
    assert ok(client.get(f"/billing/debit-notes/{note['id']}", headers=admin)) == note
    assert ok(client.get("/billing/debit-notes", headers=admin)) == [note]
    assert ok(debit(client, admin, invoice["id"], concept=4), 201)["number"] == "ND2"
    assert_problem(debit(client, admin, invoice["id"], concept=5), 400, field="concept")
    assert_problem(debit(client, admin, invoice["id"], lines=[]), 400, field="lines")


def test_notes_numbering_is_per_tenant_and_per_kind_and_prefixes_are_configurable(client, admin, make_tenant):
    invoice = accepted_invoice(client, admin)
    assert ok(credit(client, admin, invoice["id"], lines=[LINES[0]]), 201)["number"] == "NC1"
    assert ok(debit(client, admin, invoice["id"]), 201)["number"] == "ND1"
    ok(
        client.put(
            "/billing/electronic-invoicing",
            headers=admin,
            json={"environment": "HABILITACION", "softwareId": "x", "creditNotePrefix": "NCR"},
        )
    )
    assert ok(credit(client, admin, invoice["id"], lines=[LINES[2]]), 201)["number"] == "NCR2"
    # a prefix that spells a number already used: 409, not a server error
    ok(
        client.put(
            "/billing/electronic-invoicing",
            headers=admin,
            json={"environment": "HABILITACION", "softwareId": "x", "creditNotePrefix": "ND", "debitNotePrefix": "X"},
        )
    )
    # NC counter is at 3: ND3 is free
    assert ok(credit(client, admin, invoice["id"], lines=[LINES[3]]), 201)["number"] == "ND3"
    other = make_tenant("Otra S.A.S.", "800197268")
    other_admin = other.headers(Role.ADMIN)
    configure(client, other_admin)
    theirs = accepted_invoice(client, other_admin)
    assert ok(credit(client, other_admin, theirs["id"], lines=[LINES[0]]), 201)["number"] == "NC1"


def test_taken_note_number_is_409(client, admin):
    invoice = accepted_invoice(client, admin)
    ok(debit(client, admin, invoice["id"]), 201)  # ND1
    ok(
        client.put(
            "/billing/electronic-invoicing",
            headers=admin,
            json={"environment": "HABILITACION", "softwareId": "x", "creditNotePrefix": "ND", "debitNotePrefix": "X"},
        )
    )
    problem = assert_problem(credit(client, admin, invoice["id"], lines=[LINES[0]]), 409)  # would be ND1
    assert "already taken" in problem["detail"]
    assert ok(client.get("/billing/electronic-invoicing", headers=admin))["nextCreditNote"] == 1


def test_notes_refused_on_drafts(client, admin):
    invoice = issued_invoice(client, admin)
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=admin,
            json={"customerId": invoice["customerId"], "resolutionId": invoice["resolutionId"], "lines": LINES[:1]},
        ),
        201,
    )
    assert_problem(credit(client, admin, draft["id"]), 409)
    assert_problem(debit(client, admin, draft["id"]), 409)


def test_roles_and_tenants(client, tenant, admin, make_tenant):
    invoice = accepted_invoice(client, admin)
    assert_problem(credit(client, tenant.headers(Role.CONSULTA), invoice["id"]), 403)
    assert_problem(debit(client, tenant.headers(Role.CONSULTA), invoice["id"]), 403)
    note = ok(credit(client, tenant.headers(Role.OPERADOR), invoice["id"], lines=[LINES[0]]), 201)
    dnote = ok(debit(client, tenant.headers(Role.OPERADOR), invoice["id"]), 201)
    for role in Role:
        headers = tenant.headers(role)
        assert ok(client.get(f"/billing/credit-notes/{note['id']}", headers=headers))["id"] == note["id"]
        xml_of(client, headers, f"/billing/credit-notes/{note['id']}/xml")
        xml_of(client, headers, f"/billing/debit-notes/{dnote['id']}/xml")
    # a credit note's id is not a debit note's
    assert_problem(client.get(f"/billing/debit-notes/{note['id']}", headers=admin), 404)
    other = make_tenant("Otra S.A.S.", "800197268")
    for role in Role:
        headers = other.headers(role)
        for path in (
            f"/billing/credit-notes/{note['id']}",
            f"/billing/credit-notes/{note['id']}/xml",
            f"/billing/debit-notes/{dnote['id']}",
            f"/billing/debit-notes/{dnote['id']}/xml",
        ):
            assert_problem(client.get(path, headers=headers), 404)
        assert ok(client.get("/billing/credit-notes", headers=headers)) == []
    assert_problem(credit(client, other.headers(Role.ADMIN), invoice["id"]), 404)


def test_credit_note_concepts_are_those_of_anexo_1_9(client, admin):
    # Issue 25: the 2019 list ended in "5 Otros" (which the DIAN reads as a prompt-payment discount) and
    # refused 6. Anexo 1.9: 5 descuento comercial por pronto pago, 6 descuento comercial por volumen de ventas.
    invoice = accepted_invoice(client, admin, lines=LINES[:1])
    part = [{**LINES[0], "quantity": "1"}]
    volume = ok(credit(client, admin, invoice["id"], concept=6, description="Descuento por volumen", lines=part), 201)
    assert (volume["concept"], volume["conceptName"]) == ("6", "Descuento comercial por volumen de ventas")
    p = checked(client, admin, volume, invoice)
    assert p.text("cac:DiscrepancyResponse/cbc:ResponseCode") == "6"
    prompt = ok(credit(client, admin, invoice["id"], concept=5, description="Pronto pago", lines=part), 201)
    assert prompt["conceptName"] == "Descuento comercial por pronto pago"
    checked(client, admin, prompt, invoice)
    assert_problem(credit(client, admin, invoice["id"], concept=7, lines=part), 400, field="concept")
    problem = assert_problem(credit(client, admin, invoice["id"], concept=2, lines=part), 409)
    assert "use concept 1, 3, 4, 5 or 6 for part of it" in problem["detail"]


def void_of(client, headers, invoice: dict, reason: str = "Factura errada") -> tuple[dict, dict]:
    voided = ok(client.post(f"/billing/invoices/{invoice['id']}/void", headers=headers, json={"reason": reason}))
    notes = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=headers))
    [anulacion] = [n for n in notes if n["concept"] == "2"]
    return voided, anulacion


def test_void_after_a_partial_credit_note_credits_what_is_left(client, admin):
    # Issue 25: the anulación took the whole invoice again, more than was left: 409.
    invoice = accepted_invoice(client, admin)
    returned = ok(credit(client, admin, invoice["id"], lines=[{**LINES[0], "quantity": "4"}]), 201)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["balance"] == "0.00"
    assert Decimal(anulacion["total"]) == Decimal(invoice["total"]) - Decimal(returned["total"])
    assert voided["creditedTotal"] == invoice["total"]
    # the invoice's lines, the returned one with what was left of it (10 - 4)
    assert [ln["quantity"] for ln in anulacion["lines"]][0] == "6"
    assert len(anulacion["lines"]) == len(LINES)
    checked(client, admin, anulacion, invoice)


def test_void_after_a_credit_for_an_amount_credits_the_rest_per_tax(client, admin):
    invoice = accepted_invoice(client, admin, lines=LINES[:1])  # 10 × 11 900.00 + IVA 19 %
    discount = [{"description": "Descuento", "quantity": "1", "unitPrice": "9000.00", "taxes": LINES[0]["taxes"]}]
    ok(credit(client, admin, invoice["id"], concept=3, lines=discount), 201)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["creditedTotal"] == invoice["total"]
    assert [(ln["quantity"], ln["unitPrice"]) for ln in anulacion["lines"]] == [("1", "110000.00")]
    checked(client, admin, anulacion, invoice)


def test_void_after_a_debit_note_credits_the_debit_too(client, admin):
    invoice = accepted_invoice(client, admin, lines=LINES[:1])
    interest = ok(debit(client, admin, invoice["id"]), 201)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["balance"] == "0.00"
    assert Decimal(anulacion["total"]) == Decimal(invoice["total"]) + Decimal(interest["total"])
    assert [ln["description"] for ln in anulacion["lines"]] == [LINES[0]["description"], "Intereses de mora"]
    checked(client, admin, anulacion, invoice)


def test_void_of_a_zero_total_invoice(client, admin):
    # The README promises it; the anulación of nothing owed failed ("total must be more than 0").
    sample = [{"description": "Muestra sin valor", "quantity": "1", "unitPrice": "0.00", "taxes": []}]
    invoice = accepted_invoice(client, admin, lines=sample)
    assert invoice["total"] == "0.00"
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and anulacion["total"] == "0.00"
    checked(client, admin, anulacion, invoice)
