"""Invoices through the API: drafts, totals, the state machine, issue, payments, void, list, history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures.common import assert_problem
from fixtures.invoices import (
    draft_body,
    issue,
    line,
    make_customer,
    make_draft,
    make_issued,
    make_resolution,
    pay,
    today,
)
from nitida.users.models import Role

# --- drafts and totals ---------------------------------------------------------------


def test_draft_totals_computed_by_the_server(client, tenant):
    lines = [
        line("Escritorio", "2", "50000.00", "10", [("IVA", "19")]),
        line("Libros", "1.5", "12000", "0", [("IVA", 5)]),
        line("Arroz", "3", 2500, "0", [("IVA", "0")]),
        line("Almuerzo ejecutivo", "1", "45000.00", "0", [("INC", "8")]),
        line("Servicio excluido", "4", "1000.00", "0", []),
        line("Tinta", "0.25", "19999.99", "12.5", [("IVA", "19")]),
    ]
    draft = make_draft(client, tenant, lines=lines)
    assert draft["status"] == "DRAFT" and draft["number"] is None and draft["issueDate"] is None
    assert [ln["base"] for ln in draft["lines"]] == [
        "90000.00",
        "18000.00",
        "7500.00",
        "45000.00",
        "4000.00",
        "4375.00",
    ]
    assert draft["lines"][1]["quantity"] == "1.5" and draft["lines"][1]["unitPrice"] == "12000.00"
    assert draft["lines"][0]["taxes"] == [{"type": "IVA", "rate": "19.00", "amount": "17100.00"}]
    assert draft["lines"][4]["taxes"] == []
    assert [(ln["taxTotal"], ln["total"]) for ln in draft["lines"]] == [
        ("17100.00", "107100.00"),
        ("900.00", "18900.00"),
        ("0.00", "7500.00"),
        ("3600.00", "48600.00"),
        ("0.00", "4000.00"),
        ("831.25", "5206.25"),
    ]
    assert draft["taxes"] == [
        {"type": "INC", "rate": "8.00", "taxableAmount": "45000.00", "taxAmount": "3600.00"},
        {"type": "IVA", "rate": "0.00", "taxableAmount": "7500.00", "taxAmount": "0.00"},
        {"type": "IVA", "rate": "5.00", "taxableAmount": "18000.00", "taxAmount": "900.00"},
        {"type": "IVA", "rate": "19.00", "taxableAmount": "94375.00", "taxAmount": "17931.25"},
    ]
    assert (draft["subtotal"], draft["taxTotal"], draft["total"]) == ("168875.00", "22431.25", "191306.25")
    assert (draft["amountPaid"], draft["balance"]) == ("0.00", "191306.25")
    # And the same when read back.
    got = client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers(Role.CONSULTA))
    assert got.status_code == 200 and got.json() == draft


def test_half_cent_boundaries_through_the_api(client, tenant):
    draft = make_draft(
        client,
        tenant,
        lines=[line(quantity="1", unit_price="0.10", taxes=[("IVA", "5")])] * 3
        + [line(quantity="2.5", unit_price="0.01", taxes=[("IVA", "19")])],
    )
    assert [ln["base"] for ln in draft["lines"]] == ["0.10", "0.10", "0.10", "0.03"]
    # A group's tax is its base × rate (0.30 × 5 % = 0.015 -> 0.02, issue 25), which its lines share.
    assert draft["taxes"] == [
        {"type": "IVA", "rate": "5.00", "taxableAmount": "0.30", "taxAmount": "0.02"},
        {"type": "IVA", "rate": "19.00", "taxableAmount": "0.03", "taxAmount": "0.01"},
    ]
    assert [[t["amount"] for t in ln["taxes"]] for ln in draft["lines"]] == [["0.00"], ["0.01"], ["0.01"], ["0.01"]]
    assert draft["total"] == "0.36"


def test_client_totals_are_refused(client, tenant):
    customer, resolution = make_customer(client, tenant), make_resolution(client, tenant)
    body = draft_body(customer, resolution, total="1.00")
    assert_problem(client.post("/billing/invoices", json=body, headers=tenant.headers()), 400, field="total")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0.1}, "lines[0].quantity"),
        ({"unitPrice": 19.99}, "lines[0].unitPrice"),
        ({"unitPrice": "10.001"}, "lines[0].unitPrice"),
        ({"quantity": "1.1234567"}, "lines[0].quantity"),
        ({"quantity": "0"}, "lines[0].quantity"),
        ({"quantity": "-1"}, "lines[0].quantity"),
        ({"unitPrice": "-0.01"}, "lines[0].unitPrice"),
        ({"discountPercent": "101"}, "lines[0].discountPercent"),
        ({"discountPercent": "-1"}, "lines[0].discountPercent"),
        ({"taxes": [{"type": "IVA", "rate": "16"}]}, "lines[0].taxes[0].rate"),
        ({"taxes": [{"type": "INC", "rate": "19"}]}, "lines[0].taxes[0].rate"),
        ({"taxes": [{"type": "IVA", "rate": 0.1}]}, "lines[0].taxes[0].rate"),
        ({"taxes": [{"type": "ICA", "rate": "1"}]}, "lines[0].taxes[0].type"),
        ({"taxes": [{"type": "IVA", "rate": "19"}, {"type": "IVA", "rate": "5"}]}, "lines[0].taxes"),
        ({"description": ""}, "lines[0].description"),
        ({"lineTotal": "5.00"}, "lines[0].lineTotal"),
    ],
)
def test_line_validation(client, tenant, change, field):
    customer, resolution = make_customer(client, tenant), make_resolution(client, tenant)
    body = draft_body(customer, resolution, lines=[{**line(), **change}])
    assert_problem(client.post("/billing/invoices", json=body, headers=tenant.headers()), 400, field=field)


def test_float_message_says_how_to_send_it(client, tenant):
    customer, resolution = make_customer(client, tenant), make_resolution(client, tenant)
    body = draft_body(customer, resolution, lines=[{**line(), "unitPrice": 0.1}])
    problem = assert_problem(
        client.post("/billing/invoices", json=body, headers=tenant.headers()), 400, field="lines[0].unitPrice"
    )
    assert "exactly" in problem["detail"] and "string" in problem["detail"]


def test_huge_totals_are_refused(client, tenant):
    big = line(quantity="1000000000", unit_price="1000000000000.00", taxes=[])
    customer, resolution = make_customer(client, tenant), make_resolution(client, tenant)
    r = client.post("/billing/invoices", json=draft_body(customer, resolution, lines=[big]), headers=tenant.headers())
    assert_problem(r, 400, field="lines")


def test_draft_references_must_be_the_tenants(client, tenant, other_tenant):
    mine, theirs = make_customer(client, tenant), make_customer(client, other_tenant)
    my_res, their_res = make_resolution(client, tenant), make_resolution(client, other_tenant)
    r = client.post("/billing/invoices", json=draft_body(theirs, my_res), headers=tenant.headers())
    body = assert_problem(r, 400, field="customerId")
    assert "not found" in body["detail"]
    r = client.post("/billing/invoices", json=draft_body(mine, their_res), headers=tenant.headers())
    assert_problem(r, 400, field="resolutionId")
    r = client.post(
        "/billing/invoices", json={**draft_body(mine, my_res), "customerId": "nope"}, headers=tenant.headers()
    )
    assert_problem(r, 400, field="customerId")


def test_inactive_customer_cannot_get_a_draft(client, tenant):
    customer = make_customer(client, tenant, status="INACTIVE")
    resolution = make_resolution(client, tenant)
    r = client.post("/billing/invoices", json=draft_body(customer, resolution), headers=tenant.headers())
    body = assert_problem(r, 400, field="customerId")
    assert "INACTIVE" in body["detail"]


def test_patch_and_delete_a_draft(client, tenant):
    draft = make_draft(client, tenant)
    other = make_customer(client, tenant, razon_social="Otro Cliente S.A.S.")
    r = client.patch(
        f"/billing/invoices/{draft['id']}",
        json={
            "customerId": other["id"],
            "notes": "Entregar en portería",
            "dueDate": (today() + timedelta(days=30)).isoformat(),
            "paymentForm": "CREDITO",
            "lines": [line(quantity="3", unit_price="1000", taxes=[("INC", "8")])],
        },
        headers=tenant.headers(Role.OPERADOR),
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["customer"]["razonSocial"] == "Otro Cliente S.A.S." and got["paymentForm"] == "CREDITO"
    assert len(got["lines"]) == 1 and (got["subtotal"], got["taxTotal"], got["total"]) == (
        "3000.00",
        "240.00",
        "3240.00",
    )
    assert got["taxes"] == [{"type": "INC", "rate": "8.00", "taxableAmount": "3000.00", "taxAmount": "240.00"}]
    for bad, field in (
        ({"lines": []}, "lines"),
        ({"lines": None}, "lines"),
        ({"customerId": None}, "customerId"),
        ({"status": "PAID"}, "status"),
        ({"number": "X1"}, "number"),
    ):
        assert_problem(
            client.patch(f"/billing/invoices/{draft['id']}", json=bad, headers=tenant.headers()), 400, field=field
        )
    r = client.delete(f"/billing/invoices/{draft['id']}", headers=tenant.headers(Role.OPERADOR))
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()), 404)


# --- issue ----------------------------------------------------------------------------------------


def test_issue_numbers_and_snapshot_survives_customer_edit(client, tenant):
    customer = make_customer(
        client, tenant, razon_social="Papelería Nítida S.A.S.", tipoDocumento="NIT", nit="900.123.456-8"
    )
    resolution = make_resolution(client, tenant, prefix="SETP", range_from=990000000, range_to=995000000)
    first = make_issued(client, tenant, customer=customer, resolution=resolution)
    second = make_issued(client, tenant, customer=customer, resolution=resolution)
    assert (first["number"], first["prefix"], first["consecutive"]) == ("SETP990000000", "SETP", 990000000)
    assert second["number"] == "SETP990000001"
    assert first["status"] == "ISSUED" and first["issueDate"] == today().isoformat() and first["issuedAt"]
    assert first["dueDate"] == first["issueDate"]  # CONTADO without a due date: due on issue
    snapshot = {
        "id": customer["id"],
        "razonSocial": "Papelería Nítida S.A.S.",
        "tipoDocumento": "NIT",
        "tipoDocumentoCodigo": "31",
        "nit": "900123456",
        "dv": "8",
        "email": "compras@example.co",
        "direccion": "Calle 10 # 5-20, Bogotá",
        # fiscal data for electronic invoices (issue 10): the customer's defaults
        "tipoPersona": None,
        "responsabilidadesFiscales": ["R-99-PN"],
        "tributo": "ZZ",
        "municipioCodigo": None,
        "codigoPostal": None,
        # a buyer's country and foreign address (issue 25): a Colombian customer
        "paisCodigo": "CO",
        "ciudadExterior": None,
        "regionExterior": None,
    }
    assert first["customer"] == snapshot
    res = client.get(f"/billing/resolutions/{resolution['id']}", headers=tenant.headers()).json()
    assert (res["nextNumber"], res["remaining"]) == (990000002, 4999999)

    r = client.patch(
        f"/billing/customers/{customer['id']}",
        json={"razonSocial": "Nombre Nuevo Ltda.", "email": "otro@example.co", "direccion": "Carrera 7"},
        headers=tenant.headers(),
    )
    assert r.status_code == 200, r.text
    again = client.get(f"/billing/invoices/{first['id']}", headers=tenant.headers()).json()
    assert again["customer"] == snapshot and again["customerName"] == "Papelería Nítida S.A.S."
    # A draft shows the customer as it is now.
    draft = make_draft(client, tenant, customer=customer, resolution=resolution)
    assert draft["customer"]["razonSocial"] == "Nombre Nuevo Ltda."


def test_range_used_up(client, tenant):
    resolution = make_resolution(client, tenant, prefix="AB", range_from=7, range_to=8)
    assert make_issued(client, tenant, resolution=resolution)["number"] == "AB7"
    assert make_issued(client, tenant, resolution=resolution)["number"] == "AB8"
    draft = make_draft(client, tenant, resolution=resolution)
    body = assert_problem(issue(client, tenant, draft["id"]), 409)
    assert body["type"].endswith("/resolution-range-used-up")
    assert body["detail"] == (
        f"Resolution {resolution['resolutionNumber']} (prefix AB) has used up its range 7-8: no numbers remain. "
        "Register a new resolution and choose it for the draft."
    )
    assert client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()).json()["status"] == "DRAFT"
    # Growing the range lets the draft through, with the next number: no gap.
    r = client.patch(f"/billing/resolutions/{resolution['id']}", json={"rangeTo": 9}, headers=tenant.headers())
    assert r.status_code == 200
    assert issue(client, tenant, draft["id"]).json()["number"] == "AB9"


@pytest.mark.parametrize("when", ["expired", "not yet valid"])
def test_resolution_not_valid_today(client, tenant, when):
    if when == "expired":
        valid_from, valid_to = today() - timedelta(days=400), today() - timedelta(days=1)
    else:
        valid_from, valid_to = today() + timedelta(days=1), today() + timedelta(days=400)
    resolution = make_resolution(client, tenant, valid_from=valid_from, valid_to=valid_to)
    draft = make_draft(client, tenant, resolution=resolution)
    body = assert_problem(issue(client, tenant, draft["id"]), 409)
    assert body["type"].endswith("/resolution-not-valid")
    assert body["detail"] == (
        f"Resolution {resolution['resolutionNumber']} (prefix {resolution['prefix']}) is not valid on "
        f"{today().isoformat()}: it is valid from {resolution['validFrom']} to {resolution['validTo']}. "
        "Choose another resolution for the draft or register a current one."
    )
    res = client.get(f"/billing/resolutions/{resolution['id']}", headers=tenant.headers()).json()
    assert res["nextNumber"] == res["rangeFrom"]  # nothing consumed


@pytest.mark.parametrize("day", ["first", "last", "only"])
def test_a_resolution_numbers_on_its_first_and_last_valid_day(client, tenant, day):
    span = {
        "first": {"valid_from": today(), "valid_to": today() + timedelta(days=30)},
        "last": {"valid_from": today() - timedelta(days=30), "valid_to": today()},
        "only": {"valid_from": today(), "valid_to": today()},
    }[day]
    resolution = make_resolution(client, tenant, prefix=f"D{day[0].upper()}", range_from=1, range_to=1, **span)
    assert make_issued(client, tenant, resolution=resolution)["number"] == f"D{day[0].upper()}1"


def test_issue_preconditions(client, tenant):
    # CREDITO without a due date, a due date in the past, an inactive customer: 409, still a draft.
    credit = make_draft(client, tenant, paymentForm="CREDITO")
    assert "dueDate" in assert_problem(issue(client, tenant, credit["id"]), 409)["detail"]
    past = make_draft(client, tenant, dueDate=(today() - timedelta(days=1)).isoformat())
    assert "before the issue date" in assert_problem(issue(client, tenant, past["id"]), 409)["detail"]
    customer = make_customer(client, tenant)
    draft = make_draft(client, tenant, customer=customer)
    client.patch(f"/billing/customers/{customer['id']}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert "INACTIVE" in assert_problem(issue(client, tenant, draft["id"]), 409)["detail"]
    credit_ok = make_draft(client, tenant, paymentForm="CREDITO", dueDate=(today() + timedelta(days=30)).isoformat())
    r = issue(client, tenant, credit_ok["id"])
    assert r.status_code == 200 and r.json()["dueDate"] == (today() + timedelta(days=30)).isoformat()


# --- the state machine -------------------------------------------------------------------------


def _states(client, tenant):
    """One invoice in each state (ISSUED twice: without and with a payment)."""
    draft = make_draft(client, tenant)
    issued = make_issued(client, tenant, lines=[line(unit_price="1000.00", taxes=[])])
    partly = make_issued(client, tenant, lines=[line(unit_price="1000.00", taxes=[])])
    assert pay(client, tenant, partly["id"], "1.00").status_code == 201
    paid = make_issued(client, tenant, lines=[line(unit_price="1000.00", taxes=[])])
    assert pay(client, tenant, paid["id"], "1000.00").json()["status"] == "PAID"
    void = make_issued(client, tenant)
    assert (
        client.post(
            f"/billing/invoices/{void['id']}/void", json={"reason": "Error en el valor"}, headers=tenant.headers()
        ).json()["status"]
        == "VOID"
    )
    return {"DRAFT": draft, "ISSUED": issued, "ISSUED_WITH_PAYMENT": partly, "PAID": paid, "VOID": void}


def test_every_forbidden_transition_is_409(client, tenant):
    inv = _states(client, tenant)
    h = tenant.headers(Role.ADMIN)
    forbidden = []
    for state in ("ISSUED", "ISSUED_WITH_PAYMENT", "PAID", "VOID"):
        iid = inv[state]["id"]
        forbidden += [
            (f"edit {state}", client.patch(f"/billing/invoices/{iid}", json={"notes": "x"}, headers=h)),
            (f"delete {state}", client.delete(f"/billing/invoices/{iid}", headers=h)),
            (f"issue {state}", client.post(f"/billing/invoices/{iid}/issue", headers=h)),
        ]
    for state in ("DRAFT", "VOID", "PAID"):
        forbidden.append((f"pay {state}", pay(client, tenant, inv[state]["id"], "1.00", role=Role.ADMIN)))
    for state in ("DRAFT", "PAID", "VOID", "ISSUED_WITH_PAYMENT"):
        forbidden.append(
            (
                f"void {state}",
                client.post(f"/billing/invoices/{inv[state]['id']}/void", json={"reason": "x"}, headers=h),
            )
        )
    for what, response in forbidden:
        body = assert_problem(response, 409)
        assert body["detail"], what
    # Nothing changed.
    expected = {
        "DRAFT": ("DRAFT", "0.00"),
        "ISSUED": ("ISSUED", "0.00"),
        "ISSUED_WITH_PAYMENT": ("ISSUED", "1.00"),
        "PAID": ("PAID", "1000.00"),
        "VOID": ("VOID", "0.00"),
    }
    for state, original in inv.items():
        now = client.get(f"/billing/invoices/{original['id']}", headers=h).json()
        assert (now["status"], now["amountPaid"], now["number"]) == (*expected[state], original["number"]), state


def test_void_keeps_its_number_and_it_is_never_reused(client, tenant):
    resolution = make_resolution(client, tenant, prefix="V", range_from=1, range_to=100)
    first = make_issued(client, tenant, resolution=resolution)
    r = client.post(
        f"/billing/invoices/{first['id']}/void", json={"reason": "Cliente equivocado"}, headers=tenant.headers()
    )
    assert r.status_code == 200, r.text
    voided = r.json()
    assert (voided["status"], voided["number"], voided["voidReason"]) == ("VOID", "V1", "Cliente equivocado")
    assert voided["voidedAt"] and voided["balance"] == voided["total"]
    assert make_issued(client, tenant, resolution=resolution)["number"] == "V2"
    assert_problem(
        client.post(f"/billing/invoices/{first['id']}/void", json={}, headers=tenant.headers()), 400, field="reason"
    )


# --- payments -------------------------------------------------------------------------------------


def test_payments_to_paid_and_overpayment(client, tenant):
    invoice = make_issued(client, tenant)  # 100000.00 + IVA 19 %
    assert invoice["total"] == "119000.00"
    r = pay(client, tenant, invoice["id"], "19000.50", date=today().isoformat())
    assert r.status_code == 201, r.text
    after = r.json()
    assert (after["status"], after["amountPaid"], after["balance"]) == ("ISSUED", "19000.50", "99999.50")
    assert after["payments"][0]["amount"] == "19000.50" and after["payments"][0]["method"] == "TRANSFERENCIA"
    over = pay(client, tenant, invoice["id"], "99999.51")
    body = assert_problem(over, 400, field="amount")
    assert "99999.50" in body["detail"]
    assert_problem(pay(client, tenant, invoice["id"], 0.1), 400, field="amount")
    assert_problem(pay(client, tenant, invoice["id"], "0"), 400, field="amount")
    assert_problem(
        pay(client, tenant, invoice["id"], "1.00", date=(today() + timedelta(days=1)).isoformat()), 400, field="date"
    )
    assert_problem(
        pay(client, tenant, invoice["id"], "1.00", date=(today() - timedelta(days=1)).isoformat()), 400, field="date"
    )
    assert_problem(pay(client, tenant, invoice["id"], "1.00", method="BITCOIN"), 400, field="method")
    r = pay(client, tenant, invoice["id"], 99999.5)  # an exact JSON number is fine
    assert r.status_code == 201, r.text
    paid = r.json()
    assert (paid["status"], paid["amountPaid"], paid["balance"]) == ("PAID", "119000.00", "0.00")
    assert [p["amount"] for p in paid["payments"]] == ["19000.50", "99999.50"]
    assert paid["payments"][0]["date"] == today().isoformat()


def test_inactive_customers_invoices_stay_listed_and_payable(client, tenant):
    customer = make_customer(client, tenant)
    invoice = make_issued(client, tenant, customer=customer)
    r = client.patch(f"/billing/customers/{customer['id']}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert r.status_code == 200
    listed = client.get("/billing/invoices", params={"customerId": customer["id"]}, headers=tenant.headers())
    assert [x["id"] for x in listed.json()] == [invoice["id"]]
    assert pay(client, tenant, invoice["id"], invoice["total"]).json()["status"] == "PAID"


def test_deleting_a_customer_with_invoices_is_409_and_it_stays(client, tenant):
    customer = make_customer(client, tenant)
    make_draft(client, tenant, customer=customer)
    r = client.delete(f"/billing/customers/{customer['id']}", headers=tenant.headers())
    assert_problem(r, 409)
    assert client.get(f"/billing/customers/{customer['id']}", headers=tenant.headers()).status_code == 200
    # A customer without invoices can still be deleted.
    lonely = make_customer(client, tenant)
    assert client.delete(f"/billing/customers/{lonely['id']}", headers=tenant.headers()).status_code == 204


# --- list -------------------------------------------------------------------------------------------


def test_list_filters_search_and_paging(client, tenant, other_tenant):
    acme = make_customer(client, tenant, razon_social="Ñandú Café Ltda.")
    beta = make_customer(client, tenant, razon_social="Distribuidora 100% Algodón_SAS")
    resolution = make_resolution(client, tenant, prefix="LS", range_from=1, range_to=100)
    d1 = make_draft(client, tenant, customer=acme, resolution=resolution)
    i1 = make_issued(client, tenant, customer=acme, resolution=resolution)
    i2 = make_issued(client, tenant, customer=beta, resolution=resolution)
    make_issued(client, other_tenant)  # never seen
    h = tenant.headers(Role.CONSULTA)

    def ids(**params):
        r = client.get("/billing/invoices", params=params, headers=h)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()], int(r.headers["X-Total-Count"])

    assert ids() == ([i2["id"], i1["id"], d1["id"]], 3)  # newest first
    assert ids(limit=1) == ([i2["id"]], 3)
    assert ids(limit=2, offset=2) == ([d1["id"]], 3)
    assert ids(customerId=acme["id"]) == ([i1["id"], d1["id"]], 2)
    assert ids(status="DRAFT") == ([d1["id"]], 1)
    assert ids(status="ISSUED", customerId=beta["id"]) == ([i2["id"]], 1)
    assert ids(issuedFrom=today().isoformat(), issuedTo=today().isoformat()) == ([i2["id"], i1["id"]], 2)
    assert ids(issuedTo=(today() - timedelta(days=1)).isoformat()) == ([], 0)
    assert ids(search="NANDU cafe") == ([i1["id"], d1["id"]], 2)  # accent- and case-insensitive
    assert ids(search="ñandú") == ([i1["id"], d1["id"]], 2)
    assert ids(search=i2["number"].lower()) == ([i2["id"]], 1)
    assert ids(search="100%") == ([i2["id"]], 1)  # % is literal
    assert ids(search="n_an") == ([], 0)  # _ is literal
    assert ids(search="\\") == ([], 0)
    summary = client.get("/billing/invoices", params={"status": "ISSUED", "customerId": acme["id"]}, headers=h).json()[
        0
    ]
    assert summary["customerName"] == "Ñandú Café Ltda." and summary["total"] == "119000.00"
    assert "lines" not in summary
    for bad, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "LOST"}, "status"),
        ({"customerId": "x"}, "customerId"),
        ({"issuedFrom": "2026-13-01"}, "issuedFrom"),
        ({"issuedFrom": "2026-02-01", "issuedTo": "2026-01-01"}, "issuedTo"),
    ):
        assert_problem(client.get("/billing/invoices", params=bad, headers=h), 400, field=field)


# --- history --------------------------------------------------------------------------------------


def test_every_change_is_in_the_history(client, tenant):
    draft = make_draft(client, tenant, lines=[line(unit_price="1000.00", taxes=[])])
    iid = draft["id"]
    client.patch(f"/billing/invoices/{iid}", json={"notes": "Nota"}, headers=tenant.headers())
    issue(client, tenant, iid)
    pay(client, tenant, iid, "400.00")
    other = make_issued(client, tenant)
    client.post(f"/billing/invoices/{other['id']}/void", json={"reason": "Duplicada"}, headers=tenant.headers())
    r = client.get(f"/billing/invoices/{iid}/history", headers=tenant.headers(Role.CONSULTA))
    assert r.status_code == 200
    events = r.json()
    assert [e["action"] for e in events] == ["CREATED", "UPDATED", "ISSUED", "PAYMENT_RECORDED"]
    assert events[0]["changes"]["total"] == {"from": None, "to": "1000.00"}
    assert events[1]["changes"] == {"notes": {"from": None, "to": "Nota"}}
    assert events[2]["changes"]["status"] == {"from": "DRAFT", "to": "ISSUED"}
    assert events[2]["changes"]["customer"]["to"]["razonSocial"] == "Ferretería Ñandú Ltda."
    assert events[3]["changes"]["amountPaid"] == {"from": "0.00", "to": "400.00"}
    assert events[3]["changes"]["payment"]["to"]["amount"] == "400.00"
    assert all(e["actorEmail"] for e in events)
    voided = client.get(f"/billing/invoices/{other['id']}/history", headers=tenant.headers()).json()
    assert voided[-1]["action"] == "VOIDED" and voided[-1]["changes"]["voidReason"]["to"] == "Duplicada"


def test_deleting_a_draft_is_audited(client, tenant, database):
    import uuid

    from nitida.audit.service import history

    draft = make_draft(client, tenant)
    assert client.delete(f"/billing/invoices/{draft['id']}", headers=tenant.headers()).status_code == 204
    with database.tenant_session(tenant.id, write=False) as session:
        events = history(session, entity_type="invoice", entity_id=uuid.UUID(draft["id"]))
        assert [e.action for e in events] == ["CREATED", "DELETED"]
        assert events[1].changes["status"] == {"from": "DRAFT", "to": None}


# --- roles and tenants --------------------------------------------------------------------------------


def test_roles(client, tenant):
    customer, resolution = make_customer(client, tenant), make_resolution(client, tenant)
    consulta, operador = tenant.headers(Role.CONSULTA), tenant.headers(Role.OPERADOR)
    assert_problem(client.post("/billing/invoices", json=draft_body(customer, resolution), headers=consulta), 403)
    draft = make_draft(client, tenant, customer=customer, resolution=resolution)
    iid = draft["id"]
    assert_problem(client.patch(f"/billing/invoices/{iid}", json={"notes": "x"}, headers=consulta), 403)
    assert_problem(client.delete(f"/billing/invoices/{iid}", headers=consulta), 403)
    assert_problem(client.post(f"/billing/invoices/{iid}/issue", headers=consulta), 403)
    assert client.post(f"/billing/invoices/{iid}/issue", headers=operador).status_code == 200
    assert_problem(pay(client, tenant, iid, "1.00", role=Role.CONSULTA), 403)
    assert_problem(client.post(f"/billing/invoices/{iid}/void", json={"reason": "x"}, headers=operador), 403)
    assert_problem(client.post(f"/billing/invoices/{iid}/void", json={"reason": "x"}, headers=consulta), 403)
    for path in ("", f"/{iid}", f"/{iid}/history"):
        assert client.get(f"/billing/invoices{path}", headers=consulta).status_code == 200
    assert (
        client.post(f"/billing/invoices/{iid}/void", json={"reason": "x"}, headers=tenant.headers()).status_code == 200
    )
    assert_problem(client.get("/billing/invoices"), 401)


def test_another_tenants_invoice_is_404(client, tenant, other_tenant):
    draft = make_draft(client, tenant)
    issued = make_issued(client, tenant)
    for role in Role:
        h = other_tenant.headers(role)
        for iid in (draft["id"], issued["id"]):
            assert_problem(client.get(f"/billing/invoices/{iid}", headers=h), 404)
            assert_problem(client.get(f"/billing/invoices/{iid}/history", headers=h), 404)
            assert_problem(client.patch(f"/billing/invoices/{iid}", json={"notes": "x"}, headers=h), 404)
            assert_problem(client.delete(f"/billing/invoices/{iid}", headers=h), 404)
            assert_problem(client.post(f"/billing/invoices/{iid}/issue", headers=h), 404)
            assert_problem(
                client.post(
                    f"/billing/invoices/{iid}/payments", json={"amount": "1.00", "method": "EFECTIVO"}, headers=h
                ),
                404,
            )
            assert_problem(client.post(f"/billing/invoices/{iid}/void", json={"reason": "x"}, headers=h), 404)
    r = client.get("/billing/invoices", headers=other_tenant.headers())
    assert r.json() == [] and r.headers["X-Total-Count"] == "0"
    # Their customer filter shows nothing of ours; malformed ids are 404s.
    r = client.get("/billing/invoices", params={"customerId": draft["customerId"]}, headers=other_tenant.headers())
    assert r.json() == []
    assert_problem(client.get("/billing/invoices/not-a-uuid", headers=tenant.headers()), 404)
    # And ours are untouched.
    assert client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()).json()["status"] == "DRAFT"


@pytest.mark.parametrize("field", ["customerId", "resolutionId", "paymentForm", "lines"])
def test_patch_refuses_null_for_required_fields(client, tenant, field):
    draft = make_draft(client, tenant)
    r = client.patch(f"/billing/invoices/{draft['id']}", json={field: None}, headers=tenant.headers())
    body = assert_problem(r, 400, field=field)
    assert body["errors"] == [{"field": field, "message": "must not be null"}]
    after = client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()).json()
    assert after["updatedAt"] == draft["updatedAt"]


def test_a_zero_total_invoice_is_paid_when_issued(client, tenant):
    # Issue 13 item 10: nothing is owed, so it must not stay ISSUED (open) for ever.
    courtesy = make_draft(client, tenant, lines=[line("Cortesía", unit_price="50000.00", discount="100")])
    assert (courtesy["total"], courtesy["status"]) == ("0.00", "DRAFT")
    r = issue(client, tenant, courtesy["id"])
    assert r.status_code == 200, r.text
    issued = r.json()
    assert (issued["status"], issued["balance"], issued["amountPaid"]) == ("PAID", "0.00", "0.00")
    assert issued["number"] and issued["issueDate"] == today().isoformat()
    events = client.get(f"/billing/invoices/{courtesy['id']}/history", headers=tenant.headers()).json()
    assert events[-1]["action"] == "ISSUED" and events[-1]["changes"]["status"] == {"from": "DRAFT", "to": "PAID"}
    assert_problem(pay(client, tenant, courtesy["id"], "0.01"), 409)
    # An invoice that owes a cent is ISSUED as before.
    cent = make_issued(client, tenant, lines=[line(unit_price="0.01", taxes=[])])
    assert (cent["status"], cent["balance"]) == ("ISSUED", "0.01")
    # Issued by mistake, it can be voided like any invoice without payments; its number stays used.
    r = client.post(f"/billing/invoices/{courtesy['id']}/void", json={"reason": "Error"}, headers=tenant.headers())
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["number"]) == ("VOID", issued["number"])
    paid = make_issued(client, tenant, lines=[line(unit_price="10.00", taxes=[])])
    assert pay(client, tenant, paid["id"], "10.00").json()["status"] == "PAID"
    r = client.post(f"/billing/invoices/{paid['id']}/void", json={"reason": "x"}, headers=tenant.headers())
    assert_problem(r, 409)
