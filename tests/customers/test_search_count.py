"""A search's X-Total-Count is capped so it never costs more than its page (issue 14),
and the PostgreSQL search function finds exactly what the plain predicate finds."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from nitida.core.principal import Principal
from nitida.customers import search as customer_lists
from nitida.customers import service
from nitida.customers.models import Customer, CustomerStatus
from nitida.customers.schemas import CustomerCreate
from nitida.users.models import Role
from nitida.vocabulary.identity import TipoDocumento

URL = "/billing/customers"


def _add(database, tenant, rows: Sequence[tuple[str, ...]]) -> None:
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        for name, nit, *status in rows:
            service.create_customer(
                session,
                actor,
                CustomerCreate(
                    razon_social=name,
                    tipo_documento=TipoDocumento.CC,
                    nit=nit,
                    status=CustomerStatus(status[0]) if status else CustomerStatus.ACTIVE,
                ),
            )


def _get(client, tenant, **params):
    r = client.get(URL, params=params, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return r


def _total(r) -> tuple[str, str | None]:
    return r.headers["x-total-count"], r.headers.get("x-total-count-capped")


def test_a_search_page_counts_only_up_to_one_past_its_end(client, database, tenant):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(6)] + [("Otro", "2000")])
    r = _get(client, tenant, search="capitan", limit=1)
    # Six match; counted up to 0 + 1 + 1 = 2: "at least 2", so a client reading only the header sees a next page.
    assert _total(r) == ("2", "true")
    assert [c["razonSocial"] for c in r.json()] == ["Capitán 0"]
    r = _get(client, tenant, search="capitan", limit=2, offset=2)
    assert _total(r) == ("5", "true")
    assert [c["razonSocial"] for c in r.json()] == ["Capitán 2", "Capitán 3"]
    # The last page: fewer than offset + limit + 1 match, so the count is exact.
    r = _get(client, tenant, search="capitan", limit=2, offset=4)
    assert _total(r) == ("6", None)
    assert [c["razonSocial"] for c in r.json()] == ["Capitán 4", "Capitán 5"]
    assert _total(_get(client, tenant, search="capitan", limit=50)) == ("6", None)
    assert _total(_get(client, tenant, search="capitan", limit=5, offset=10)) == ("6", None)  # past the end
    r = _get(client, tenant, search="nadie se llama asi", limit=5)
    assert (_total(r), r.json()) == (("0", None), [])  # nothing matches


def test_at_the_bound_the_count_is_a_lower_bound_and_below_it_exact(client, database, tenant):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(3)])
    assert _total(_get(client, tenant, search="capitan", limit=3)) == ("3", None)  # bound 4, three match
    assert _total(_get(client, tenant, search="capitan", limit=2)) == ("3", "true")  # bound 3, three match
    _add(database, tenant, [("Capitán 3", "1003")])  # one more: now past the bound of limit=3
    assert _total(_get(client, tenant, search="capitan", limit=3)) == ("4", "true")
    assert _total(_get(client, tenant, search="capitan", limit=4)) == ("4", None)


def test_whole_lists_and_unsearched_pages_are_counted_exactly(client, database, tenant):
    _add(database, tenant, [(f"Capitán {i}", f"{1000 + i}") for i in range(5)])
    for params in ({"search": "capitan"}, {"limit": 1}, {}, {"status": "ACTIVE", "limit": 1}):
        assert _total(_get(client, tenant, **params)) == ("5", None), params


def test_the_header_is_documented_as_a_lower_bound_for_search_pages(client):
    headers = client.get("/openapi.json").json()["paths"][URL]["get"]["responses"]["200"]["headers"]
    assert "counted only up to one past the page's end" in headers["X-Total-Count"]["description"]
    assert "X-Total-Count-Capped" in headers


TERMS = ["mar", "MAR", "peña", "pena", "Ñandú", "ursula", "900.1", "9001", "100%", "_", "/", "a/b", "z", "  s.a.s  "]


def test_the_search_function_and_the_plain_predicate_agree(database, tenant, other_tenant):
    """On PostgreSQL the page and the count come from the SECURITY DEFINER functions
    (migrations 0011 and 0013); on SQLite from the plain LIKE. Both must find the same rows in
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
                plain = customer_lists._filtered(select(Customer.id), term, status).order_by(*customer_lists.ORDER)
                expected = list(session.scalars(plain))
                for limit, offset in ((50, 0), (2, 1), (2, 8), (2, 30)):
                    got = [r.id for r in customer_lists.list_customers(session, term, status, limit, offset)]
                    assert got == expected[offset : offset + limit], (term, status, limit, offset)
                    # The API's page carries its count in the same statement on PostgreSQL: the same rows,
                    # and the same capped count, whether the page is full, short, or past the end.
                    page, total, capped = customer_lists.page_with_count(session, term, status, limit, offset)
                    # (Rows for JSON: PostgreSQL sends their ids as text.)
                    assert [str(r.id) for r in page] == [str(i) for i in expected[offset : offset + limit]], (
                        term,
                        status,
                        limit,
                        offset,
                    )
                    bound = offset + limit + 1
                    assert (total, capped) == (min(len(expected), bound), len(expected) >= bound), (term, limit, offset)
                assert customer_lists.count_customers(session, term, status) == len(expected), (term, status)
                assert customer_lists.count_customers(session, term, status, at_most=1) == min(1, len(expected))
    with database.unit_of_work(other_tenant.id) as session:
        assert all(
            r.razon_social.endswith("(otro)") for r in customer_lists.list_customers(session, "mar", None, 50, 0)
        )


@pytest.mark.sqlite_only  # PostgreSQL searches through the functions of migrations 0011 and 0013
def test_a_sqlite_search_page_reads_the_search_index_and_only_its_rows(database, tenant):
    # Migration 0012: a rare word's page walked the tenant's sort index and read
    # every customer's row to test its name (11.6 ms at 10,000 customers, against
    # 2.4 ms from the covering index). The plan must keep both halves: the keys
    # from the index alone, the page's rows by primary key.
    from sqlalchemy import event

    _add(database, tenant, [("Úrsula Peñalosa", "1001"), ("Mario Gómez", "1002")])
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        with database.tenant_session(tenant.id) as session:
            rows = customer_lists.list_customers(session, "ursula", None, 50, 0)
            assert [r.razon_social for r in rows] == ["Úrsula Peñalosa"]
            page_sql, params = next((s, p) for s, p in statements if "LIKE" in s and "count(" not in s)
            plan = [r[3] for r in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {page_sql}", params)]
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    assert any("COVERING INDEX ix_customers_tenant_sort_search" in step for step in plan), plan
    assert any("sqlite_autoindex_customers_1 (tenant_id=? AND id=?)" in step for step in plan), plan
