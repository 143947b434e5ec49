"""Alembic, driven from code: the only way the schema is made, on both engines.

On PostgreSQL the migrations run as the **owner** role
(NITIDA_MIGRATION_DATABASE_URL) and end, every time, with the step that gives
the **service** role (the user of NITIDA_DATABASE_URL) exactly the grants it
needs, tables added by the migrations included, and that stores the key
checking the row-level-security seals (derived from NITIDA_SECRET_KEY).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url

from nitida.core import rls, seals

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    service_role: str | None = None,
    secret_key: str | None = None,
) -> None:
    """Apply migrations; on PostgreSQL, ``engine`` is the owner's, and then
    ``service_role`` is granted what it needs and the seal key derived from
    ``secret_key`` is stored (both required there)."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.dialect.name == "postgresql":
            if not service_role or not secret_key:
                raise ValueError("on PostgreSQL the migrations need the service role and the secret key")
            rls.ensure_rls_functions(connection)
            rls.grant_service_role(connection, service_role)
            rls.store_rls_key(connection, seals.derive_rls_key(secret_key))
        connection.commit()


def service_role_of(database_url: str) -> str:
    """The service role: the user of NITIDA_DATABASE_URL."""
    user = make_url(database_url).username
    if not user:
        raise ValueError("NITIDA_DATABASE_URL names no user (the service role)")
    return user


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
