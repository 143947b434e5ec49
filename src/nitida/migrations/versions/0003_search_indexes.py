"""search indexes: a covering sort index for typeahead under row-level security

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:40:00

Why (measured by ``python -m bench``, see bench/RESULTS.md): under row-level
security PostgreSQL only uses a condition as an index condition if its
operator is LEAKPROOF, and LIKE (textlike) is not. The service's role is
bound by RLS, so the trigram GIN indexes of 0001 can never answer its
``razon_social_search LIKE '%...%'``: every search of a 100,000-customer
tenant read all of the tenant's heap rows (25-60 ms). This index holds
everything a search reads - the order (razon_social_sort, nit), the folded
name, the number and the id - so the count and the page's ids come from an
index-only scan of the tenant's part of the index (about 3x less work), and
only the 50 rows of the page are read from the table.

PostgreSQL only (SQLite keeps its indexes of 0001).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_customers_tenant_sort_search ON customers "
        "(tenant_id, razon_social_sort, nit) INCLUDE (razon_social_search, id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_customers_tenant_sort_search")
