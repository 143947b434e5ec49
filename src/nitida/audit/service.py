"""The audit trail: recorded in the caller's transaction, so a change and its
record commit or vanish together."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert, select

from nitida.audit.models import AuditEvent
from nitida.auth.principal import Principal
from nitida.core.db import TenantSession


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the fields whose value changed."""
    return {key: {"from": before.get(key), "to": after.get(key)} for key in after if before.get(key) != after.get(key)}


def _event_values(
    actor: Principal | None, entity_type: str, entity_id: uuid.UUID, action: str, changes: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
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


def history(session: TenantSession, *, entity_type: str, entity_id: uuid.UUID) -> list[AuditEvent]:
    """Oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
