"""room for folded names; an index to purge expired login throttles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:45:00

Folding a name for search can lengthen it (ß -> ss, … -> ...): the folded
key is bounded in bytes by the service (1,800, so that the covering index of
0003 stays under PostgreSQL's index row limit), not by the 450 characters of
the name. SQLite does not enforce VARCHAR lengths and keeps its table as is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("customers", "razon_social_search", type_=sa.String(1800), existing_type=sa.String(450))
    op.create_index("ix_login_throttle_window_started_at", "login_throttle", ["window_started_at"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_window_started_at", table_name="login_throttle")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("customers", "razon_social_search", type_=sa.String(450), existing_type=sa.String(1800))
