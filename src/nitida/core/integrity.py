"""Telling one constraint violation from another, without undoing the caller's work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Constraint:
    name: str  # as PostgreSQL reports it
    sqlite_message: str  # SQLite names no constraint: the text it reports instead


def violates(exc: IntegrityError, constraint: Constraint) -> bool:
    diag = getattr(exc.orig, "diag", None)
    if diag is not None:
        return diag.constraint_name == constraint.name
    return constraint.sqlite_message in str(exc.orig)


def flush_unless_violates(session: Session, constraint: Constraint) -> bool:
    """Flush in a savepoint: True if it worked, False if it broke ``constraint``.

    On False only the savepoint is rolled back, so the caller's transaction
    and its earlier work go on. Any other violation is raised as it is.
    """
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if violates(exc, constraint):
            return False
        raise
    return True
