from __future__ import annotations

import uuid
from typing import Any

from nitida.core.schemas import ApiModel, LocalDateTime


class AuditEventRead(ApiModel):
    id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    action: str
    actor_user_id: uuid.UUID | None
    actor_email: str | None
    occurred_at: LocalDateTime
    changes: dict[str, Any]
