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
