"""What ``nitida serve`` checks before serving on PostgreSQL: that it connects
as the service role row-level security binds, on a schema made for it."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from nitida.core.db import Database
from nitida.core.migrations import current_revision, head_revision

USE_SERVICE_ROLE = (
    "NITIDA_DATABASE_URL must name the service role: a role with NOSUPERUSER NOBYPASSRLS that owns nothing "
    "(the migrations grant it what it needs); the owner of the tables belongs in NITIDA_MIGRATION_DATABASE_URL"
)


def service_role_problem(db: Database) -> str | None:
    """Why this database connection must not serve, or None."""
    if db.dialect != "postgresql":
        return None
    with db.engine.connect() as conn:
        problem = _role_problem(conn)
        if problem is not None:
            return problem
    if current_revision(db.engine) != head_revision():
        return (
            "the database schema is not up to date: run `nitida db upgrade` with NITIDA_MIGRATION_DATABASE_URL "
            "(the owner), or set it for serve to migrate at start-up"
        )
    probe = uuid.uuid4()
    with db.tenant_session(probe, write=False) as session:
        sealed = session.execute(text("SELECT nitida_current_tenant()")).scalar()
    if sealed != probe:
        return (
            "the database does not accept this service's row-level-security seals: run `nitida db upgrade` "
            "with the same NITIDA_SECRET_KEY as the service"
        )
    return None


def replica_role_problem(replica_url: str | None) -> str | None:
    """Why NITIDA_DATABASE_REPLICA_URL must not serve (a role row-level security does not bind), or None.

    A replica that cannot be reached at start-up is no reason to refuse: the primary serves until it is back.
    """
    if not replica_url:
        return None
    engine = create_engine(replica_url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            problem = _role_problem(conn)
    except DBAPIError:
        return None
    finally:
        engine.dispose()
    return None if problem is None else f"NITIDA_DATABASE_REPLICA_URL: {problem}"


def _role_problem(conn: Connection) -> str | None:
    role = conn.execute(text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    if role.rolsuper:
        return f"the role {role.rolname!r} is a superuser. {USE_SERVICE_ROLE}."
    if role.rolbypassrls:
        return f"the role {role.rolname!r} has BYPASSRLS. {USE_SERVICE_ROLE}."
    # Owning a table, or being able to act as its owner, lifts every wall.
    owned = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND pg_has_role(current_user, c.relowner, 'USAGE') ORDER BY c.relname LIMIT 1"
        )
    ).scalar()
    if owned is not None:
        return f"the role {role.rolname!r} owns (or may act as the owner of) the table {owned!r}. {USE_SERVICE_ROLE}."
    return None
