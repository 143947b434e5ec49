"""The two walls between tenants.

1. The ORM: a tenant session adds ``tenant_id = <session tenant>`` to every
   query and refuses to write another tenant's row (both engines).
2. PostgreSQL row-level security: the service's role has no BYPASSRLS, every
   tenant-owned table has RLS enabled and forced with a policy, and a query
   that bypasses the ORM's filter still sees only the current tenant's rows.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from fixtures.common import random_nit
from nitida.core.db import ScopedSession, TenantScopeError
from nitida.core.principal import Principal
from nitida.customers import service as customers
from nitida.customers.models import Customer
from nitida.customers.schemas import CustomerCreate
from nitida.migrations.models import metadata
from nitida.users.models import Role

TENANT_TABLES = sorted(t.name for t in metadata.sorted_tables if "tenant_id" in t.c)


def _add_customers(database, handle, n=2):
    admin = handle.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=handle.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.tenant_session(handle.id) as session:
        for i in range(n):
            customers.create_customer(session, actor, CustomerCreate(razon_social=f"Cliente {i}", nit=random_nit()))
        session.commit()


def test_unfiltered_orm_select_sees_only_the_session_tenant(database, tenant, other_tenant):
    _add_customers(database, tenant)
    _add_customers(database, other_tenant, 3)
    with database.tenant_session(tenant.id, write=False) as session:
        rows = session.scalars(select(Customer)).all()
    assert len(rows) == 2 and {r.tenant_id for r in rows} == {tenant.id}


def test_writing_a_row_of_another_tenant_is_refused(database, tenant, other_tenant):
    with database.tenant_session(tenant.id) as session:
        session.add(
            Customer(
                tenant_id=other_tenant.id,
                razon_social="Intruso",
                razon_social_search="intruso",
                razon_social_sort="intruso",
                nit=random_nit(),
            )
        )
        with pytest.raises(TenantScopeError):
            session.flush()


def test_queries_outside_a_tenant_session_are_refused(database):
    session = ScopedSession(database.engine)  # the project's session, opened for no tenant
    try:
        with pytest.raises(TenantScopeError):
            session.scalars(select(Customer)).all()
    finally:
        session.close()


@pytest.mark.postgres_only
def test_the_service_role_cannot_bypass_rls(database):
    with database.engine.connect() as conn:
        role = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(role) == (False, False)


@pytest.mark.postgres_only
def test_every_tenant_owned_table_has_forced_rls_and_a_policy(database):
    with database.engine.connect() as conn:
        tables_with_tenant = set(
            conn.execute(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
                )
            ).scalars()
        )
        flags = dict(
            (name, (enabled, forced))
            for name, enabled, forced in conn.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
                )
            )
        )
        policies = set(conn.execute(text("SELECT tablename FROM pg_policies WHERE schemaname = 'public'")).scalars())
    assert set(TENANT_TABLES) <= tables_with_tenant  # every model's table is in the database
    missing = [t for t in sorted(tables_with_tenant | {"tenants"}) if flags.get(t) != (True, True) or t not in policies]
    assert not missing, f"tables without ENABLE+FORCE ROW LEVEL SECURITY and a policy: {missing}"


@pytest.mark.postgres_only
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_raw_sql_through_the_service_session_sees_only_the_current_tenant(
    client, database, tenant, other_tenant, table
):
    """Bypass the ORM's criteria with raw SQL: RLS alone keeps other tenants out."""
    from fixtures.api_walker import ApiWalker
    from fixtures.role_matrix import SEED_BODIES

    for handle in (tenant, other_tenant):
        ApiWalker(client, handle, SEED_BODIES).seed(customers=2)
    with database.tenant_session(tenant.id, write=False) as session:
        seen = set(session.execute(text(f"SELECT DISTINCT tenant_id FROM {table}")).scalars())
        everything = session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        # Not even a WHERE naming the other tenant gets through.
        theirs = session.execute(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": other_tenant.id}
        ).scalar()
    assert seen <= {tenant.id}
    assert theirs == 0
    if table in ("users", "customers", "audit_events"):
        assert seen == {tenant.id} and everything > 0
    with database.tenant_session(other_tenant.id, write=False) as session:
        assert (
            session.execute(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"), {"t": tenant.id}).scalar() == 0
        )


@pytest.mark.postgres_only
def test_raw_writes_for_another_tenant_are_refused_by_the_policy(database, tenant, other_tenant):
    from sqlalchemy.exc import DBAPIError

    with database.tenant_session(tenant.id) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            session.execute(
                text(
                    "INSERT INTO customers (tenant_id, id, razon_social, razon_social_search, razon_social_sort,"
                    " tipo_documento, nit, status, created_at, updated_at) VALUES (:t, :i, 'x', 'x', 'x', 'NIT',"
                    " '900123456', 'ACTIVE', now(), now())"
                ),
                {"t": other_tenant.id, "i": uuid.uuid4()},
            )
        session.rollback()
        # An UPDATE or DELETE aimed at another tenant touches nothing.
        assert (
            session.execute(text("UPDATE users SET name = 'x' WHERE tenant_id = :t"), {"t": other_tenant.id}).rowcount
            == 0
        )
        assert session.execute(text("DELETE FROM customers WHERE tenant_id = :t"), {"t": other_tenant.id}).rowcount == 0
        session.rollback()


@pytest.mark.postgres_only
def test_a_session_without_tenant_sees_nothing(database, tenant):
    """A connection with no app.tenant_id set (e.g. a bug bypassing Database) sees no tenant rows."""
    with database.engine.connect() as conn:
        for table in TENANT_TABLES:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


# --- the wall holds against SQL run as the service role itself (issue 13, item 3) ------------


def _dbapi_error():
    from sqlalchemy.exc import DBAPIError

    return DBAPIError


def _seed_two(client, tenant, other_tenant):
    from fixtures.api_walker import ApiWalker
    from fixtures.role_matrix import SEED_BODIES

    for handle in (tenant, other_tenant):
        ApiWalker(client, handle, SEED_BODIES).seed(customers=2)


@pytest.mark.postgres_only
def test_raw_sql_setting_another_tenant_sees_nothing_of_it(client, database, tenant, other_tenant):
    _seed_two(client, tenant, other_tenant)
    with database.engine.connect() as conn:  # the service role, no session, no seal
        conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(other_tenant.id)})
        for table in TENANT_TABLES + ["tenants"]:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
        # A seal made up, or one of another tenant, changes nothing.
        conn.execute(text("SELECT set_config('app.tenant_seal', repeat('0', 64), false)"))
        assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0
        conn.rollback()
    with database.tenant_session(tenant.id, write=False) as session:
        own_seal = session.execute(text("SELECT current_setting('app.tenant_seal')")).scalar()
        assert session.execute(text("SELECT count(*) FROM customers")).scalar() > 0
        # Inside tenant A's own transaction (an injection there): switch to B with A's seal.
        session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other_tenant.id)})
        for table in TENANT_TABLES:
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    # A's real seal, replayed on another connection (another backend pid), is worthless there too.
    with database.engine.connect() as conn:
        conn.execute(
            text("SELECT set_config('app.tenant_id', :t, false), set_config('app.tenant_seal', :s, false)"),
            {"t": str(tenant.id), "s": own_seal},
        )
        conn.rollback()
    # (A pooled connection may be the very backend A used: prove it on one that cannot be.)
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    fresh = create_engine(database.url, poolclass=NullPool)
    try:
        with fresh.connect() as conn:
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, false), set_config('app.tenant_seal', :s, false)"),
                {"t": str(tenant.id), "s": own_seal},
            )
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0
    finally:
        fresh.dispose()


