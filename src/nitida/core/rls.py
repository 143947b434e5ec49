"""Row-level security on PostgreSQL: the second wall under the ORM's tenant scoping.

Each transaction sets ``app.tenant_id`` (see core.db); every tenant-owned table
gets a policy that shows and accepts only that tenant's rows. FORCE makes the
policy bind the table owner too, so only a superuser or BYPASSRLS role sees
across tenants — and the service never connects as one.
"""

from __future__ import annotations

from alembic import op

CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def enable_tenant_rls(table: str, tenant_column: str = "tenant_id") -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({tenant_column} = {CURRENT_TENANT}) "
        f"WITH CHECK ({tenant_column} = {CURRENT_TENANT})"
    )


def disable_tenant_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def enable_queue_scan(table: str) -> None:
    """Let a job worker's queue session (``app.queue_scan = on``, see core.db)
    find and claim rows of every tenant in a queue table. Permissive policies
    add up: tenant sessions still see only their own rows."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE POLICY queue_scan ON {table} "
        "USING (current_setting('app.queue_scan', true) = 'on') "
        "WITH CHECK (current_setting('app.queue_scan', true) = 'on')"
    )


def disable_queue_scan(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS queue_scan ON {table}")
