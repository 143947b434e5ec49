"""server-side sessions of the back office in the browser

Revision ID: 0007
Revises: 0006e
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0007"
down_revision = "0006e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=bounds.WEB_TOKEN), nullable=False),
        sa.Column("csrf_token", sa.String(length=bounds.WEB_TOKEN), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_web_sessions_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], name="fk_web_sessions_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_web_sessions")),
    )
    op.create_index("uq_web_sessions_tenant_token_hash", "web_sessions", ["tenant_id", "token_hash"], unique=True)
    op.create_index("ix_web_sessions_tenant_user", "web_sessions", ["tenant_id", "user_id"])
    op.create_index("ix_web_sessions_tenant_expires", "web_sessions", ["tenant_id", "expires_at"])
    enable_tenant_rls("web_sessions")


def downgrade() -> None:
    disable_tenant_rls("web_sessions")
    op.drop_table("web_sessions")
