"""Finding a tenant's row by the id in a path."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from nitida.core.db import TenantSession
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
    stmt = select(model)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(_by_id_or_404(stmt, model, raw_id, what))
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


def read_or_404(session: TenantSession, model: type, columns: Sequence[Any], raw_id: str, what: str) -> Row:
    """Like get_or_404, for reading only: a row of ``columns`` (named by their
    attribute keys), no ORM object built, read as Core (``TenantSession.read_rows``)."""
    row_id = parse_id(raw_id)
    if row_id is None:
        raise NotFound(f"{what} not found.")
    row = session.read_by_key(model.__table__, _table_columns(tuple(columns)), "id", row_id)  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


@functools.cache
def _table_columns(attributes: tuple[Any, ...]) -> tuple[Any, ...]:
    """The table columns behind ORM attributes, labelled with the attributes' keys."""
    return tuple(attr.property.columns[0].label(attr.key) for attr in attributes)


def _by_id_or_404(stmt: Select, model: Any, raw_id: str, what: str) -> Select:
    row_id = parse_id(raw_id)
    if row_id is None:
        raise NotFound(f"{what} not found.")
    return stmt.where(model.id == row_id)
