"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:57:00.817878
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "login_throttle",
        sa.Column("email_lower", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("email_lower", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("nit", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_events_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_entity", ["tenant_id", "entity_type", "entity_id", "occurred_at"], unique=False
        )

    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("razon_social", sa.String(length=450), nullable=False),
        sa.Column("razon_social_search", sa.String(length=450), nullable=False),
        sa.Column(
            "razon_social_sort",
            sa.String(length=500).with_variant(sa.String(length=500, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tipo_documento",
            sa.Enum(
                "RC",
                "TI",
                "CC",
                "TE",
                "CE",
                "NIT",
                "PASAPORTE",
                "DIE",
                "PEP",
                "PPT",
                "NIT_EXTRANJERO",
                "NUIP",
                name="tipodocumento",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("nit", sa.String(length=20), nullable=False),
        sa.Column("dv", sa.String(length=1), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("telefono", sa.String(length=50), nullable=True),
        sa.Column("direccion", sa.String(length=300), nullable=True),
        sa.Column(
            "status", sa.Enum("ACTIVE", "INACTIVE", name="customerstatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_customers_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customers")),
        sa.UniqueConstraint("tenant_id", "nit", name="uq_customers_tenant_nit"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_tenant_sort", ["tenant_id", "razon_social_sort", "nit"], unique=False)
        batch_op.create_index(
            "ix_customers_tenant_status_sort", ["tenant_id", "status", "razon_social_sort", "nit"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_lower", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role", sa.Enum("ADMIN", "OPERADOR", "CONSULTA", name="role", native_enum=False, length=20), nullable=False
        ),
        sa.Column(
            "status", sa.Enum("ACTIVE", "INACTIVE", name="userstatus", native_enum=False, length=20), nullable=False
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("uq_users_email_lower", ["email_lower"], unique=True)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()


def _postgresql_upgrade() -> None:
    # Case- and accent-insensitive substring search: trigram indexes over the
    # folded name and over the number, each led by tenant_id (btree_gin), so a
    # tenant's typeahead reads only that tenant's part of the index.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.execute(
        "CREATE INDEX ix_customers_tenant_search_trgm ON customers "
        "USING gin (tenant_id, razon_social_search gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_customers_tenant_nit_trgm ON customers USING gin (tenant_id, nit gin_trgm_ops)")
    for table in ("users", "customers", "audit_events"):
        enable_tenant_rls(table)
    enable_tenant_rls("tenants", tenant_column="id")
    # Login finds a user by email before any tenant is known: the login
    # session names that one email, and sees that one row.
    op.execute(
        "CREATE POLICY login_lookup ON users FOR SELECT "
        "USING (email_lower = nullif(current_setting('app.login_email', true), ''))"
    )
    # ... and the tenant of that user, to check it exists.
    op.execute(
        "CREATE POLICY login_lookup ON tenants FOR SELECT USING (id IN ("
        "SELECT u.tenant_id FROM users u WHERE u.email_lower = "
        "nullif(current_setting('app.login_email', true), '')))"
    )


def _postgresql_downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS login_lookup ON tenants")
    op.execute("DROP POLICY IF EXISTS login_lookup ON users")
    for table in ("tenants", "users", "customers", "audit_events"):
        disable_tenant_rls(table)
    op.execute("DROP INDEX IF EXISTS ix_customers_tenant_nit_trgm")
    op.execute("DROP INDEX IF EXISTS ix_customers_tenant_search_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_downgrade()

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_email_lower")

    op.drop_table("users")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_tenant_status_sort")
        batch_op.drop_index("ix_customers_tenant_sort")

    op.drop_table("customers")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
    op.drop_table("tenants")
    op.drop_table("login_throttle")
