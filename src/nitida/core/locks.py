"""Transaction-scoped named locks: PostgreSQL's advisory locks; SQLite needs none (its writers are serial)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def advisory_xact_lock(session: Session, key: str) -> None:
    """Hold the lock named ``key`` until the session's transaction ends (include the tenant in ``key``)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
