"""delivery to the DIAN and the buyer: one row per electronic document

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-25 16:00:00

The documents' electronic_status columns are VARCHAR(20) without a check constraint:
SENT, ACCEPTED and REJECTED need no change there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.rls import disable_tenant_rls, enable_tenant_rls

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "document_deliveries"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "document_type",
            sa.Enum("INVOICE", "CREDIT_NOTE", "DEBIT_NOTE", name="documenttype", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=True),
        sa.Column("file_year", sa.Integer(), nullable=True),
        sa.Column("file_consecutive", sa.Integer(), nullable=True),
        sa.Column("track_id", sa.String(length=bounds.DELIVERY_TRACK_ID), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("dian_status_code", sa.String(length=bounds.CODE), nullable=True),
        sa.Column("dian_status_description", sa.Text(), nullable=True),
        sa.Column("dian_messages", sa.JSON(), nullable=False),
        sa.Column("application_response", sa.LargeBinary(), nullable=True),
        sa.Column("attached_document", sa.LargeBinary(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_job_id", sa.Uuid(), nullable=True),
        sa.Column(
            "mail_status",
            sa.Enum(
                "NOT_YET",
                "QUEUED",
                "SENT",
                "NO_EMAIL",
                "NOT_CONFIGURED",
                name="mailstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("mail_to", sa.String(length=bounds.EMAIL), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_job_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{TABLE}_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["invoices.tenant_id", "invoices.id"],
            name="fk_document_deliveries_invoice",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["invoice_notes.tenant_id", "invoice_notes.id"],
            name="fk_document_deliveries_note",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(
        "uq_document_deliveries_document", TABLE, ["tenant_id", "document_type", "document_id"], unique=True
    )
    op.create_index(
        "uq_document_deliveries_file",
        TABLE,
        ["tenant_id", "document_type", "file_year", "file_consecutive"],
        unique=True,
    )
    op.create_index("ix_document_deliveries_invoice", TABLE, ["tenant_id", "invoice_id"])
    enable_tenant_rls(TABLE)


def downgrade() -> None:
    disable_tenant_rls(TABLE)
    op.drop_table(TABLE)
