"""one-time password links (invitations, "¿Olvidaste tu contraseña?") and the business's profile

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 16:00:00

``password_links``: only the SHA-256 of a link's token, when it expires and when it was used.
``business_profiles``: one row per tenant (its logo, stored as PNG; its default notes, e-mail text,
plazo and medio de pago). The demo's mail catcher also keeps the invitation and password e-mails, which
deliver no document: ``simulated_mail.delivery_id`` is optional since 0019.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LINKS = "password_links"
PROFILES = "business_profiles"


def upgrade() -> None:
    op.create_table(
        LINKS,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=bounds.WEB_TOKEN), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{LINKS}_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], name="fk_password_links_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{LINKS}")),
    )
    op.create_index("uq_password_links_tenant_token_hash", LINKS, ["tenant_id", "token_hash"], unique=True)
    op.create_index("ix_password_links_tenant_user", LINKS, ["tenant_id", "user_id"])
    enable_tenant_rls(LINKS)

    op.create_table(
        PROFILES,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("logo_png", sa.LargeBinary(), nullable=True),
        sa.Column("logo_width", sa.Integer(), nullable=True),
        sa.Column("logo_height", sa.Integer(), nullable=True),
        sa.Column("logo_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_notes", sa.Text(), nullable=True),
        sa.Column("email_text", sa.Text(), nullable=True),
        sa.Column("payment_term", sa.String(length=bounds.CODE), nullable=False),
        sa.Column("payment_method", sa.String(length=bounds.CODE * 2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{PROFILES}_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{PROFILES}")),
    )
    op.create_index("uq_business_profiles_tenant", PROFILES, ["tenant_id"], unique=True)
    enable_tenant_rls(PROFILES)


def downgrade() -> None:
    disable_tenant_rls(PROFILES)
    op.drop_table(PROFILES)
    disable_tenant_rls(LINKS)
    op.drop_table(LINKS)