@pytest.mark.postgres_only
def test_the_queue_scan_cannot_be_forged(client, database, tenant):
    import fixtures.jobs  # noqa: F401 - registers the test job kinds
    from nitida.jobs.service import enqueue

    with database.unit_of_work(tenant.id) as session:
        enqueue(
            session,
            "tests.fail",
            {},
            run_after=__import__("datetime").datetime(2999, 1, 1, tzinfo=__import__("datetime").UTC),
        )
    with database.engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.queue_scan', 'on', false)"))
        assert conn.execute(text("SELECT count(*) FROM jobs")).scalar() == 0
        conn.rollback()
    with database.queue_session() as session:  # the worker's sealed scan does see it
        assert session.execute(text("SELECT count(*) FROM jobs WHERE tenant_id = :t"), {"t": tenant.id}).scalar() >= 1
    # ... and a worker claims and runs a due job of any tenant through it.
    from nitida.jobs.models import JobStatus
    from nitida.jobs.service import QueuePolicy, claim, run_claimed

    with database.unit_of_work(tenant.id) as session:
        job = enqueue(session, "tests.record", {"marker": str(uuid.uuid4())})
    claimed = claim(database, "rls-test-worker", QueuePolicy(), only_tenant=tenant.id)
    assert claimed is not None and (claimed.tenant_id, claimed.job_id) == (tenant.id, job.id)
    assert run_claimed(database, claimed, "rls-test-worker", QueuePolicy()) is JobStatus.SUCCEEDED


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE customers NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE customers DISABLE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON customers",
        "CREATE POLICY everything ON customers USING (true)",
        "TRUNCATE customers",
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "DELETE FROM security_events",
        "SELECT * FROM nitida_private.rls_key",
        "SELECT nitida_private.seal_ok('tenant:x', 'y')",
        "CREATE FUNCTION public.hmac(bytea, bytea, text) RETURNS bytea LANGUAGE sql AS 'SELECT $1'",
        "CREATE TABLE public.mine (x int)",
        "SET ROLE nitida_owner",
    ],
)
def test_the_service_role_may_not(database, statement):
    with database.engine.connect() as conn:
        with pytest.raises(_dbapi_error(), match="must be owner|permission denied|not permitted"):
            conn.execute(text(statement))
        conn.rollback()


