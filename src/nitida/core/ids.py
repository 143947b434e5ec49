"""Finding a tenant's row by the id in a path."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from nitida.core.errors import NotFound

T = TypeVar("T")


def parse_id(raw: str) -> uuid.UUID | None:
    """A path id as a UUID, or None: a malformed id is answered like an unknown one (404)."""
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError, TypeError):
        return None


def get_or_404(session: Session, model: type[T], raw_id: str, what: str, *, for_update: bool = False) -> T:
    """The row with this id in the session's tenant, or 404 "<what> not found."

    Unknown, malformed and other tenants' ids are indistinguishable. With
    ``for_update`` the row is locked until the transaction ends.
    """
    row_id = parse_id(raw_id)
    row = None
    if row_id is not None:
        stmt = select(model).where(model.id == row_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"{what} not found.")
    return row
