"""Sessions are scoped when opened: a login session sees one user, nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nitida.core.db import TenantScopeError
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
    with Session(database.engine) as s, pytest.raises(TenantScopeError):
        s.scalars(select(Customer)).all()


def test_a_tenant_session_sees_only_its_own_tenant_row(database, tenant, other_tenant):
    from nitida.tenants.models import Tenant

    with database.tenant_session(tenant.id) as s:
        assert [t.id for t in s.scalars(select(Tenant))] == [tenant.id]
        assert s.get(Tenant, other_tenant.id) is None
