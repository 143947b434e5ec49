"""The database's own walls under the invoices: composite foreign keys, RLS, exact money storage."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from fixtures.common import assert_problem
from fixtures.invoices import issue, make_customer, make_draft, make_issued, make_resolution, today
from nitida.core.errors import Conflict
from nitida.core.principal import Principal
from nitida.invoices import service
from nitida.invoices.models import Invoice, InvoiceStatus, NumberingResolution
from nitida.invoices.schemas import InvoiceUpdate
from nitida.users.models import Role


def test_an_invoice_cannot_reference_another_tenants_customer(client, database, tenant, other_tenant):
    theirs = make_customer(client, other_tenant)
    my_resolution = make_resolution(client, tenant)
    with database.tenant_session(tenant.id) as session:
        session.add(
            Invoice(
                customer_id=uuid.UUID(theirs["id"]),
                resolution_id=uuid.UUID(my_resolution["id"]),
                status=InvoiceStatus.DRAFT,
                subtotal=Decimal(0),
                tax_total=Decimal(0),
                total=Decimal(0),
                amount_paid=Decimal(0),
                customer_search="x",
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()


def test_money_is_stored_exactly(client, database, tenant, engine_name):
    invoice = make_issued(client, tenant)
    key = uuid.UUID(invoice["id"])
    with database.tenant_session(tenant.id, write=False) as session:
        raw = session.execute(
            text("SELECT total FROM invoices WHERE id = :id"),
            {"id": key if engine_name == "postgresql" else key.hex},  # SQLite stores UUIDs as 32 hex chars
        ).scalar_one()
    if engine_name == "sqlite":
        assert raw == 11_900_000 and isinstance(raw, int)  # cents
    else:
        assert raw == Decimal("119000.00")


@pytest.mark.postgres_only
def test_row_level_security_hides_other_tenants_invoices(client, database, tenant, other_tenant):
    make_issued(client, tenant)
    make_issued(client, other_tenant)
    with database.tenant_session(other_tenant.id, write=False) as session:
        for table in ("invoices", "invoice_lines", "numbering_resolutions"):
            tenants = session.execute(text(f"SELECT DISTINCT tenant_id FROM {table}")).scalars().all()
            assert tenants == [other_tenant.id], table


def _resolution_row(session, prefix: str, next_number: int) -> NumberingResolution:
    """A resolution written directly: the API refuses prefixes that extend one another today,
    but a database may hold some registered before."""
    day = today()
    resolution = NumberingResolution(
        resolution_number="18760000009",
        prefix=prefix,
        range_from=1,
        range_to=1000,
        next_number=next_number,
        valid_from=day - timedelta(days=1),
        valid_to=day + timedelta(days=30),
    )
    session.add(resolution)
    return resolution


def test_a_number_spelt_twice_is_409_and_leaves_the_resolution_as_it_was(client, database, tenant):
    with database.tenant_session(tenant.id) as session:
        short, long_ = _resolution_row(session, "NT", 11), _resolution_row(session, "NT1", 1)
        session.commit()
        short_id, long_id = str(short.id), str(long_.id)
    customer = make_customer(client, tenant)
    assert make_issued(client, tenant, customer=customer, resolution={"id": short_id})["number"] == "NT11"
    draft = make_draft(client, tenant, customer=customer, resolution={"id": long_id})
    body = assert_problem(issue(client, tenant, draft["id"]), 409)
    assert body["type"].endswith("/number-taken") and "NT11" in body["detail"]
    headers = tenant.headers()
    assert client.get(f"/billing/invoices/{draft['id']}", headers=headers).json()["status"] == "DRAFT"
    assert client.get(f"/billing/resolutions/{long_id}", headers=headers).json()["nextNumber"] == 1


def test_a_number_spelt_twice_undoes_only_the_issue_not_the_callers_transaction(client, database, tenant):
    with database.tenant_session(tenant.id) as session:
        short, long_ = _resolution_row(session, "NU", 11), _resolution_row(session, "NU1", 1)
        session.commit()
        short_id, long_id = str(short.id), str(long_.id)
    customer = make_customer(client, tenant)
    make_issued(client, tenant, customer=customer, resolution={"id": short_id})
    draft = make_draft(client, tenant, customer=customer, resolution={"id": long_id})
    admin = tenant.users[Role.ADMIN]
    actor = Principal(admin.id, tenant.id, admin.email, admin.name, Role.ADMIN)
    with database.tenant_session(tenant.id) as session:
        # Earlier work of the same transaction: a note on the draft, then the issue that fails.
        invoice = service.get_invoice(session, draft["id"], for_update=True)
        service.update_draft(session, actor, invoice, InvoiceUpdate(notes="antes de emitir"))
        with pytest.raises(Conflict):
            service.issue(session, actor, invoice)
        assert invoice.status is InvoiceStatus.DRAFT and invoice.number is None
        session.commit()
    got = client.get(f"/billing/invoices/{draft['id']}", headers=tenant.headers()).json()
    assert (got["status"], got["notes"]) == ("DRAFT", "antes de emitir")
    assert client.get(f"/billing/resolutions/{long_id}", headers=tenant.headers()).json()["nextNumber"] == 1