@pytest.mark.postgres_only
def test_row_security_cannot_be_switched_off(database, tenant):
    with database.tenant_session(tenant.id, write=False) as session:
        session.execute(text("SET LOCAL row_security = off"))
        with pytest.raises(_dbapi_error(), match="row-level security"):
            session.execute(text("SELECT count(*) FROM customers"))


@pytest.mark.postgres_only
def test_no_password_hash_is_readable_by_the_service_role(database, tenant, other_tenant):
    email = other_tenant.users[Role.ADMIN].email_lower
    with database.tenant_session(tenant.id, write=False) as session:
        with pytest.raises(_dbapi_error(), match="permission denied"):
            session.execute(text("SELECT password_hash FROM users"))  # not even its own tenant's
        session.rollback()
        with pytest.raises(_dbapi_error(), match="permission denied"):
            session.execute(text("SELECT * FROM users"))
    with database.engine.connect() as conn:
        # The login function answers only with the service's seal of that e-mail on this connection.
        conn.execute(text("SELECT set_config('app.login_email', :e, false)"), {"e": email})
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
        for seal in ("", "0" * 64, None):
            rows = conn.execute(text("SELECT * FROM nitida_login_candidate(:e, :s)"), {"e": email, "s": seal}).all()
            assert rows == [], seal
        conn.rollback()
    from nitida.core import seals

    assert database.rls_key is not None
    # A seal of another e-mail, or for another backend, opens nothing either.
    with database.login_session(email) as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        for seal in (
            seals.login_seal(database.rls_key, "someone@else.co", pid),
            seals.login_seal(database.rls_key, email, pid + 1),
            seals.tenant_seal(database.rls_key, other_tenant.id, pid),
        ):
            assert (
                session.execute(text("SELECT * FROM nitida_login_candidate(:e, :s)"), {"e": email, "s": seal}).all()
                == []
            )
        right = database.login_seal(session, email)
        row = session.execute(text("SELECT * FROM nitida_login_candidate(:e, :s)"), {"e": email, "s": right}).one()
    assert row.password_hash.startswith("$argon2id$") and row.tenant_id == other_tenant.id


