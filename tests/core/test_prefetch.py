"""A request's caller is checked by its transaction's first statement (issue 14):
``TenantSession.check_on_begin`` sends a built-once read in the pipeline of BEGIN and
the RLS context on PostgreSQL, with the transaction's first ``read_prepared`` riding
after it; on SQLite the check's read is the first statement. Either way the checked
row is the one ``read_prepared`` gives, under the session's tenant, and a refusing
check keeps the riding read's rows from the caller."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from fixtures.common import random_nit
from nitida.auth.context import _CALLER
from nitida.core.db import by_key_read
from nitida.core.principal import Principal
from nitida.customers import service as customers
from nitida.customers.models import Customer
from nitida.customers.schemas import CustomerCreate
from nitida.users.models import Role, UserStatus


def _statements(database):
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(database.engine, "before_cursor_execute", record)


_CUSTOMER = by_key_read(Customer.__table__, (Customer.__table__.c.id, Customer.__table__.c.razon_social), "id")


class Refused(Exception):
    pass


def make_customer(database, tenant, razon_social: str):
    admin = tenant.users[Role.ADMIN]
    principal = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        return customers.create_customer(
            session, principal, CustomerCreate(razon_social=razon_social, nit=random_nit())
        )


def test_the_checked_caller_is_the_row_read_prepared_gives(database, tenant):
    admin = tenant.users[Role.ADMIN]
    with database.tenant_session(tenant.id, write=False) as session:
        expected = session.read_prepared(_CALLER, {"nitida_key": admin.id}).first()
    checked: list[Any] = []
    seen, stop = _statements(database)
    try:
        with database.tenant_session(tenant.id, write=False) as session:
            session.check_on_begin(_CALLER, {"nitida_key": admin.id}, checked.append)
            assert checked == []  # nothing is read before the transaction's first statement
            session.connection()
    finally:
        stop()
    [row] = checked
    assert tuple(row) == tuple(expected)
    # Typed as SQLAlchemy types them: the caller's checks compare enum members.
    assert row.status is UserStatus.ACTIVE and row.role is Role.ADMIN
    assert row.id == admin.id and row.tenant_id == tenant.id
    users_reads = [s for s in seen if "FROM users" in s]
    if database.dialect == "postgresql":
        assert users_reads == []  # sent on the driver, in BEGIN's pipeline: no statement of its own
    else:
        assert len(users_reads) == 1


def test_the_first_read_rides_with_the_check_and_answers_as_read_prepared(database, tenant):
    admin = tenant.users[Role.ADMIN]
    customer = make_customer(database, tenant, razon_social="Papelería Peñalosa")
    with database.tenant_session(tenant.id, write=False) as session:
        expected = session.read_prepared(_CUSTOMER, {"nitida_key": customer.id}).all()
    order: list[str] = []
    seen, stop = _statements(database)
    try:
        with database.tenant_session(tenant.id, write=False) as session:
            session.check_on_begin(_CALLER, {"nitida_key": admin.id}, lambda row: order.append("checked"))
            rows = session.read_prepared(_CUSTOMER, {"nitida_key": customer.id}).all()
            order.append("read")
            again = session.read_prepared(_CUSTOMER, {"nitida_key": customer.id}).all()
    finally:
        stop()
    assert order == ["checked", "read"]
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected] == [tuple(r) for r in again]
    assert rows[0].razon_social == "Papelería Peñalosa"
    customer_reads = [s for s in seen if "FROM customers" in s]
    if database.dialect == "postgresql":
        assert len(customer_reads) == 1  # the first in the pipeline; the second as usual
    else:
        assert len(customer_reads) == 2


def test_a_refusing_check_keeps_the_riding_reads_rows(database, tenant):
    customer = make_customer(database, tenant, razon_social="Ferretería Núñez")
    with database.tenant_session(tenant.id, write=False) as session:

        def refuse(row):
            raise Refused

        session.check_on_begin(_CALLER, {"nitida_key": tenant.users[Role.ADMIN].id}, refuse)
        with pytest.raises(Refused):
            session.read_prepared(_CUSTOMER, {"nitida_key": customer.id})


def test_another_tenants_user_is_not_found_by_the_check(database, tenant, other_tenant):
    theirs = other_tenant.users[Role.ADMIN]
    checked: list[Any] = []
    with database.tenant_session(tenant.id, write=False) as session:
        session.check_on_begin(_CALLER, {"nitida_key": theirs.id}, checked.append)
        session.connection()
    assert checked == [None]


def test_a_check_after_the_transaction_began_runs_at_once(database, tenant):
    operador = tenant.users[Role.OPERADOR]
    checked: list[Any] = []
    with database.tenant_session(tenant.id, write=False) as session:
        session.connection()
        session.check_on_begin(_CALLER, {"nitida_key": operador.id}, checked.append)
        assert [row.role for row in checked] == [Role.OPERADOR]
