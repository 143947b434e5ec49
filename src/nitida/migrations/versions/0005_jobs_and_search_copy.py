"""durable background jobs; invoices.customer_search as wide as its source

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 14:20:00

invoices.customer_search is a copy of customers.razon_social_search, which
0004 widened on PostgreSQL but this column not: a customer whose folded name
is longer than 450 characters could not be invoiced. Both now take their
width from core.bounds.SEARCH_KEY.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_queue_scan, disable_tenant_rls, enable_queue_scan, enable_tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("invoices", "customer_search", type_=sa.String(bounds.SEARCH_KEY), existing_type=sa.String(450))
    op.create_table(
        "jobs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=bounds.JOB_KIND), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", name="jobstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sa.String(length=bounds.JOB_WORKER), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=bounds.EMAIL), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_jobs_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_tenant_status", "jobs", ["tenant_id", "status", "created_at"])
    op.create_index("ix_jobs_due", "jobs", ["status", "run_after"])
    enable_tenant_rls("jobs")
    enable_queue_scan("jobs")


def downgrade() -> None:
    disable_queue_scan("jobs")
    disable_tenant_rls("jobs")
    op.drop_table("jobs")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("invoices", "customer_search", type_=sa.String(450), existing_type=sa.String(bounds.SEARCH_KEY))
