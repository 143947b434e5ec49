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
from sqlalchemy.orm import Session

from fixtures.common import random_nit
from nitida.auth.principal import Principal
from nitida.core.db import TenantScopeError
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
            customers.create_customer(session, actor, CustomerCreate(razonSocial=f"Cliente {i}", nit=random_nit()))
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
    session = Session(database.engine)  # a plain session, opened for no tenant
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
