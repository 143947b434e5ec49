"""Telling one constraint violation from another, without undoing the caller's work."""

from __future__ import annotations

from collections.abc import Callable
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


def apply_unless_violates(session: Session, constraint: Constraint, change: Callable[[], object]) -> bool:
    """Apply ``change`` (add, delete or modify objects) and flush it in a savepoint.

    True if it was written; False if it broke ``constraint``: then only the
    savepoint is rolled back and the caller's transaction goes on. Any other
    violation is raised as it is.

    The change must be made inside the savepoint: SQLAlchemy can only undo,
    and recover from, what the savepoint itself holds. Work pending before it
    is flushed first, outside it.
    """
    session.flush()
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        if violates(exc, constraint):
            return False
        raise
    return True
