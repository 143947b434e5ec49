"""Credit and debit notes through the API: documents, limits, numbering, void, balances, roles (both engines)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fixtures import conformance as c
from fixtures.common import assert_problem
from fixtures.einvoicing import SOFTWARE_PIN, TECHNICAL_KEY, assert_schema_valid
from fixtures.einvoicing_api import (
    LINES,
    accepted_invoice,
    change_one_peso,
    configure,
    customer_body,
    issued_invoice,
    ok,
    xml_of,
)
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
    # (the line the first note took is named: nothing of it is left)
    problem = assert_problem(credit(client, admin, invoice["id"], concept=3), 409)
    assert "line 1 (Resma papel carta 75 g)" in problem["detail"]
    # the refused note took no number: the next one is NC2; it credits every other line, whole
    rest = [{"line": n, "quantity": LINES[n - 1]["quantity"]} for n in range(2, len(LINES) + 1)]
    last = ok(credit(client, admin, invoice["id"], concept=3, items=rest), 201)
    assert last["number"] == "NC2"
    assert Decimal(last["total"]) == Decimal(invoice["total"]) - Decimal(partial["total"])
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
    assert (after["balance"], after["status"]) == ("0.00", "PAID")  # credited down to 0
    assert_problem(credit(client, admin, invoice["id"], concept=3, amount="0.01"), 409)


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
    # the rest of the balance as a discount: 34 966.39 + IVA 19 % (6 643.61) = 41 610.00
    assert ok(credit(client, admin, invoice["id"], concept=3, amount="34966.39"), 201)["total"] == "41610.00"
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


# --- notes tied to the invoice's lines (issue 25) ------------------------------------------------------------


def test_a_return_names_the_invoices_lines_and_takes_their_taxes(client, admin):
    invoice = accepted_invoice(client, admin)  # line 1: 10 resmas × 11 900.00 + IVA 19 %
    note = ok(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "2"}]), 201)
    [returned] = note["lines"]
    assert (returned["description"], returned["quantity"], returned["unitPrice"]) == (
        "Resma papel carta 75 g",
        "2",
        "11900.00",
    )
    assert returned["invoiceLine"] == 1 and [(t["type"], t["rate"]) for t in returned["taxes"]] == [("IVA", "19.00")]
    assert (note["subtotal"], note["taxTotal"], note["total"]) == ("23800.00", "4522.00", "28322.00")
    checked(client, admin, note, invoice)
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
    assert Decimal(after["balance"]) == Decimal(invoice["total"]) - Decimal("28322.00")
    # an excluded line's credit carries no IVA, whatever the clerk would have typed
    excluded = ok(credit(client, admin, invoice["id"], concept=4, items=[{"line": 5, "amount": "10000"}]), 201)
    assert excluded["lines"][0]["taxes"] == [] and excluded["total"] == "10000.00"
    checked(client, admin, excluded, invoice)


def test_a_credit_never_takes_more_of_a_line_than_is_left_of_it(client, admin):
    invoice = accepted_invoice(client, admin)
    problem = assert_problem(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "11"}]), 409)
    assert "line 1 (Resma papel carta 75 g): 10 units are left to credit, 11 units asked" in problem["detail"]
    assert problem["errors"][0]["field"] == "items[0]"
    ok(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "4"}]), 201)
    # after the first return, 6 are left; two items on one line add up
    problem = assert_problem(
        credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "3"}, {"line": 1, "quantity": "4"}]), 409
    )
    assert "6 units" not in problem["detail"] and "3 units are left to credit, 4 units asked" in problem["detail"]
    assert problem["errors"][0]["field"] == "items[1]"
    # an amount on the line counts against its value: 6 × 11 900.00 = 71 400.00 left
    problem = assert_problem(
        credit(client, admin, invoice["id"], concept=4, items=[{"line": 1, "amount": "71400.01"}]), 409
    )
    assert "71400.00 of its value is left" in problem["detail"]
    ok(credit(client, admin, invoice["id"], concept=4, items=[{"line": 1, "amount": "11900"}]), 201)
    # a free line repeating the invoice's counts too (5 units' worth of value are left, but the units are 6)
    problem = assert_problem(credit(client, admin, invoice["id"], lines=[{**LINES[0], "quantity": "6"}]), 409)
    assert "line 1" in problem["detail"]
    assert_problem(
        credit(client, admin, invoice["id"], items=[{"line": 6, "quantity": "1"}]), 400, field="items[0].line"
    )
    # nothing was issued by the refusals: NC1 and NC2 only
    assert [n["number"] for n in ok(client.get("/billing/credit-notes", headers=admin))] == ["NC2", "NC1"]


def test_each_concept_gives_what_it_is_about(client, admin):
    invoice = accepted_invoice(client, admin)
    # a return gives units, a price adjustment amounts, both name the invoice's lines
    assert_problem(
        credit(client, admin, invoice["id"], items=[{"line": 1, "amount": "100"}]), 400, field="items[0].quantity"
    )
    assert_problem(
        credit(client, admin, invoice["id"], concept=4, items=[{"line": 1, "quantity": "1"}]),
        400,
        field="items[0].amount",
    )
    assert_problem(credit(client, admin, invoice["id"], concept=4, lines=[LINES[0]]), 400, field="lines")
    assert_problem(credit(client, admin, invoice["id"], amount="100"), 400, field="amount")
    # a return of goods never invoiced
    never = [{"description": "Tóner HP 85A", "quantity": "1", "unitPrice": "250000.00"}]
    problem = assert_problem(credit(client, admin, invoice["id"], lines=never), 409)
    assert problem["errors"][0]["field"] == "lines[0]"
    # a discount with a tax none of the invoice's lines carries
    five = [
        {"description": "Descuento", "quantity": "1", "unitPrice": "100.00", "taxes": [{"type": "IVA", "rate": "5"}]}
    ]
    problem = assert_problem(credit(client, admin, invoice["id"], concept=3, lines=five), 409)
    assert "IVA 5 %" in problem["detail"]
    # one of lines, items and amount
    assert_problem(
        credit(client, admin, invoice["id"], concept=3, items=[{"line": 1, "quantity": "1"}], amount="5"),
        400,
        field="amount",
    )
    assert_problem(
        credit(client, admin, invoice["id"], concept=3, items=[{"line": 1, "quantity": "1", "amount": "5"}]), 400
    )


def test_a_discount_for_an_amount_is_split_over_the_invoices_taxes(client, admin):
    lines = [LINES[0], LINES[4]]  # 119 000.00 with IVA 19 %, 90 000.00 excluded
    invoice = accepted_invoice(client, admin, lines=lines)
    note = ok(credit(client, admin, invoice["id"], concept=5, description="Pronto pago", amount="20900.00"), 201)
    parts = sorted((ln["unitPrice"], [t["rate"] for t in ln["taxes"]]) for ln in note["lines"])
    assert parts == [("11900.00", ["19.00"]), ("9000.00", [])]
    assert (note["subtotal"], note["taxTotal"], note["total"]) == ("20900.00", "2261.00", "23161.00")
    checked(client, admin, note, invoice)
    problem = assert_problem(credit(client, admin, invoice["id"], concept=6, amount="188100.01"), 409)
    assert problem["errors"][0]["field"] == "amount" and "188100.00" in problem["detail"]


def test_debit_notes_by_lines_or_amount_and_the_void_after_them(client, admin):
    invoice = accepted_invoice(client, admin, lines=[LINES[0], LINES[4]])
    more = ok(debit(client, admin, invoice["id"], concept=3, lines=None, items=[{"line": 1, "quantity": "2"}]), 201)
    assert more["lines"][0]["invoiceLine"] == 1 and more["total"] == "28322.00"
    checked(client, admin, more, invoice)
    extra = ok(debit(client, admin, invoice["id"], concept=2, lines=None, amount="1000.00"), 201)
    assert sorted(ln["unitPrice"] for ln in extra["lines"]) == ["430.62", "569.38"]
    checked(client, admin, extra, invoice)
    assert_problem(debit(client, admin, invoice["id"], lines=None), 400, field="lines")
    # the debited units can be returned: 12 of line 1 now
    ok(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "11"}]), 201)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["balance"] == "0.00"
    assert [(ln["description"], ln["quantity"]) for ln in anulacion["lines"]][0] == ("Resma papel carta 75 g", "1")
    checked(client, admin, anulacion, invoice)


def test_void_after_returns_and_adjustments_by_line(client, admin):
    invoice = accepted_invoice(client, admin)
    ok(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "4"}, {"line": 3, "quantity": "1"}]), 201)
    ok(credit(client, admin, invoice["id"], concept=4, items=[{"line": 2, "amount": "950.00"}]), 201)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["balance"] == "0.00" and voided["creditedTotal"] == invoice["total"]
    assert {ln["invoiceLine"] for ln in anulacion["lines"]} == {None}  # what is left, not a credit of a line
    got = [(ln["description"], ln["quantity"], ln["unitPrice"]) for ln in anulacion["lines"]]
    assert got[:3] == [
        ("Resma papel carta 75 g", "6", "11900.00"),
        ("Cuaderno argollado 100 hojas", "1", "22000.00"),  # 22 950.00 less the 950.00 adjustment
        ("Libro de texto escolar", "1", "45000.00"),
    ]
    checked(client, admin, anulacion, invoice)


def test_void_after_returns_whose_tax_roundings_differ_from_the_invoices(client, admin):
    # 3 × 0.03 at IVA 19 %: the invoice's tax is 0.0171 -> 0.02 (total 0.11), each returned unit's 0.0057 -> 0.01.
    # After two returns (0.04 each) 0.03 is left, but the anulación of the last unit is 0.03 + 0.01: it was
    # refused as "not the whole uncredited total" (found by the hypothesis test below).
    cents = [{"description": "Clip", "quantity": "3", "unitPrice": "0.03", "taxes": [{"type": "IVA", "rate": "19"}]}]
    invoice = accepted_invoice(client, admin, lines=cents)
    assert invoice["total"] == "0.11"
    for _ in range(2):
        assert ok(credit(client, admin, invoice["id"], items=[{"line": 1, "quantity": "1"}]), 201)["total"] == "0.04"
    voided, anulacion = void_of(client, admin, invoice)
    assert (voided["status"], voided["balance"], anulacion["total"]) == ("VOID", "0.00", "0.04")
    assert [(ln["quantity"], ln["unitPrice"]) for ln in anulacion["lines"]] == [("1", "0.03")]
    checked(client, admin, anulacion, invoice)


# --- hypothesis: notes by lines over random invoices, then the void; every document passes the DIAN's rules ---

TAXES = [
    [],
    [{"type": "IVA", "rate": "19"}],
    [{"type": "IVA", "rate": "5"}],
    [{"type": "IVA", "rate": "0"}],
    [{"type": "INC", "rate": "8"}],
    [{"type": "IVA", "rate": "19"}, {"type": "INC", "rate": "8"}],
]
random_line = st.builds(
    lambda q, p, d, taxes: {
        "description": "Artículo de prueba",
        "quantity": str(q),
        "unitPrice": str(p),
        "discountPercent": str(d),
        "taxes": taxes,
    },
    st.one_of(
        st.integers(min_value=1, max_value=40).map(Decimal),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2),
    ),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000.00"), places=2),
    st.sampled_from([Decimal(0), Decimal(0), Decimal(5), Decimal("12.5"), Decimal(50)]),
    st.sampled_from(TAXES),
)
step = st.tuples(
    st.sampled_from(["return", "adjust", "discount", "debit"]),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=100),
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking an API walk takes minutes
)
@given(st.lists(random_line, min_size=1, max_size=5), st.lists(step, min_size=1, max_size=3))
def test_property_notes_by_lines_then_the_void_pass_the_dians_rules(client, admin, lines, steps):
    nit = str(800_000_000 + uuid.uuid4().int % 199_999_999)  # hypothesis seeds random: random_nit repeats
    invoice = accepted_invoice(client, admin, lines=lines, customer=customer_body(nit=nit))
    for what, line, percent in steps:
        n = (line - 1) % len(lines) + 1
        current = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=admin))
        returned = sum(
            Decimal(ln["quantity"])
            for note in current
            for ln in note["lines"]
            if ln["invoiceLine"] == n and note["concept"] == "1"
        )
        left_units = Decimal(lines[n - 1]["quantity"]) - returned
        share = Decimal(percent) / 100
        if what == "return":
            quantity = (left_units * share).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            body = {"concept": 1, "items": [{"line": n, "quantity": str(quantity)}]}
            response = credit(client, admin, invoice["id"], **body) if quantity > 0 else None
        elif what == "adjust":
            body = {"concept": 4, "items": [{"line": n, "amount": "0.01"}]}
            response = credit(client, admin, invoice["id"], **body)
        elif what == "discount":
            body = {"concept": 3, "amount": "0.01"}
            response = credit(client, admin, invoice["id"], **body)
        else:
            body = {"concept": 3, "lines": None, "items": [{"line": n, "quantity": "1"}]}
            response = debit(client, admin, invoice["id"], **body)
        if response is None:
            continue
        if response.status_code == 409:
            # only when nothing of the line (or of the invoice) is left to credit
            assert response.json()["type"].endswith(("credit-exceeds-line", "credit-exceeds-lines")), response.text
            continue
        if response.status_code == 400:
            assert "must be more than 0" in response.text, response.text  # a cent's tax-free share rounds to 0
            continue
        checked(client, admin, ok(response, 201), invoice)
    voided, anulacion = void_of(client, admin, invoice)
    assert voided["status"] == "VOID" and voided["balance"] == "0.00"
    if Decimal(anulacion["total"]) > 0:
        checked(client, admin, anulacion, invoice)
