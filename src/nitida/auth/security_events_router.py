"""The tenant's security log over the API (``/security-events``), behind the request guards of ``auth``
(which records events itself, so the events package stays below it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core.clock import BOGOTA
from nitida.core.errors import BadRequest
from nitida.core.problems import problem_responses
from nitida.security_events import service
from nitida.security_events.access import SECURITY_EVENTS
from nitida.security_events.models import SecurityEventType
from nitida.security_events.schemas import SecurityEventRead

router = APIRouter(prefix="/security-events", tags=["security"], route_class=UnitOfWorkRoute)

Reader = Annotated[TenantContext, guard(SECURITY_EVENTS["read"])]


def _instant(value: datetime | None, field: str) -> datetime | None:
    """The instant in UTC; a time without offset is a Colombian time, as people write it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BOGOTA)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:59 in Bogotá is past year 9999 in UTC
        raise BadRequest.field(field, "is out of range") from None


@router.get("", response_model=list[SecurityEventRead], responses=problem_responses(400, 401, 403))
def list_security_events(
    ctx: Reader,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    type_: Annotated[SecurityEventType | None, Query(alias="type")] = None,
    from_: Annotated[datetime | None, Query(alias="from", description="from this instant, inclusive")] = None,
    to: Annotated[datetime | None, Query(description="until this instant, exclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[SecurityEventRead]:
    """The tenant's security events, newest first (ADMIN): users created, roles
    changed, passwords reset, users deactivated, every login and failed login
    with its client address and user agent. Kept two years."""
    from_, to = _instant(from_, "from"), _instant(to, "to")
    if from_ is not None and to is not None and to < from_:
        raise BadRequest.field("to", "must not be before from")
    events = service.list_events(
        ctx.session, user_id=user_id, type_=type_, from_=from_, to=to, limit=limit, offset=offset
    )
    return [SecurityEventRead.model_validate(e) for e in events]
