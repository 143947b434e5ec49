"""report customers that are one taxpayer under the identity rules of issue 13

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 14:20:00

Identity numbers are now normalised with NFKC, without leading zeros and with
a check digit glued on a 10-digit 8xx/9xx NIT recognised. Customers stored
before that may now be one number twice within a tenant. Merging them is a
business decision (invoices point at each), so this migration only REPORTS
them, as warnings in the migration log and on stderr; the schema is unchanged.
Until they are merged by hand, the older row keeps the number and a PATCH of
the other one to the same number is refused as a duplicate.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def find_duplicates(connection: sa.Connection) -> list[str]:
    """One line per tenant and number held by more than one customer, or no longer valid."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Row-level security is forced on customers even for its owner (who runs the
        # migrations); lifting FORCE inside this transaction lets the owner read every
        # tenant, and it is restored before the transaction ends.
        connection.execute(sa.text("ALTER TABLE customers NO FORCE ROW LEVEL SECURITY"))
    try:
        rows = connection.execute(
            sa.text("SELECT tenant_id, id, tipo_documento, nit FROM customers ORDER BY tenant_id, created_at, id")
        ).all()
    finally:
        if postgres:
            connection.execute(sa.text("ALTER TABLE customers FORCE ROW LEVEL SECURITY"))
    by_number: dict[tuple[uuid.UUID, str], list[str]] = defaultdict(list)
    lines = []
    for raw_tenant, raw_customer, tipo, nit in rows:
        # SQLite returns uuids as 32 hex digits, PostgreSQL as uuid: one spelling for the report.
        tenant_id, customer_id = uuid.UUID(str(raw_tenant)), uuid.UUID(str(raw_customer))
        try:
            number = normalise(TipoDocumento(tipo), nit).number
        except (InvalidIdentity, ValueError) as exc:
            lines.append(f"tenant {tenant_id}: customer {customer_id} has number {nit!r}, no longer valid ({exc})")
            continue
        by_number[(tenant_id, number)].append(f"{customer_id} ({nit})")
    for (tenant_id, number), customers in by_number.items():
        if len(customers) > 1:
            lines.append(f"tenant {tenant_id}: number {number} is held by customers {', '.join(customers)}")
    return lines


def upgrade() -> None:
    lines = find_duplicates(op.get_bind())
    for line in lines:
        log.warning("identity duplicates: %s", line)
        print(f"identity duplicates: {line}", file=sys.stderr)
    if lines:
        print(f"identity duplicates: {len(lines)} to review; nothing was merged", file=sys.stderr)


def downgrade() -> None:
    pass  # a report: nothing to undo
