"""customer import files (kept for the background job that imports them)

Revision ID: 0008
Revises: 0009
Create Date: 2026-11-25 15:00:00

The receivables reports need no new table: they read invoices and payments
(see reports.service.movements).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_import_files",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_customer_import_files_tenant_id_tenants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customer_import_files")),
    )
    enable_tenant_rls("customer_import_files")


def downgrade() -> None:
    disable_tenant_rls("customer_import_files")
    op.drop_table("customer_import_files")
