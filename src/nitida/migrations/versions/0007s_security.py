"""security: row-level security that SQL run as the service role cannot move; security events

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-25 15:00:00

(The file is named for where it runs, after 0007; its revision id stays 0009, the id databases
already record.)

PostgreSQL (see core.rls and core.seals):
* every ``tenant_isolation`` policy now compares with ``(SELECT nitida_current_tenant())``:
  the tenant of ``app.tenant_id`` only when ``app.tenant_seal`` is the service's
  HMAC of it (the key is readable by the owner only);
* the ``queue_scan`` policy of the jobs table demands a sealed ``app.queue_scan``;
* the ``login_lookup`` policies (users readable by e-mail, with their hashes) are
  gone: login reads through ``nitida_login_candidate(email, seal)``;
* the grants of the service role are made after every upgrade
  (core.migrations.upgrade), not here.

security_events: user administration and logins, for the tenant's ADMIN; the
service role may only read and add them; ``nitida_purge_security_events()``
deletes those older than two years (the only deletion there is).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import CURRENT_TENANT, QUEUE_SCAN, disable_tenant_rls, enable_tenant_rls, ensure_login_function

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

RETENTION = "2 years"


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "USER_CREATED",
                "ROLE_CHANGED",
                "PASSWORD_RESET",
                "USER_DEACTIVATED",
                "USER_REACTIVATED",
                "LOGIN_SUCCEEDED",
                "LOGIN_FAILED",
                name="securityeventtype",
                native_enum=False,
                length=bounds.AUDIT_NAME,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_email", sa.String(length=bounds.EMAIL), nullable=True),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=bounds.EMAIL), nullable=True),
        sa.Column("client_address", sa.String(length=bounds.CLIENT_ADDRESS), nullable=True),
        sa.Column("user_agent", sa.String(length=bounds.USER_AGENT), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_security_events_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_security_events")),
    )
    op.create_index("ix_security_events_tenant_time", "security_events", ["tenant_id", "occurred_at"])
    op.create_index("ix_security_events_tenant_user_time", "security_events", ["tenant_id", "user_id", "occurred_at"])
    op.create_index("ix_security_events_tenant_type_time", "security_events", ["tenant_id", "type", "occurred_at"])
    enable_tenant_rls("security_events")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()


def _postgresql_upgrade() -> None:
    conn = op.get_bind()
    # Re-make every tenant policy of the earlier migrations with the sealed setting
    # (on a database made from scratch they already are: the helper changed).
    for table, column in conn.execute(
        sa.text(
            "SELECT p.tablename, CASE WHEN p.tablename = 'tenants' THEN 'id' ELSE 'tenant_id' END "
            "FROM pg_policies p WHERE p.schemaname = 'public' AND p.policyname = 'tenant_isolation' "
            "AND p.tablename <> 'security_events'"
        )
    ).all():
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING ({column} = {CURRENT_TENANT}) WITH CHECK ({column} = {CURRENT_TENANT})"
        )
    op.execute("DROP POLICY IF EXISTS queue_scan ON jobs")
    op.execute(f"CREATE POLICY queue_scan ON jobs USING ({QUEUE_SCAN}) WITH CHECK ({QUEUE_SCAN})")
    op.execute("DROP POLICY IF EXISTS login_lookup ON users")
    op.execute("DROP POLICY IF EXISTS login_lookup ON tenants")
    ensure_login_function(conn)
    # Retention: the owner (inside the function below) sees only expired events.
    op.execute(
        "CREATE POLICY owner_purge ON security_events TO CURRENT_USER "
        f"USING (occurred_at < now() - interval '{RETENTION}')"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION public.nitida_purge_security_events() RETURNS bigint "
        "LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ "
        "WITH gone AS (DELETE FROM public.security_events "
        f"WHERE occurred_at < now() - interval '{RETENTION}' RETURNING 1) SELECT count(*) FROM gone $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS public.nitida_purge_security_events()")
        op.execute("DROP POLICY IF EXISTS owner_purge ON security_events")
        # The sealed policies stay: the service of this revision sets the seals.
    disable_tenant_rls("security_events")
    op.drop_index("ix_security_events_tenant_type_time", table_name="security_events")
    op.drop_index("ix_security_events_tenant_user_time", table_name="security_events")
    op.drop_index("ix_security_events_tenant_time", table_name="security_events")
    op.drop_table("security_events")
