"""free lines: an invoice line's reference price (gifts and samples)

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-07 15:40:00

``invoice_lines.reference_price``: the commercial unit value of a line given away (price 0 or a 100 %
discount), which its electronic document declares (FreeOfChargeIndicator, PricingReference) and on which its
taxes are computed (issue 25). NULL on every other line, and on the lines stored before it existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core.money import ScaledDecimal

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(sa.Column("reference_price", ScaledDecimal(2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_column("reference_price")
