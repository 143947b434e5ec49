"""statement mail: the demo's mail catcher keeps e-mails that belong to no DIAN document

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07 16:00:00

A customer's estado de cuenta is sent by e-mail (issue 26) through the same machinery as an invoice's (SMTP, or
in the demo the mail catcher, ``simulated_mail``). It is no DIAN document, so it has no delivery row:
``simulated_mail.delivery_id`` becomes optional (the composite foreign key holds for the rows that have one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLE = "simulated_mail"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("delivery_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE delivery_id IS NULL"))
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("delivery_id", existing_type=sa.Uuid(), nullable=False)
