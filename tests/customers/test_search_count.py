"""A search's X-Total-Count is capped so it never costs more than its page (issue 14),
and the PostgreSQL search function finds exactly what the plain predicate finds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nitida.auth.principal import Principal
from nitida.customers import service
from nitida.customers.models import Customer, CustomerStatus
from nitida.customers.schemas import CustomerCreate
from nitida.users.models import Role

URL = "/billing/customers"


def _add(database, tenant, rows: list[tuple[str, str] | tuple[str, str, str]]) -> None:
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        for name, nit, *status in rows:
            service.create_customer(
                session,
                actor,
                CustomerCreate(razonSocial=name, tipoDocumento="CC", nit=nit, status=status[0] if status else "ACTIVE"),
            )


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(service, "SEARCH_COUNT_CAP", 3)
    return 3


def _get(client, tenant, **params):
    r = client.get(URL, params=params, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return r


def test_a_search_page_counts_up_to_the_cap_and_says_when_it_stopped(client, database, tenant, small_cap):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(6)] + [("Otro", "2000")])
    r = _get(client, tenant, search="capitan", limit=1)
    # bound = max(3, 0 + 1 + 1) = 3; six match: the header is the bound, flagged as capped.
    assert r.headers["x-total-count"] == "3" and r.headers["x-total-count-capped"] == "true"
    assert [c["razonSocial"] for c in r.json()] == ["Capitán 0"]
    # The bound is past the page's end, so a client reading only X-Total-Count still sees a next page.
    r = _get(client, tenant, search="capitan", limit=2, offset=3)  # bound = max(3, 6) = 6
    assert r.headers["x-total-count"] == "6" and "x-total-count-capped" not in r.headers
    r = _get(client, tenant, search="capitan", limit=2, offset=2)  # bound = 5 < 6
    assert r.headers["x-total-count"] == "5" and r.headers["x-total-count-capped"] == "true"
    assert [c["razonSocial"] for c in r.json()] == ["Capitán 2", "Capitán 3"]


def test_at_the_cap_exactly_the_count_is_exact(client, database, tenant, small_cap):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(3)])
    r = _get(client, tenant, search="capitan", limit=1)
    assert r.headers["x-total-count"] == "3" and "x-total-count-capped" not in r.headers
    _add(database, tenant, [("Capitán 3", "1003")])  # one over the cap
    r = _get(client, tenant, search="capitan", limit=1)
    assert r.headers["x-total-count"] == "3" and r.headers["x-total-count-capped"] == "true"


def test_whole_lists_and_unsearched_pages_are_counted_exactly(client, database, tenant, small_cap):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(5)])
    for params in ({"search": "capitan"}, {"limit": 1}, {}, {"status": "ACTIVE", "limit": 1}):
        r = _get(client, tenant, **params)
        assert r.headers["x-total-count"] == "5" and "x-total-count-capped" not in r.headers, params


def test_the_header_is_documented_as_capped(client):
    headers = client.get("/openapi.json").json()["paths"][URL]["get"]["responses"]["200"]["headers"]
    assert "up to max(1000, offset + limit + 1)" in headers["X-Total-Count"]["description"]
    assert "X-Total-Count-Capped" in headers


TERMS = ["mar", "MAR", "peña", "pena", "Ñandú", "ursula", "900.1", "9001", "100%", "_", "/", "a/b", "z", "  s.a.s  "]


def test_the_search_function_and_the_plain_predicate_agree(database, tenant, other_tenant):
    """On PostgreSQL the page and the count come from the SECURITY DEFINER functions
    (migration 0011); on SQLite from the plain LIKE. Both must find the same rows in
    the same order, with status, offset and wildcards; here checked against the
    plain predicate run in the same session."""
    rows = [
        ("María Pérez", "900123456"),
        ("Marco Peña S.A.S.", "900187654"),
        ("Ñandú Marítimo Ltda.", "800123001", "INACTIVE"),
        ("Úrsula Penagos", "52123456"),
        ("100% Natural", "900000001"),
        ("Café_Bar", "900000002"),
        ("A/B Comercial", "900000003"),
        ("ab comercial s.a.s.", "900000004"),
        ("Zapatería Mar", "1001001"),
    ]
    _add(database, tenant, rows)
    _add(database, other_tenant, [(name + " (otro)", nit) for name, nit, *_ in rows])
    with database.unit_of_work(tenant.id) as session:
        for term in TERMS:
            for status in (None, CustomerStatus.ACTIVE, CustomerStatus.INACTIVE):
                plain = service._filtered(select(Customer.id), term, status).order_by(*service.ORDER)
                expected = list(session.scalars(plain))
                for limit, offset in ((50, 0), (2, 1)):
                    got = [r.id for r in service.list_customers(session, term, status, limit, offset)]
                    assert got == expected[offset : offset + limit], (term, status, limit, offset)
                assert service.count_customers(session, term, status) == len(expected), (term, status)
                assert service.count_customers(session, term, status, at_most=1) == min(1, len(expected))
    with database.unit_of_work(other_tenant.id) as session:
        assert all(r.razon_social.endswith("(otro)") for r in service.list_customers(session, "mar", None, 50, 0))
