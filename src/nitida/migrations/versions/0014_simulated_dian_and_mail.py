"""the demo's DIAN simulada and mail catcher: a settings flag and the caught e-mails

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:30:00

``einvoicing_settings.simulated``: the tenant's documents go to the DIAN simulada (nitida.dian.simulated) and
its e-mails to ``simulated_mail`` instead of SMTP. Only ``nitida demo`` sets it, and only in habilitación: the
check constraint keeps a PRODUCCION tenant from ever being pointed at the simulation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLE = "simulated_mail"


def upgrade() -> None:
    with op.batch_alter_table("einvoicing_settings") as batch:
        batch.add_column(sa.Column("simulated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_check_constraint(
            "ck_einvoicing_settings_simulated_habilitacion", "NOT simulated OR environment = 'HABILITACION'"
        )
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("mail_to", sa.String(length=bounds.EMAIL), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{TABLE}_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["document_deliveries.tenant_id", "document_deliveries.id"],
            name="fk_simulated_mail_delivery",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index("ix_simulated_mail_created", TABLE, ["tenant_id", "created_at"])
    enable_tenant_rls(TABLE)


def downgrade() -> None:
    disable_tenant_rls(TABLE)
    op.drop_table(TABLE)
    with op.batch_alter_table("einvoicing_settings") as batch:
        batch.drop_constraint("ck_einvoicing_settings_simulated_habilitacion", type_="check")
        batch.drop_column("simulated")
