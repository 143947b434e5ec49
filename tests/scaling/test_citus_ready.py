"""Ready to distribute by tenant (Citus): read from the migrated catalog, every
primary key, unique constraint or index and foreign key of a tenant table
includes tenant_id, and every foreign key between tenant tables joins on it.

The exceptions are the tables Citus would keep whole on every node (reference
tables): ``tenants`` itself, ``login_throttle`` (keyed by e-mail, before any
tenant is known), and the one global index of ``users`` (a login's e-mail is
unique across the service), which makes ``users`` a reference table too.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.postgres_only

REFERENCE_TABLES = {"tenants", "login_throttle", "alembic_version"}
GLOBAL_INDEXES = {"uq_users_email_lower"}


def tenant_tables(conn) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND column_name = 'tenant_id'"
            )
        ).scalars()
    )


def test_every_key_and_unique_index_of_a_tenant_table_includes_tenant_id(database):
    with database.engine.connect() as conn:
        tables = tenant_tables(conn)
        assert {"customers", "invoices", "jobs", "users"} <= tables
        rows = conn.execute(
            text(
                """
                SELECT t.relname AS table_name, i.relname AS index_name,
                       array_agg(a.attname::text) AS columns
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey)
                WHERE x.indisunique
                GROUP BY t.relname, i.relname
                """
            )
        ).all()
    offenders = [
        f"{r.table_name}.{r.index_name} {r.columns}"
        for r in rows
        if r.table_name in tables and r.index_name not in GLOBAL_INDEXES and "tenant_id" not in r.columns
    ]
    assert offenders == []
    assert any(r.table_name == "customers" for r in rows)  # the query saw the tables


def test_every_foreign_key_between_tenant_tables_joins_on_tenant_id(database):
    with database.engine.connect() as conn:
        tables = tenant_tables(conn)
        fks = conn.execute(
            text(
                """
                SELECT c.conname, src.relname AS source, dst.relname AS target,
                       ARRAY(SELECT attname::text FROM pg_attribute
                             WHERE attrelid = c.conrelid AND attnum = ANY (c.conkey)) AS columns
                FROM pg_constraint c
                JOIN pg_class src ON src.oid = c.conrelid
                JOIN pg_class dst ON dst.oid = c.confrelid
                WHERE c.contype = 'f'
                """
            )
        ).all()
    between = [fk for fk in fks if fk.source in tables and fk.target in tables]
    assert between, "no foreign keys between tenant tables found"
    offenders = [f"{fk.conname} {fk.columns}" for fk in between if "tenant_id" not in fk.columns]
    assert offenders == []
    # Everything else a tenant table references is a reference table.
    assert {fk.target for fk in fks if fk.source in tables and fk.target not in tables} <= REFERENCE_TABLES
