"""The audit trail: recorded in the caller's transaction, so a change and its
record commit or vanish together."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, bindparam, insert, literal, select

from nitida.audit.models import AuditEvent
from nitida.core.db import TenantSession, utcnow
from nitida.core.principal import Principal


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the fields whose value changed."""
    return {key: {"from": before.get(key), "to": after.get(key)} for key in after if before.get(key) != after.get(key)}


def _event_values(
    actor: Principal | None, entity_type: str, entity_id: uuid.UUID, action: str, changes: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {"entity_type": entity_type, "entity_id": entity_id, "action": action, **_who_and_what(actor, changes)}


def _who_and_what(actor: Principal | None, changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """An event's actor and changes, as every way of recording one stores them."""
    return {
        "actor_user_id": actor.user_id if actor else None,
        "actor_email": actor.email if actor else None,
        "changes": dict(changes or {}),
    }


def record(
    session: TenantSession,
    actor: Principal | None,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(**_event_values(actor, entity_type, entity_id, action, changes))
    session.add(event)
    return event


def record_now(
    session: TenantSession,
    actor: Principal | None,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """``record``, written at once as one Core INSERT in the caller's transaction:
    no ORM object and no flush, for the hot paths (a customer's create)."""
    values = _event_values(actor, entity_type, entity_id, action, changes)
    session.write_rows(_INSERT_EVENT, {"tenant_id": session.tenant_id, **values})


_AUDIT_EVENTS = cast(Table, AuditEvent.__table__)
# Built once: the values travel as parameters (no statement built per event).
_INSERT_EVENT = insert(_AUDIT_EVENTS)

# The parameters of ``with_event``'s event (named apart from any row's columns).
_EVENT_PARAMS = {
    "id": "nitida_event_id",
    "actor_user_id": "nitida_event_actor_user_id",
    "actor_email": "nitida_event_actor_email",
    "occurred_at": "nitida_event_occurred_at",
    "changes": "nitida_event_changes",
}


def with_event(row_insert: Insert, *, entity_type: str, action: str) -> Select:
    """One PostgreSQL statement for a hot path: ``row_insert`` (an INSERT …
    RETURNING the new row, its ``tenant_id`` and ``id`` among the columns) and the
    row's audit event, written only if the row was (an ON CONFLICT DO NOTHING that
    skips returns nothing, so no event). Built once; run it with the row's
    parameters and ``event_params``; its rows are the INSERT's.

    Why: one round trip and one statement's Python instead of two. SQLite has no
    INSERT inside WITH; there the row's INSERT is followed by ``record_now``.
    """
    new_row = row_insert.cte("nitida_new_row")
    column = _AUDIT_EVENTS.c
    event = insert(_AUDIT_EVENTS).from_select(
        ["tenant_id", "entity_type", "entity_id", "action", *_EVENT_PARAMS],
        select(
            new_row.c.tenant_id,
            literal(entity_type, column.entity_type.type),
            new_row.c.id,
            literal(action, column.action.type),
            *(bindparam(name, type_=column[key].type) for key, name in _EVENT_PARAMS.items()),
        ),
    )
    return select(*new_row.c).add_cte(event.cte("nitida_new_event"))


def event_params(actor: Principal | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a ``with_event`` statement's audit event."""
    values = {"id": uuid.uuid4(), "occurred_at": utcnow(), **_who_and_what(actor, changes)}
    return {name: values[key] for key, name in _EVENT_PARAMS.items()}


def history(session: TenantSession, *, entity_type: str, entity_id: uuid.UUID) -> list[AuditEvent]:
    """Oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
