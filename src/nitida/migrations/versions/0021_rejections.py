"""a rejected invoice corrected and sent again; a resolution's environment; a counter per DIAN file type

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:40:00

Issue 25. ``numbering_resolutions.environment``: the DIAN environment a resolution numbers in; existing
resolutions take their tenant's current environment (HABILITACION for a tenant without electronic-invoicing
settings), and the DIAN's habilitación test-set resolution (number 18760000001, prefix SETP) is HABILITACION
whatever the tenant's. ``rejected_versions``: the versions of an invoice the DIAN rejected, kept when it is
corrected and sent again under the same number. ``dian_file_counters``: one file-name consecutive per tenant,
file type (fv, nc, nd, ad, z) and year; the fv/nc/nd counters start at the highest consecutive already used,
``ad`` and ``z`` (which reused the document's consecutive until now) above every consecutive already used that
year, so no new name repeats an old one. ``document_deliveries`` keeps the numbers its ZIP, AttachedDocument and
mailed ZIP took.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ENVIRONMENT = sa.Enum("HABILITACION", "PRODUCCION", name="environment", native_enum=False, length=20)
TEST_SET_RESOLUTION = "18760000001"
FILE_KIND = {"INVOICE": "fv", "CREDIT_NOTE": "nc", "DEBIT_NOTE": "nd"}


def _tenant_tables(connection: sa.Connection, tables: tuple[str, ...], force: bool) -> None:
    """Row-level security is forced even for the owner running the migrations: lifted for the backfill, in this
    transaction, and restored before it ends (as 0006 does)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(sa.text(f"ALTER TABLE {table} {'' if force else 'NO '}FORCE ROW LEVEL SECURITY"))


def _backfill_environments(connection: sa.Connection) -> None:
    tables = ("numbering_resolutions", "einvoicing_settings")
    _tenant_tables(connection, tables, force=False)
    try:
        connection.execute(
            sa.text(
                "UPDATE numbering_resolutions SET environment = COALESCE("
                "(SELECT s.environment FROM einvoicing_settings s WHERE s.tenant_id = numbering_resolutions.tenant_id),"
                " 'HABILITACION')"
            )
        )
        connection.execute(
            sa.text(
                "UPDATE numbering_resolutions SET environment = 'HABILITACION' "
                "WHERE resolution_number = :test_set OR prefix = 'SETP'"
            ),
            {"test_set": TEST_SET_RESOLUTION},
        )
    finally:
        _tenant_tables(connection, tables, force=True)


def _backfill_counters(connection: sa.Connection) -> None:
    tables = ("document_deliveries", "dian_file_counters")
    _tenant_tables(connection, tables, force=False)
    try:
        rows = connection.execute(
            sa.text(
                "SELECT tenant_id, document_type, file_year, MAX(file_consecutive) FROM document_deliveries "
                "WHERE file_year IS NOT NULL AND file_consecutive IS NOT NULL "
                "GROUP BY tenant_id, document_type, file_year"
            )
        ).all()
        counters: dict[tuple[str, str, int], int] = {}
        for tenant_id, document_type, year, last in rows:
            tenant = str(uuid.UUID(str(tenant_id)))
            counters[(tenant, FILE_KIND[document_type], year)] = last
            for shared in ("ad", "z"):  # they reused every kind's consecutive: start above all of them
                key = (tenant, shared, year)
                counters[key] = max(counters.get(key, 0), last)
        table = sa.table(
            "dian_file_counters",
            sa.column("tenant_id", sa.Uuid()),
            sa.column("id", sa.Uuid()),
            sa.column("kind", sa.String()),
            sa.column("year", sa.Integer()),
            sa.column("last", sa.Integer()),
        )
        if counters:
            op.bulk_insert(
                table,
                [
                    {"tenant_id": uuid.UUID(t), "id": uuid.uuid4(), "kind": kind, "year": year, "last": last}
                    for (t, kind, year), last in sorted(counters.items())
                ],
            )
    finally:
        _tenant_tables(connection, tables, force=True)


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("numbering_resolutions") as batch:
        batch.add_column(sa.Column("environment", ENVIRONMENT, nullable=True))
    _backfill_environments(connection)
    with op.batch_alter_table("numbering_resolutions") as batch:
        batch.alter_column("environment", existing_type=ENVIRONMENT, nullable=False)

    with op.batch_alter_table("document_deliveries") as batch:
        batch.add_column(sa.Column("zip_consecutive", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attached_consecutive", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mail_zip_consecutive", sa.Integer(), nullable=True))

    op.create_table(
        "dian_file_counters",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_dian_file_counters_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_dian_file_counters")),
    )
    op.create_index("uq_dian_file_counters_kind_year", "dian_file_counters", ["tenant_id", "kind", "year"], unique=True)
    enable_tenant_rls("dian_file_counters")
    _backfill_counters(connection)

    op.create_table(
        "rejected_versions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=bounds.INVOICE_NUMBER), nullable=False),
        sa.Column("cufe", sa.String(length=bounds.DOCUMENT_KEY), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_xml", sa.LargeBinary(), nullable=False),
        sa.Column("file_name", sa.String(length=64), nullable=True),
        sa.Column("track_id", sa.String(length=bounds.DELIVERY_TRACK_ID), nullable=True),
        sa.Column("dian_status_code", sa.String(length=bounds.CODE), nullable=True),
        sa.Column("dian_status_description", sa.Text(), nullable=True),
        sa.Column("dian_messages", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_rejected_versions_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name="fk_rejected_versions_invoice",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_rejected_versions")),
    )
    op.create_index("ix_rejected_versions_invoice", "rejected_versions", ["tenant_id", "invoice_id", "superseded_at"])
    enable_tenant_rls("rejected_versions")


def downgrade() -> None:
    disable_tenant_rls("rejected_versions")
    op.drop_table("rejected_versions")
    disable_tenant_rls("dian_file_counters")
    op.drop_table("dian_file_counters")
    with op.batch_alter_table("document_deliveries") as batch:
        batch.drop_column("mail_zip_consecutive")
        batch.drop_column("attached_consecutive")
        batch.drop_column("zip_consecutive")
    with op.batch_alter_table("numbering_resolutions") as batch:
        batch.drop_column("environment")
