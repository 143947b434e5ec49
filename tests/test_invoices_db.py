"""The database's own walls under the invoices: composite foreign keys, RLS, exact money storage."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from test_invoices_support import make_customer, make_issued, make_resolution

from nitida.invoices.models import Invoice, InvoiceStatus


def test_an_invoice_cannot_reference_another_tenants_customer(client, database, tenant, other_tenant):
    theirs = make_customer(client, other_tenant)
    my_resolution = make_resolution(client, tenant)
    with database.tenant_session(tenant.id) as session:
        session.add(Invoice(
            customer_id=uuid.UUID(theirs["id"]), resolution_id=uuid.UUID(my_resolution["id"]),
            status=InvoiceStatus.DRAFT, subtotal=Decimal(0), tax_total=Decimal(0), total=Decimal(0),
            amount_paid=Decimal(0), customer_search="x",
        ))
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
