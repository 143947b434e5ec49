"""The migrations are the schema: what they build matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nitida.migrations.models import metadata


def _only_in_database(obj, name, type_, reflected, compare_to) -> bool:
    # Indexes only PostgreSQL has (trigram, covering) are made by hand in the
    # migrations and have no model counterpart; everything else must match.
    return not (type_ == "index" and reflected and compare_to is None)


def test_migrated_schema_matches_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": _only_in_database,
                # SQLite keeps no VARCHAR lengths worth comparing.
                "compare_type": database.dialect == "postgresql",
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_identity_duplicates_are_reported_not_merged(client, tenant, other_tenant, database, engine_name, request):
    """Migration 0006 lists the customers that are one taxpayer under the new identity rules."""
    import importlib.util
    import uuid
    from pathlib import Path

    from sqlalchemy import select, text

    import nitida.migrations.versions as versions
    from nitida.customers.models import Customer

    path = Path(versions.__file__).parent / "0006_identity_duplicates_report.py"
    spec = importlib.util.spec_from_file_location("identity_duplicates_report", path)
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)

    headers = tenant.headers()
    ids = []
    for nit in ("900373914", "800197268", "830000001"):
        r = client.post("/billing/customers", json={"razonSocial": f"Cliente {nit}", "nit": nit}, headers=headers)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    # As the old rules stored them: the same NIT with a zero in front and with its DV glued on.
    with database.tenant_session(tenant.id) as session:
        for customer_id, stored in zip(ids[1:], ("0900373914", "9003739141"), strict=True):
            session.get(Customer, (tenant.id, uuid.UUID(customer_id))).nit = stored
        session.commit()
    r = client.post(
        "/billing/customers", json={"razonSocial": "Solo", "nit": "900373914"}, headers=other_tenant.headers()
    )
    assert r.status_code == 201

    # Migrations run as the tables' owner (the service role owns nothing on PostgreSQL).
    engine = database.engine
    if engine_name == "postgresql":
        from sqlalchemy import create_engine

        engine = create_engine(request.getfixturevalue("postgres")[3])
    with engine.connect() as connection:
        lines = [
            line
            for line in report.find_duplicates(connection)
            if str(tenant.id) in line or str(other_tenant.id) in line
        ]
        connection.rollback()
    assert len(lines) == 1, lines
    assert f"tenant {tenant.id}: number 900373914 is held by customers" in lines[0]
    assert all(customer_id in lines[0] for customer_id in ids)
    with database.tenant_session(tenant.id, write=False) as session:  # nothing merged, RLS back in force
        assert sorted(c.nit for c in session.scalars(select(Customer))) == ["0900373914", "900373914", "9003739141"]
    if database.dialect == "postgresql":
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM customers")).scalar() == 0
            forced = "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'customers'"
            assert connection.execute(text(forced)).scalar() is True


def test_the_migration_files_read_in_the_order_they_run():
    """Listed by name, the files are the chain from the first revision to the head, and each header names its
    own revision and its predecessor as the code does (a reader of the folder reads the history in order)."""
    import re
    from pathlib import Path

    from alembic.script import ScriptDirectory

    from nitida.core.migrations import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    chain = list(reversed(list(scripts.walk_revisions())))  # base first
    assert [s.down_revision for s in chain[1:]] == [s.revision for s in chain[:-1]], "one straight chain"
    by_file = sorted(chain, key=lambda s: Path(s.path).name)
    assert [Path(s.path).name for s in by_file] == [Path(s.path).name for s in chain]
    for script in chain:
        header = Path(script.path).read_text().split('"""')[1]
        assert re.search(rf"^Revision ID: {re.escape(script.revision)}$", header, re.M), script.path
        revises = re.search(r"^Revises: ?(.*)$", header, re.M)
        assert revises and revises[1].strip() == (script.down_revision or ""), script.path
