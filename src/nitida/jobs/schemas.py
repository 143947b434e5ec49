from __future__ import annotations

import uuid
from typing import Any

from nitida.core.schemas import ApiModel, LocalDateTime
from nitida.jobs.models import JobStatus


class JobRead(ApiModel):
    id: uuid.UUID
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: LocalDateTime
    last_error: str | None
    progress_done: int
    progress_total: int | None
    result: dict[str, Any] | None
    actor_email: str | None
    created_at: LocalDateTime
    updated_at: LocalDateTime
    finished_at: LocalDateTime | None
