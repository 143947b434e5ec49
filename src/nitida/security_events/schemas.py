from __future__ import annotations

import uuid
from typing import Any

from nitida.core.schemas import ApiModel, LocalDateTime
from nitida.security_events.models import SecurityEventType


class SecurityEventRead(ApiModel):
    id: uuid.UUID
    type: SecurityEventType
    occurred_at: LocalDateTime
    user_id: uuid.UUID | None
    user_email: str | None
    actor_user_id: uuid.UUID | None
    actor_email: str | None
    client_address: str | None
    user_agent: str | None
    details: dict[str, Any]
