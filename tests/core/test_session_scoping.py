"""Sessions are scoped when opened: a login session sees one user, nothing else; a
session of the project's (ScopedSession) opened for no one sees nothing; a plain
SQLAlchemy session elsewhere in the process is none of the kit's business."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from nitida.core.db import ScopedSession, TenantScopeError
from nitida.customers.models import Customer
from nitida.users.models import Role, User


def test_login_session_sees_only_the_user_with_its_email(database, tenant, other_tenant):
    from nitida.auth.service import find_login

    email = tenant.users[Role.OPERADOR].email_lower
    with database.login_session(email) as s:
        users = s.scalars(select(User)).all()  # deliberately unfiltered
        # PostgreSQL: the service role reads no user by e-mail at all; login
        # goes through nitida_login_candidate (tests/security/test_rls.py).
        assert [u.email_lower for u in users] == ([email] if database.dialect == "sqlite" else [])
        candidate = find_login(database, s, email)
        assert candidate.claims.user_id == tenant.users[Role.OPERADOR].id and candidate.active
        assert candidate.password_hash.startswith("$argon2id$")
        with pytest.raises(TenantScopeError):
            s.scalars(select(Customer)).all()


def test_a_session_without_tenant_cannot_query(database):
    # The project's session class opened for no tenant, no e-mail and no queue.
    with ScopedSession(database.engine) as s, pytest.raises(TenantScopeError):
        s.scalars(select(Customer)).all()


def test_a_plain_sqlalchemy_session_is_untouched(database, tenant, other_tenant):
    """The scoping listeners are attached to the project's ScopedSession, not to every
    SQLAlchemy Session of the process: a plain one gets no tenant criteria and no
    refusal. (On PostgreSQL the database's own wall still holds: with no sealed
    tenant, row-level security shows it no rows.)"""
    from nitida.tenants.models import Tenant

    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with Session(database.engine) as s:
            tenants = s.scalars(select(Tenant)).all()  # no TenantScopeError
            customers = s.scalars(select(Customer)).all()  # nor for a tenant-owned model
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    for table in ("tenants", "customers"):
        read = next(sql for sql in sent if f"FROM {table}" in sql)
        assert "WHERE" not in read, read  # no criteria added to the unfiltered select
    seen = {t.id for t in tenants}
    if database.dialect == "sqlite":
        assert {tenant.id, other_tenant.id} <= seen  # every tenant
    else:
        assert seen == set() and customers == []  # row-level security: no sealed tenant, no rows


def test_a_tenant_session_sees_only_its_own_tenant_row(database, tenant, other_tenant):
    from nitida.tenants.models import Tenant

    with database.tenant_session(tenant.id) as s:
        assert [t.id for t in s.scalars(select(Tenant))] == [tenant.id]
        assert s.get(Tenant, other_tenant.id) is None
