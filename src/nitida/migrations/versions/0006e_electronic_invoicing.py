"""electronic invoicing: issuer fiscal data, settings, signed invoices, credit and debit notes

Revision ID: 0006e
Revises: 0006
Create Date: 2026-11-25 15:00:00

New columns are nullable or carry a server default, so existing rows stay valid:
old invoices are NOT_APPLICABLE (never electronic), old customers have no fiscal data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.money import ScaledDecimal
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0006e"
down_revision = "0006"
branch_labels = None
depends_on = None

NEW_TABLES = ("einvoicing_issuers", "einvoicing_settings", "invoice_notes")
PAYMENT_METHODS = ("EFECTIVO", "TRANSFERENCIA", "CONSIGNACION", "TARJETA_CREDITO", "TARJETA_DEBITO", "CHEQUE", "OTRO")
ELECTRONIC_STATUSES = ("NOT_APPLICABLE", "SIGNED")


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="RESTRICT"
    )


def _electronic_status() -> sa.Enum:
    return sa.Enum(*ELECTRONIC_STATUSES, name="electronicstatus", native_enum=False, length=bounds.ELECTRONIC_STATUS)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("tipo_persona", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("responsabilidades_fiscales", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("tributo", sa.String(length=bounds.CODE), nullable=True))
        batch.add_column(sa.Column("municipio_codigo", sa.String(length=bounds.DANE_CODE), nullable=True))
        batch.add_column(sa.Column("codigo_postal", sa.String(length=bounds.POSTAL_CODE), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(
            sa.Column(
                "payment_method",
                sa.Enum(*PAYMENT_METHODS, name="paymentmethod", native_enum=False, length=20),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("credited_total", ScaledDecimal(2), nullable=False, server_default="0"))
        batch.add_column(sa.Column("debited_total", ScaledDecimal(2), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("electronic_status", _electronic_status(), nullable=False, server_default="NOT_APPLICABLE")
        )
        batch.add_column(sa.Column("cufe", sa.String(length=bounds.DOCUMENT_KEY), nullable=True))
        batch.add_column(sa.Column("qr_data", sa.String(length=bounds.QR_DATA), nullable=True))
        batch.add_column(sa.Column("signed_xml", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("customer_tipo_persona", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("customer_responsabilidades_fiscales", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("customer_tributo", sa.String(length=bounds.CODE), nullable=True))
        batch.add_column(sa.Column("customer_municipio_codigo", sa.String(length=bounds.DANE_CODE), nullable=True))
        batch.add_column(sa.Column("customer_codigo_postal", sa.String(length=bounds.POSTAL_CODE), nullable=True))

    op.create_table(
        "einvoicing_issuers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("razon_social", sa.String(length=bounds.RAZON_SOCIAL), nullable=False),
        sa.Column("nombre_comercial", sa.String(length=bounds.RAZON_SOCIAL), nullable=True),
        sa.Column("nit", sa.String(length=bounds.IDENTITY_NUMBER), nullable=False),
        sa.Column("dv", sa.String(length=bounds.DV), nullable=False),
        sa.Column(
            "tipo_persona",
            sa.Enum("JURIDICA", "NATURAL", name="persontype", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("responsabilidades_fiscales", sa.JSON(), nullable=False),
        sa.Column("tributo", sa.String(length=bounds.CODE), nullable=False),
        sa.Column("actividad_economica", sa.JSON(), nullable=False),
        sa.Column("direccion", sa.String(length=bounds.ADDRESS), nullable=False),
        sa.Column("municipio_codigo", sa.String(length=bounds.DANE_CODE), nullable=False),
        sa.Column("codigo_postal", sa.String(length=bounds.POSTAL_CODE), nullable=True),
        sa.Column("email", sa.String(length=bounds.EMAIL), nullable=True),
        sa.Column("telefono", sa.String(length=bounds.PHONE), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_fk("einvoicing_issuers"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_einvoicing_issuers")),
        sa.UniqueConstraint("tenant_id", name="uq_einvoicing_issuers_tenant"),
    )
    op.create_table(
        "einvoicing_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "environment",
            sa.Enum("HABILITACION", "PRODUCCION", name="environment", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("software_id", sa.String(length=bounds.SOFTWARE_ID), nullable=False),
        sa.Column("software_pin_encrypted", sa.Text(), nullable=False),
        sa.Column("test_set_id", sa.String(length=bounds.TEST_SET_ID), nullable=True),
        sa.Column("certificate_encrypted", sa.Text(), nullable=False),
        sa.Column("certificate_password_encrypted", sa.Text(), nullable=False),
        sa.Column("certificate_subject", sa.String(length=bounds.CERTIFICATE_SUBJECT), nullable=False),
        sa.Column("certificate_serial_number", sa.String(length=bounds.CERTIFICATE_SERIAL), nullable=False),
        sa.Column("certificate_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credit_note_prefix", sa.String(length=bounds.PREFIX), nullable=False),
        sa.Column("debit_note_prefix", sa.String(length=bounds.PREFIX), nullable=False),
        sa.Column("next_credit_note", sa.BigInteger(), nullable=False),
        sa.Column("next_debit_note", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_fk("einvoicing_settings"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_einvoicing_settings")),
        sa.UniqueConstraint("tenant_id", name="uq_einvoicing_settings_tenant"),
    )
    op.create_table(
        "invoice_notes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("CREDIT", "DEBIT", name="notekind", native_enum=False, length=20), nullable=False),
        sa.Column("prefix", sa.String(length=bounds.PREFIX), nullable=False),
        sa.Column("consecutive", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=bounds.INVOICE_NUMBER), nullable=False),
        sa.Column("concept", sa.String(length=bounds.CODE), nullable=False),
        sa.Column("description", sa.String(length=bounds.DESCRIPTION), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("subtotal", ScaledDecimal(2), nullable=False),
        sa.Column("tax_total", ScaledDecimal(2), nullable=False),
        sa.Column("total", ScaledDecimal(2), nullable=False),
        sa.Column("cude", sa.String(length=bounds.DOCUMENT_KEY), nullable=False),
        sa.Column("qr_data", sa.String(length=bounds.QR_DATA), nullable=False),
        sa.Column("electronic_status", _electronic_status(), nullable=False),
        sa.Column("signed_xml", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _tenant_fk("invoice_notes"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name="fk_invoice_notes_invoice",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invoice_notes")),
    )
    op.create_index(
        "uq_invoice_notes_tenant_kind_consecutive", "invoice_notes", ["tenant_id", "kind", "consecutive"], unique=True
    )
    op.create_index("uq_invoice_notes_tenant_number", "invoice_notes", ["tenant_id", "number"], unique=True)
    op.create_index("ix_invoice_notes_tenant_invoice", "invoice_notes", ["tenant_id", "invoice_id", "issued_at"])
    op.create_index("ix_invoice_notes_tenant_kind_issued", "invoice_notes", ["tenant_id", "kind", "issued_at"])
    for table in NEW_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        disable_tenant_rls(table)
        op.drop_table(table)
    with op.batch_alter_table("invoices") as batch:
        for column in (
            "customer_codigo_postal",
            "customer_municipio_codigo",
            "customer_tributo",
            "customer_responsabilidades_fiscales",
            "customer_tipo_persona",
            "signed_xml",
            "qr_data",
            "cufe",
            "electronic_status",
            "debited_total",
            "credited_total",
            "payment_method",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("customers") as batch:
        for column in ("codigo_postal", "municipio_codigo", "tributo", "responsabilidades_fiscales", "tipo_persona"):
            batch.drop_column(column)
