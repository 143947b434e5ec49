"""DIAN numbering resolutions: ADMIN writes, everyone reads, ranges of one prefix never overlap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures.common import assert_problem
from fixtures.invoices import line, make_customer, make_resolution, today
from nitida.users.models import Role


def _body(**kw):
    body = {
        "resolutionNumber": "18764000001234",
        "prefix": "fe",
        "rangeFrom": 1,
        "rangeTo": 5000,
        "validFrom": (today() - timedelta(days=1)).isoformat(),
        "validTo": (today() + timedelta(days=700)).isoformat(),
        "technicalKey": "abc123",
    }
    body.update(kw)
    return body


def test_create_read_list(client, tenant):
    sent = _body(rangeFrom=990, rangeTo=1000)
    r = client.post("/billing/resolutions", json=sent, headers=tenant.headers())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["prefix"] == "FE"  # uppercased
    assert (created["nextNumber"], created["remaining"]) == (990, 11)
    for field in ("resolutionNumber", "rangeFrom", "rangeTo", "validFrom", "validTo", "technicalKey"):
        assert created[field] == sent[field], field
    for role in Role:
        got = client.get(f"/billing/resolutions/{created['id']}", headers=tenant.headers(role))
        listed = client.get("/billing/resolutions", headers=tenant.headers(role))
        # Issue 13 item 12: only ADMIN sees the DIAN technical key.
        expected = created if role is Role.ADMIN else {**created, "technicalKey": None}
        assert got.status_code == 200 and got.json() == expected, role
        assert listed.json() == [expected], role


def test_the_technical_key_is_shown_only_to_admin_and_the_openapi_says_so(client, tenant):
    res = make_resolution(client, tenant)
    assert res["technicalKey"] == "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"
    for role in (Role.OPERADOR, Role.CONSULTA):
        assert (
            client.get(f"/billing/resolutions/{res['id']}", headers=tenant.headers(role)).json()["technicalKey"] is None
        )
        assert "fc8eac42" not in client.get("/billing/resolutions", headers=tenant.headers(role)).text
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ResolutionRead"]["properties"]["technicalKey"]
    assert "null unless the caller is ADMIN" in schema["description"]
    assert {"type": "null"} in schema["anyOf"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prefix": "ABCDE"}, "prefix"),
        ({"prefix": "F-1"}, "prefix"),
        ({"prefix": "FÉ"}, "prefix"),
        ({"rangeFrom": 0}, "rangeFrom"),
        ({"rangeFrom": 10, "rangeTo": 9}, "rangeTo"),
        ({"validFrom": "2026-02-01", "validTo": "2026-01-31"}, "validTo"),
        ({"resolutionNumber": ""}, "resolutionNumber"),
        ({"nextNumber": 5}, "nextNumber"),  # read-only
        ({"rangeTo": 10**18}, "rangeTo"),
    ],
)
def test_create_validation(client, tenant, change, field):
    r = client.post("/billing/resolutions", json=_body(**change), headers=tenant.headers())
    assert_problem(r, 400, field=field)


def test_ranges_of_one_prefix_may_not_overlap(client, tenant, other_tenant):
    make_resolution(client, tenant, prefix="SETP", range_from=100, range_to=200)
    for start, end in ((150, 250), (50, 100), (200, 300), (1, 1000), (120, 130)):
        r = client.post(
            "/billing/resolutions", json=_body(prefix="SETP", rangeFrom=start, rangeTo=end), headers=tenant.headers()
        )
        message = (
            f"The range SETP {start}-{end} overlaps resolution 18760000001 (SETP 100-200); "
            "ranges of one prefix may not overlap."
        )
        # The whole list of errors: exactly this one, on rangeFrom.
        assert assert_problem(r, 400)["errors"] == [{"field": "rangeFrom", "message": message}]
    # Adjacent ranges (above and below), another prefix, another tenant: all fine.
    make_resolution(client, tenant, prefix="SETP", range_from=201, range_to=300)
    make_resolution(client, tenant, prefix="SETP", range_from=1, range_to=99)
    make_resolution(client, tenant, prefix="SETQ", range_from=100, range_to=200)
    make_resolution(client, other_tenant, prefix="SETP", range_from=100, range_to=200)
    listed = client.get("/billing/resolutions", headers=tenant.headers()).json()
    # Ordered by prefix, then range.
    assert [(x["prefix"], x["rangeFrom"]) for x in listed] == [("SETP", 1), ("SETP", 100), ("SETP", 201), ("SETQ", 100)]
    # Growing a range into its neighbour is refused too, naming the neighbour.
    low = listed[1]
    r = client.patch(f"/billing/resolutions/{low['id']}", json={"rangeTo": 250}, headers=tenant.headers())
    assert assert_problem(r, 400)["errors"] == [
        {
            "field": "rangeTo",
            "message": "The range SETP 100-250 overlaps resolution 18760000001 (SETP 201-300); "
            "ranges of one prefix may not overlap.",
        }
    ]
    r = client.patch(f"/billing/resolutions/{low['id']}", json={"rangeTo": 200}, headers=tenant.headers())
    assert r.status_code == 200  # its own range is no overlap


def test_patch(client, tenant):
    res = make_resolution(client, tenant, range_from=5, range_to=10)
    new_to = (today() + timedelta(days=30)).isoformat()
    r = client.patch(
        f"/billing/resolutions/{res['id']}",
        json={"validTo": new_to, "technicalKey": None, "rangeTo": 20},
        headers=tenant.headers(),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["validTo"], r.json()["technicalKey"], r.json()["rangeTo"], r.json()["remaining"]) == (
        new_to,
        None,
        20,
        16,
    )
    r = client.patch(
        f"/billing/resolutions/{res['id']}", json={"technicalKey": "nueva-clave"}, headers=tenant.headers()
    )
    assert r.json()["technicalKey"] == "nueva-clave"
    # The boundaries: validTo on validFrom, rangeTo on rangeFrom.
    r = client.patch(
        f"/billing/resolutions/{res['id']}", json={"validTo": res["validFrom"], "rangeTo": 5}, headers=tenant.headers()
    )
    assert r.status_code == 200, r.text
    assert (r.json()["validTo"], r.json()["rangeTo"], r.json()["remaining"]) == (res["validFrom"], 5, 1)
    day_before = (today() - timedelta(days=31)).isoformat()
    for change, field, message in (
        ({"validTo": day_before}, "validTo", f"must not be before validFrom ({res['validFrom']})"),
        ({"validTo": None}, "validTo", "must not be null"),
        ({"rangeTo": 4}, "rangeTo", "must be at least rangeFrom (5)"),
        ({"rangeTo": 0}, "rangeTo", None),
        ({"rangeTo": None}, "rangeTo", "must not be null"),
        ({"prefix": "X"}, "prefix", None),
        ({"rangeFrom": 2}, "rangeFrom", None),
    ):
        r = client.patch(f"/billing/resolutions/{res['id']}", json=change, headers=tenant.headers())
        body = assert_problem(r, 400, field=field)
        if message:
            assert message in body["detail"], body
    after = client.get(f"/billing/resolutions/{res['id']}", headers=tenant.headers()).json()
    assert (after["validTo"], after["rangeTo"]) == (res["validFrom"], 5)


def test_resolution_changes_are_audited(client, tenant, database):
    import uuid

    from nitida.audit.service import history

    res = make_resolution(client, tenant, range_from=1, range_to=10)
    client.patch(
        f"/billing/resolutions/{res['id']}", json={"rangeTo": 20, "technicalKey": "k2"}, headers=tenant.headers()
    )
    client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 20}, headers=tenant.headers())  # no change
    with database.tenant_session(tenant.id, write=False) as session:
        events = history(session, entity_type="resolution", entity_id=uuid.UUID(res["id"]))
        assert [e.action for e in events] == ["CREATED", "UPDATED"]
        # The creation records every field the resolution was registered with.
        registered = (
            "resolutionNumber",
            "prefix",
            "rangeFrom",
            "rangeTo",
            "validFrom",
            "validTo",
            "technicalKey",
            "environment",
        )
        assert events[0].changes == {field: {"from": None, "to": res[field]} for field in registered}
        assert events[0].changes["rangeTo"] == {"from": None, "to": 10}
        assert events[1].changes == {
            "rangeTo": {"from": 10, "to": 20},
            "technicalKey": {"from": "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c", "to": "k2"},
        }
        admin = tenant.users[Role.ADMIN]
        assert (events[0].actor_user_id, events[0].actor_email) == (admin.id, admin.email)
        assert (events[1].actor_user_id, events[1].actor_email) == (admin.id, admin.email)


def test_a_new_resolution_was_created_and_last_changed_at_one_instant(client, tenant):
    res = make_resolution(client, tenant, range_from=1, range_to=10)
    # One instant for both: a resolution nobody has changed shows no later change.
    assert res["createdAt"] == res["updatedAt"]
    again = client.get(f"/billing/resolutions/{res['id']}", headers=tenant.headers()).json()
    assert (again["createdAt"], again["updatedAt"]) == (res["createdAt"], res["createdAt"])
    changed = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 20}, headers=tenant.headers()).json()
    assert changed["createdAt"] == res["createdAt"]
    assert changed["updatedAt"] > res["createdAt"]


def test_issued_invoices_pin_their_resolutions_validity_and_technical_key(client, tenant):
    """Issue 13 item 11: validTo cannot move before an issued invoice, technicalKey cannot change after one."""
    from fixtures.invoices import make_issued

    res = make_resolution(client, tenant, valid_from=today() - timedelta(days=10))
    url = f"/billing/resolutions/{res['id']}"
    # Before any issue both may change.
    assert client.patch(url, json={"technicalKey": "k1"}, headers=tenant.headers()).status_code == 200
    assert (
        client.patch(
            url, json={"validTo": (today() - timedelta(days=1)).isoformat()}, headers=tenant.headers()
        ).status_code
        == 200
    )
    assert client.patch(url, json={"validTo": res["validTo"]}, headers=tenant.headers()).status_code == 200
    make_issued(client, tenant, resolution=res)
    body = assert_problem(
        client.patch(url, json={"validTo": (today() - timedelta(days=1)).isoformat()}, headers=tenant.headers()), 409
    )
    assert body["type"].endswith("/resolution-valid-to-before-issued")
    assert body["detail"] == (
        f"validTo {(today() - timedelta(days=1)).isoformat()} is before {today().isoformat()}, when an invoice was "
        "already issued under this resolution: an issued invoice must stay within its resolution's validity."
    )
    body = assert_problem(client.patch(url, json={"technicalKey": "k2"}, headers=tenant.headers()), 409)
    assert body["type"].endswith("/resolution-technical-key-in-use")
    assert body["detail"] == (
        "The technicalKey cannot change once an invoice has been issued under this resolution: "
        "the issued invoices were signed with it. Register a new resolution instead."
    )
    assert_problem(client.patch(url, json={"technicalKey": None}, headers=tenant.headers()), 409)
    after = client.get(url, headers=tenant.headers()).json()
    assert (after["technicalKey"], after["validTo"]) == ("k1", res["validTo"])
    # Still allowed: validTo on the issue day or later, the same key again, a larger range.
    r = client.patch(
        url, json={"validTo": today().isoformat(), "technicalKey": "k1", "rangeTo": 2000}, headers=tenant.headers()
    )
    assert r.status_code == 200, r.text


def test_range_cannot_shrink_below_used_numbers(client, tenant):
    from fixtures.invoices import make_issued

    res = make_resolution(client, tenant, range_from=1, range_to=10)
    for _ in range(3):
        make_issued(client, tenant, resolution=res)
    r = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 2}, headers=tenant.headers())
    body = assert_problem(r, 400, field="rangeTo")
    assert body["errors"] == [
        {"field": "rangeTo", "message": "must be at least 3: the numbers up to 3 are already used"}
    ]
    r = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 3}, headers=tenant.headers())
    assert r.status_code == 200 and (r.json()["nextNumber"], r.json()["remaining"]) == (4, 0)


def test_roles(client, tenant):
    for role in (Role.OPERADOR, Role.CONSULTA):
        assert_problem(client.post("/billing/resolutions", json=_body(), headers=tenant.headers(role)), 403)
    res = make_resolution(client, tenant)
    for role in (Role.OPERADOR, Role.CONSULTA):
        r = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 5000}, headers=tenant.headers(role))
        assert_problem(r, 403)
    assert_problem(client.get("/billing/resolutions"), 401)


def test_another_tenants_resolution_is_404(client, tenant, other_tenant):
    res = make_resolution(client, tenant)
    for role in Role:
        assert_problem(client.get(f"/billing/resolutions/{res['id']}", headers=other_tenant.headers(role)), 404)
        r = client.patch(
            f"/billing/resolutions/{res['id']}", json={"rangeTo": 5000}, headers=other_tenant.headers(role)
        )
        assert_problem(r, 404)
    assert client.get("/billing/resolutions", headers=other_tenant.headers()).json() == []
    assert assert_problem(client.get("/billing/resolutions/not-a-uuid", headers=tenant.headers()), 404)["detail"] == (
        "Resolution not found."
    )
    r = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 5000}, headers=other_tenant.headers())
    assert r.json()["detail"] == "Resolution not found."


@pytest.mark.parametrize(
    ("first", "second"),
    [("FE", "FE1"), ("FE1", "FE"), ("FE", "FE12"), ("F", "F001"), ("A1", "A123")],
)
def test_a_prefix_may_not_be_another_prefix_followed_by_digits(client, tenant, first, second):
    # "FE" + 11 and "FE1" + 1 are both FE11: once one is issued the other resolution is stuck.
    make_resolution(client, tenant, prefix=first)
    r = client.post("/billing/resolutions", json=_body(prefix=second), headers=tenant.headers())
    body = assert_problem(r, 400, field="prefix")
    assert first in body["detail"] and second in body["detail"]
    prefixes = [x["prefix"] for x in client.get("/billing/resolutions", headers=tenant.headers()).json()]
    assert prefixes == [first]


def test_the_prefix_clash_message_explains_it_with_an_example(client, tenant):
    make_resolution(client, tenant, prefix="FE")
    r = client.post("/billing/resolutions", json=_body(prefix="FE1"), headers=tenant.headers())
    assert assert_problem(r, 400, field="prefix")["errors"][0]["message"] == (
        "The prefix FE1 clashes with the prefix FE of another resolution: FE1 is FE followed by digits, so both "
        "could give the same invoice number (FE with consecutive 11 and FE1 with consecutive 1 are both FE11). "
        "A prefix may not be another prefix followed by digits."
    )
    # Digits starting with 0 make no example (FE + 01 is never a consecutive), the rest is the same.
    r = client.post("/billing/resolutions", json=_body(prefix="FE01"), headers=tenant.headers())
    assert assert_problem(r, 400, field="prefix")["errors"][0]["message"] == (
        "The prefix FE01 clashes with the prefix FE of another resolution: FE01 is FE followed by digits, so both "
        "could give the same invoice number. A prefix may not be another prefix followed by digits."
    )


def test_prefixes_that_cannot_spell_the_same_number_are_fine(client, tenant, other_tenant):
    make_resolution(client, tenant, prefix="FE", range_from=1, range_to=10)
    make_resolution(client, tenant, prefix="FE", range_from=11, range_to=20)  # the same prefix: ranges decide
    make_resolution(client, tenant, prefix="FEA")  # a letter follows: never a consecutive
    make_resolution(client, tenant, prefix="FE1A")
    make_resolution(client, tenant, prefix="F1E")
    make_resolution(client, other_tenant, prefix="FE1")  # another tenant's numbers are its own
    assert client.post("/billing/resolutions", json=_body(prefix="fe2"), headers=tenant.headers()).status_code == 400


def test_a_resolution_without_a_prefix_numbers_with_the_consecutive_alone(client, tenant):
    # Issue 25: the DIAN authorises numbering without a prefix; it was refused.
    made = []
    for absent, (start, end) in (({"prefix": ""}, (1, 10)), ({"prefix": None}, (11, 20)), ({}, (21, 30))):
        body = {k: v for k, v in _body(rangeFrom=start, rangeTo=end).items() if k != "prefix"} | absent
        r = client.post("/billing/resolutions", json=body, headers=tenant.headers(Role.ADMIN))
        assert r.status_code == 201, r.text
        made.append(r.json())
    assert [m["prefix"] for m in made] == ["", "", ""]
    overlap = client.post(
        "/billing/resolutions", json=_body(prefix="", rangeFrom=5, rangeTo=15), headers=tenant.headers()
    )
    assert_problem(overlap, 400)
    # a digits-only prefix could spell the same numbers: refused, saying why
    r = client.post("/billing/resolutions", json=_body(prefix="12", rangeFrom=1, rangeTo=10), headers=tenant.headers())
    problem = assert_problem(r, 400, field="prefix")
    assert "another resolution numbers without a prefix" in problem["errors"][0]["message"]
    # and an invoice under it is numbered 1, 2, …
    customer = make_customer(client, tenant)
    draft = client.post(
        "/billing/invoices",
        headers=tenant.headers(),
        json={"customerId": customer["id"], "resolutionId": made[0]["id"], "lines": [line()]},
    )
    assert draft.status_code == 201, draft.text
    issued = client.post(f"/billing/invoices/{draft.json()['id']}/issue", headers=tenant.headers())
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"] == "1"
