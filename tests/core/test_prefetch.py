"""A request's caller is read with its transaction's first round trip (issue 14):
``TenantSession.prefetch`` sends a built-once read in the pipeline of BEGIN and
the RLS context on PostgreSQL; on SQLite it is read as usual. Either way the row
is the one ``read_prepared`` gives, under the session's tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from nitida.auth.dependencies import _CALLER
from nitida.users.models import Role, UserStatus


def _statements(database):
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(database.engine, "before_cursor_execute", record)


def test_the_prefetched_caller_is_the_row_read_prepared_gives(database, tenant):
    admin = tenant.users[Role.ADMIN]
    with database.tenant_session(tenant.id, write=False) as session:
        expected = session.read_prepared(_CALLER, {"nitida_key": admin.id}).first()
    seen, stop = _statements(database)
    try:
        with database.tenant_session(tenant.id, write=False) as session:
            session.prefetch(_CALLER, {"nitida_key": admin.id})
            row = session.read_one(_CALLER, {"nitida_key": admin.id})
    finally:
        stop()
    assert tuple(row) == tuple(expected)
    # Typed as SQLAlchemy types them: the caller's checks compare enum members.
    assert row.status is UserStatus.ACTIVE and row.role is Role.ADMIN
    assert row.id == admin.id and row.tenant_id == tenant.id
    users_reads = [s for s in seen if "FROM users" in s]
    if database.dialect == "postgresql":
        assert users_reads == []  # sent on the driver, in BEGIN's pipeline: no statement of its own
    else:
        assert len(users_reads) == 1


def test_another_tenants_user_is_not_found_through_the_prefetch(database, tenant, other_tenant):
    theirs = other_tenant.users[Role.ADMIN]
    with database.tenant_session(tenant.id, write=False) as session:
        session.prefetch(_CALLER, {"nitida_key": theirs.id})
        assert session.read_one(_CALLER, {"nitida_key": theirs.id}) is None


def test_a_read_other_than_the_prefetched_one_is_read_as_usual(database, tenant):
    admin, operador = tenant.users[Role.ADMIN], tenant.users[Role.OPERADOR]
    with database.tenant_session(tenant.id, write=False) as session:
        session.prefetch(_CALLER, {"nitida_key": admin.id})
        row = session.read_one(_CALLER, {"nitida_key": operador.id})
        assert row.id == operador.id and row.role is Role.OPERADOR


def test_prefetch_must_come_before_the_transaction(database, tenant):
    with database.tenant_session(tenant.id, write=False) as session:
        session.connection()
        with pytest.raises(RuntimeError, match="before the transaction"):
            session.prefetch(_CALLER, {"nitida_key": tenant.users[Role.ADMIN].id})
