"""DIAN numbering resolutions: ADMIN writes, everyone reads, ranges of one prefix never overlap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_invoices_support import make_resolution, today

from fixtures.common import assert_problem
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
    r = client.post("/billing/resolutions", json=_body(rangeFrom=990, rangeTo=1000), headers=tenant.headers())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["prefix"] == "FE"  # uppercased
    assert (created["nextNumber"], created["remaining"]) == (990, 11)
    for role in Role:
        got = client.get(f"/billing/resolutions/{created['id']}", headers=tenant.headers(role))
        assert got.status_code == 200 and got.json() == created
        listed = client.get("/billing/resolutions", headers=tenant.headers(role))
        assert [x["id"] for x in listed.json()] == [created["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prefix": ""}, "prefix"),
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
        body = assert_problem(r, 400, field="rangeFrom")
        assert "overlaps" in body["detail"]
    # Adjacent ranges, another prefix, another tenant: all fine.
    make_resolution(client, tenant, prefix="SETP", range_from=201, range_to=300)
    make_resolution(client, tenant, prefix="SETQ", range_from=100, range_to=200)
    make_resolution(client, other_tenant, prefix="SETP", range_from=100, range_to=200)
    # Growing a range into its neighbour is refused too.
    low = client.get("/billing/resolutions", headers=tenant.headers()).json()[0]
    assert (low["prefix"], low["rangeFrom"]) == ("SETP", 100)
    r = client.patch(f"/billing/resolutions/{low['id']}", json={"rangeTo": 250}, headers=tenant.headers())
    assert_problem(r, 400, field="rangeTo")


def test_patch(client, tenant):
    res = make_resolution(client, tenant, range_from=1, range_to=10)
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
        20,
    )
    for change, field in (
        ({"validTo": "2000-01-01"}, "validTo"),
        ({"rangeTo": 0}, "rangeTo"),
        ({"rangeTo": None}, "rangeTo"),
        ({"prefix": "X"}, "prefix"),
        ({"rangeFrom": 2}, "rangeFrom"),
    ):
        assert_problem(
            client.patch(f"/billing/resolutions/{res['id']}", json=change, headers=tenant.headers()), 400, field=field
        )


def test_range_cannot_shrink_below_used_numbers(client, tenant):
    from test_invoices_support import make_issued

    res = make_resolution(client, tenant, range_from=1, range_to=10)
    for _ in range(3):
        make_issued(client, tenant, resolution=res)
    r = client.patch(f"/billing/resolutions/{res['id']}", json={"rangeTo": 2}, headers=tenant.headers())
    body = assert_problem(r, 400, field="rangeTo")
    assert "already used" in body["detail"]
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
    assert_problem(client.get("/billing/resolutions/not-a-uuid", headers=tenant.headers()), 404)


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


def test_prefixes_that_cannot_spell_the_same_number_are_fine(client, tenant, other_tenant):
    make_resolution(client, tenant, prefix="FE", range_from=1, range_to=10)
    make_resolution(client, tenant, prefix="FE", range_from=11, range_to=20)  # the same prefix: ranges decide
    make_resolution(client, tenant, prefix="FEA")  # a letter follows: never a consecutive
    make_resolution(client, tenant, prefix="FE1A")
    make_resolution(client, tenant, prefix="F1E")
    make_resolution(client, other_tenant, prefix="FE1")  # another tenant's numbers are its own
    assert client.post("/billing/resolutions", json=_body(prefix="fe2"), headers=tenant.headers()).status_code == 400