@pytest.mark.postgres_only
def test_the_service_role_owns_nothing_and_has_only_its_grants(database):
    with database.engine.connect() as conn:
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('public', 'nitida_private') AND c.relowner = "
                "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )
        ).scalar()
        truncate = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND (has_table_privilege(format('%I.%I', schemaname, tablename), 'TRUNCATE') OR has_table_privilege(format('%I.%I', schemaname, tablename), 'REFERENCES') "
                "OR has_table_privilege(format('%I.%I', schemaname, tablename), 'TRIGGER'))"
            )
        ).scalar()
        ungranted = conn.execute(
            text(
                "SELECT array_agg(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND NOT has_table_privilege(format('%I.%I', schemaname, tablename), 'INSERT') AND tablename <> 'alembic_version'"
            )
        ).scalar()
    assert owned == 0 and truncate == 0
    assert ungranted is None  # every table the migrations made is usable by the service


@pytest.mark.postgres_only
def test_serve_refuses_a_superuser_a_bypassrls_role_and_the_owner(postgres, database, tmp_path, monkeypatch):
    import psycopg
    from typer.testing import CliRunner

    from fixtures.common import SECRET
    from nitida.cli import app as cli
    from nitida.core.db import Database
    from nitida.core.service_role import service_role_problem
    from nitida.core.settings import get_settings

    superuser_url, service_url, cluster, owner_url = postgres
    assert service_role_problem(database) is None
    with psycopg.connect(superuser_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS nitida_bypass")
        conn.execute("CREATE ROLE nitida_bypass LOGIN PASSWORD 'pw' NOSUPERUSER BYPASSRLS")
    bypass_url = service_url.replace("nitida_app:nitida_app_pw", "nitida_bypass:pw")
    for url, expected in ((superuser_url, "superuser"), (bypass_url, "BYPASSRLS"), (owner_url, "owns")):
        db = Database(url, secret_key=SECRET, pool_size=1)
        try:
            assert expected in service_role_problem(db)
        finally:
            db.dispose()
        monkeypatch.setenv("NITIDA_DATABASE_URL", url)
        monkeypatch.setenv("NITIDA_SECRET_KEY", SECRET)
        monkeypatch.delenv("NITIDA_MIGRATION_DATABASE_URL", raising=False)
        monkeypatch.chdir(tmp_path)
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, ["serve", "--port", "1"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 1, result.output
        assert "refusing to serve" in result.stderr and expected in result.stderr
        assert "NOSUPERUSER NOBYPASSRLS" in result.stderr  # says which role to use


@pytest.mark.postgres_only
def test_serve_refuses_a_service_whose_secret_key_the_database_does_not_know(database):
    from nitida.core.db import Database
    from nitida.core.service_role import service_role_problem

    db = Database(database.url, secret_key="another-secret-key-of-at-least-32-chars!", pool_size=1)
    try:
        assert "NITIDA_SECRET_KEY" in service_role_problem(db)
    finally:
        db.dispose()


@pytest.mark.postgres_only
def test_the_seal_is_checked_once_per_statement_not_once_per_row(client, database, tenant, other_tenant):
    """The policies compare with ``(SELECT nitida_current_tenant())``: one HMAC per
    statement, even when the plan filters every row of a sequential scan."""
    _seed_two(client, tenant, other_tenant)
    calls = text(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = 'nitida_current_tenant'"
    )
    with database.tenant_session(tenant.id, write=False) as session:
        if session.execute(text("SHOW track_functions")).scalar() != "all":
            pytest.skip("needs track_functions = all (set on the throwaway cluster)")
        for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            session.execute(text(f"SET LOCAL {setting} = off"))  # a sequential scan, filtering each row
        before = session.execute(calls).scalar()
        plan = session.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM customers")).scalar()
        after = session.execute(calls).scalar()

    def removed(node) -> int:
        return node.get("Rows Removed by Filter", 0) + sum(removed(n) for n in node.get("Plans", []))

    assert removed(plan[0]["Plan"]) > 0  # other tenants' rows were read and filtered out, one by one
    assert after - before == 1
