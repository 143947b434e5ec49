"""The customer search functions (migrations 0011 and 0013) under row-level security.

They run as the owner so that LIKE may use the trigram indexes (RLS keeps a
non-LEAKPROOF operator out of the service role's index conditions), and they
must still answer only for the transaction's sealed tenant.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from nitida.core.principal import Principal
from nitida.customers import search as customer_lists
from nitida.customers import service
from nitida.customers.schemas import CustomerCreate
from nitida.users.models import Role

pytestmark = pytest.mark.postgres_only

IDS = text("SELECT customer_id FROM nitida_search_customer_ids(:n, :k, NULL, 50, 0)")
COUNT = text("SELECT nitida_count_customers(:n, :k, NULL, NULL)")
PAGE = text("SELECT id, tenant_id, nitida_total FROM nitida_search_customers(:n, :k, NULL, 50, 0, NULL)")


def _add(database, handle, names: list[str]) -> set[uuid.UUID]:
    admin = handle.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=handle.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    ids = set()
    with database.unit_of_work(handle.id) as session:
        for i, name in enumerate(names):
            nit = f"{7000000 + i}{uuid.uuid4().int % 1000:03d}"
            ids.add(service.create_customer(session, actor, CustomerCreate(razon_social=name, nit=nit)).id)
    return ids


@pytest.fixture
def two_tenants(database, tenant, other_tenant):
    mine = _add(database, tenant, ["Buscador Uno", "Buscador Dos"])
    theirs = _add(database, other_tenant, ["Buscador Tres", "Buscador Cuatro", "Buscador Cinco"])
    return mine, theirs


def _search(conn) -> tuple[set, int]:
    """The ids and the count each function finds; all three must agree."""
    terms = {"n": "buscador", "k": "BUSCADOR"}
    found = set(conn.execute(IDS, terms).scalars())
    count = conn.execute(COUNT, terms).scalar()
    page = conn.execute(PAGE, terms).all()
    assert {row.id for row in page} == found and {row.nitida_total for row in page} <= {count}
    assert len({row.tenant_id for row in page}) <= 1  # one tenant's rows, never a mix
    return found, count


def test_the_functions_answer_only_for_the_sealed_tenant(database, tenant, other_tenant, two_tenants):
    mine, theirs = two_tenants
    with database.tenant_session(tenant.id, write=False) as session:
        assert _search(session) == (mine, 2)
    with database.tenant_session(other_tenant.id, write=False) as session:
        assert _search(session) == (theirs, 3)


def test_without_a_seal_or_with_a_forged_one_they_return_nothing(database, other_tenant, two_tenants):
    with database.engine.connect() as conn:  # the service role, outside any tenant session
        assert _search(conn) == (set(), 0)
        conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(other_tenant.id)})
        assert _search(conn) == (set(), 0)
        for seal in ("", "0" * 64, "not a seal"):
            conn.execute(text("SELECT set_config('app.tenant_seal', :s, false)"), {"s": seal})
            assert _search(conn) == (set(), 0), seal
        conn.rollback()


def test_the_service_role_cannot_search_another_tenant(database, tenant, other_tenant, two_tenants):
    mine, _theirs = two_tenants
    # No argument names a tenant: there is nothing to pass.
    with database.engine.connect() as conn:
        args = conn.execute(
            text(
                "SELECT string_agg(pg_get_function_identity_arguments(oid), ' | ') FROM pg_proc "
                "WHERE proname IN ('nitida_search_customer_ids', 'nitida_count_customers', 'nitida_search_customers')"
            )
        ).scalar()
    assert "uuid" not in args and "tenant" not in args
    with database.tenant_session(tenant.id, write=False) as session:
        own_seal = session.execute(text("SELECT current_setting('app.tenant_seal')")).scalar()
        # An injection inside tenant A's transaction switches the setting to B: A's seal no longer fits.
        session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other_tenant.id)})
        assert _search(session) == (set(), 0)
    # A's seal replayed on another backend opens nothing either.
    fresh = create_engine(database.url, poolclass=NullPool)
    try:
        with fresh.connect() as conn:
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, false), set_config('app.tenant_seal', :s, false)"),
                {"t": str(tenant.id), "s": own_seal},
            )
            assert _search(conn) == (set(), 0)
    finally:
        fresh.dispose()


def test_the_service_role_still_reads_no_other_tenant_by_plain_sql(database, tenant, other_tenant, two_tenants):
    mine, _theirs = two_tenants
    with database.tenant_session(tenant.id, write=False) as session:
        seen = set(session.execute(text("SELECT id FROM customers")).scalars())
        theirs = session.execute(
            text("SELECT count(*) FROM customers WHERE tenant_id = :t"), {"t": other_tenant.id}
        ).scalar()
    assert seen == mine and theirs == 0
    with database.engine.connect() as conn:
        # The owner's search policy is the owner's alone.
        roles = conn.execute(
            text("SELECT roles::text[] FROM pg_policies WHERE tablename = 'customers' AND policyname = 'owner_search'")
        ).scalar()
        service_role = conn.execute(text("SELECT current_user")).scalar()
        assert roles and service_role not in roles and "public" not in roles
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0


def test_only_the_service_role_may_call_them(database):
    with database.engine.connect() as conn:
        callable_by_service = conn.execute(
            text(
                "SELECT array_agg(has_function_privilege(oid, 'EXECUTE')) FROM pg_proc "
                "WHERE proname IN ('nitida_search_customer_ids', 'nitida_count_customers', 'nitida_search_customers')"
            )
        ).scalar()
        public = conn.execute(
            text(
                "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a "
                "WHERE p.proname IN ('nitida_search_customer_ids', 'nitida_count_customers', 'nitida_search_customers') "
                "AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'"
            )
        ).scalar()
        definer = conn.execute(
            text(
                "SELECT bool_and(prosecdef AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp']) FROM pg_proc "
                "WHERE proname IN ('nitida_search_customer_ids', 'nitida_count_customers', 'nitida_search_customers')"
            )
        ).scalar()
    assert callable_by_service == [True, True, True]
    assert public == 0  # PUBLIC may not execute them
    assert definer


def _plans_of_calls(postgres, database, tenant_id, calls: list[str]) -> list[str]:
    """The plans of the statements run inside the functions, called as the service role
    (auto_explain, loaded by the superuser, reports nested statements as notices)."""
    import psycopg

    from nitida.core import seals

    superuser = postgres[0]
    if superuser is None:
        pytest.skip("needs the throwaway cluster's superuser (auto_explain)")
    with database.engine.connect() as conn:
        service_role = conn.execute(text("SELECT current_user")).scalar()
    notices: list[str] = []
    with psycopg.connect(superuser.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
            conn.execute(f"SET auto_explain.{setting}")
        conn.execute(f'SET ROLE "{service_role}"')
        seal = seals.tenant_seal(database.rls_key, tenant_id, conn.info.backend_pid)
        conn.execute(
            "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_seal', %s, true)",
            (str(tenant_id), seal),
        )
        for call in calls:
            conn.execute(call).fetchall()
        conn.rollback()
    return notices


def test_under_the_service_role_the_search_uses_the_trigram_index(postgres, database, tenant, other_tenant):
    """Thousands of customers, a rare word: inside the functions called by the service
    role, the trigram GIN index answers (the service role's own LIKE cannot use it)."""
    for handle in (tenant, other_tenant):
        with database.tenant_session(handle.id) as session:
            session.execute(
                text(
                    "INSERT INTO customers (tenant_id, id, razon_social, razon_social_search, razon_social_sort, "
                    "tipo_documento, nit, status, created_at, updated_at) "
                    "SELECT :t, gen_random_uuid(), n, lower(n), lower(n), 'CC', (5000000000 + g)::text, 'ACTIVE', "
                    "now(), now() FROM generate_series(1, 20000) g, "
                    "LATERAL (SELECT CASE WHEN g % 2000 = 0 THEN 'Getsemani ' ELSE 'Cliente Comun ' END || g AS n) x"
                ),
                {"t": handle.id},
            )
            session.commit()
    # As the bench's seeding leaves it: GIN pending lists merged, statistics fresh.
    owner = create_engine(postgres[3], poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            conn.execute(text("VACUUM ANALYZE customers"))
    finally:
        owner.dispose()
    with database.tenant_session(tenant.id, write=False) as session:
        rows = customer_lists.list_customers(session, "getsemani", None, 50, 0)
        assert [r.razon_social for r in rows] == [f"Getsemani {g}" for g in sorted(range(2000, 20001, 2000), key=str)]
        assert customer_lists.count_customers(session, "getsemani", None) == 10
    trigram = "ix_customers_tenant_search_trgm"
    plans = _plans_of_calls(
        postgres,
        database,
        tenant.id,
        [
            "SELECT * FROM nitida_search_customer_ids('getsemani', 'GETSEMANI', NULL, 50, 0)",
            "SELECT nitida_count_customers('getsemani', 'GETSEMANI', NULL, 1001)",
            "SELECT * FROM nitida_search_customers('getsemani', 'GETSEMANI', NULL, 50, 0, 51)",
            "SELECT count(*) FROM customers WHERE razon_social_search LIKE '%getsemani%'",
        ],
    )
    inside = [p for p in plans if "FROM public.customers c" in p]  # the 0011 functions' own statements
    page = next(p for p in inside if "LIMIT p_limit" in p)
    count = next(p for p in inside if "LIMIT p_cap" in p)
    page_and_count = next(p for p in plans if "FROM public.customers s" in p)  # 0013's
    plain = next(p for p in plans if "FROM customers WHERE razon_social_search" in p)

    def like_in_index_condition(plan: str) -> bool:
        return any("Index Cond:" in line and "~~ '%getsemani%'" in line for line in plan.splitlines())

    assert f"Bitmap Index Scan on {trigram}" in page and like_in_index_condition(page), page
    assert f"Bitmap Index Scan on {trigram}" in count and like_in_index_condition(count), count
    assert f"Bitmap Index Scan on {trigram}" in page_and_count and like_in_index_condition(page_and_count)
    # The same LIKE sent by the service role itself: RLS keeps it out of the index
    # conditions (at best the index finds the tenant's rows, and LIKE filters each).
    assert not like_in_index_condition(plain) and "Filter: ((razon_social_search)::text ~~" in plain, plain
