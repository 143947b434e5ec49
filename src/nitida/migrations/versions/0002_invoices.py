"""invoices: numbering resolutions, invoices, lines, payments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:10:00

Money columns are core.money.ScaledDecimal: NUMERIC(18, scale) on PostgreSQL,
an exact scaled BIGINT on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core.money import ScaledDecimal
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("numbering_resolutions", "invoices", "invoice_lines", "invoice_payments")


def upgrade() -> None:
    op.create_table(
        "numbering_resolutions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resolution_number", sa.String(length=50), nullable=False),
        sa.Column("prefix", sa.String(length=4), nullable=False),
        sa.Column("range_from", sa.BigInteger(), nullable=False),
        sa.Column("range_to", sa.BigInteger(), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("technical_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_numbering_resolutions_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_numbering_resolutions")),
    )
    op.create_index(
        "ix_numbering_resolutions_tenant_prefix",
        "numbering_resolutions",
        ["tenant_id", "prefix", "range_from"],
        unique=False,
    )
    op.create_table(
        "invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("resolution_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("DRAFT", "ISSUED", "PAID", "VOID", name="invoicestatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "payment_form",
            sa.Enum("CONTADO", "CREDITO", name="paymentform", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("prefix", sa.String(length=4), nullable=True),
        sa.Column("consecutive", sa.BigInteger(), nullable=True),
        sa.Column("number", sa.String(length=30), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subtotal", ScaledDecimal(2), nullable=False),
        sa.Column("tax_total", ScaledDecimal(2), nullable=False),
        sa.Column("total", ScaledDecimal(2), nullable=False),
        sa.Column("amount_paid", ScaledDecimal(2), nullable=False),
        sa.Column("customer_razon_social", sa.String(length=450), nullable=True),
        sa.Column(
            "customer_tipo_documento",
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
            nullable=True,
        ),
        sa.Column("customer_nit", sa.String(length=20), nullable=True),
        sa.Column("customer_dv", sa.String(length=1), nullable=True),
        sa.Column("customer_email", sa.String(length=254), nullable=True),
        sa.Column("customer_direccion", sa.String(length=300), nullable=True),
        sa.Column("customer_search", sa.String(length=450), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_invoices_customer",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "resolution_id"],
            ["numbering_resolutions.tenant_id", "numbering_resolutions.id"],
            name="fk_invoices_resolution",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_invoices_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoices")),
    )
    op.create_index("ix_invoices_tenant_created", "invoices", ["tenant_id", "created_at"], unique=False)
    op.create_index("ix_invoices_tenant_customer", "invoices", ["tenant_id", "customer_id", "created_at"], unique=False)
    op.create_index("ix_invoices_tenant_issue_date", "invoices", ["tenant_id", "issue_date"], unique=False)
    op.create_index("ix_invoices_tenant_resolution", "invoices", ["tenant_id", "resolution_id"], unique=False)
    op.create_index("ix_invoices_tenant_status", "invoices", ["tenant_id", "status", "created_at"], unique=False)
    op.create_index("uq_invoices_tenant_number", "invoices", ["tenant_id", "number"], unique=True)
    op.create_index(
        "uq_invoices_tenant_prefix_consecutive", "invoices", ["tenant_id", "prefix", "consecutive"], unique=True
    )
    op.create_table(
        "invoice_lines",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", ScaledDecimal(6), nullable=False),
        sa.Column("unit_price", ScaledDecimal(2), nullable=False),
        sa.Column("discount_percent", ScaledDecimal(2), nullable=False),
        sa.Column("taxes", sa.JSON(), nullable=False),
        sa.Column("base", ScaledDecimal(2), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name="fk_invoice_lines_invoice",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_invoice_lines_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_lines")),
    )
    op.create_index(
        "ix_invoice_lines_tenant_invoice", "invoice_lines", ["tenant_id", "invoice_id", "position"], unique=False
    )
    op.create_table(
        "invoice_payments",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", ScaledDecimal(2), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "EFECTIVO",
                "TRANSFERENCIA",
                "CONSIGNACION",
                "TARJETA_CREDITO",
                "TARJETA_DEBITO",
                "CHEQUE",
                "OTRO",
                name="paymentmethod",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name="fk_invoice_payments_invoice",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_invoice_payments_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_payments")),
    )
    op.create_index(
        "ix_invoice_payments_tenant_invoice",
        "invoice_payments",
        ["tenant_id", "invoice_id", "created_at"],
        unique=False,
    )

    if op.get_bind().dialect.name == "postgresql":
        # Accent-insensitive substring search over the folded customer name and the number.
        op.execute(
            "CREATE INDEX ix_invoices_tenant_search_trgm ON invoices "
            "USING gin (tenant_id, customer_search gin_trgm_ops)"
        )
        op.execute("CREATE INDEX ix_invoices_tenant_number_trgm ON invoices USING gin (tenant_id, number gin_trgm_ops)")
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        disable_tenant_rls(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_invoices_tenant_number_trgm")
        op.execute("DROP INDEX IF EXISTS ix_invoices_tenant_search_trgm")
    op.drop_table("invoice_payments")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("numbering_resolutions")
