from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow


class AuditEvent(TenantScoped, Base):
    """Who did what to which record, written in the same transaction as the change."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "tenant_id", "entity_type", "entity_id", "occurred_at"),)

    entity_type: Mapped[str] = mapped_column(String(bounds.AUDIT_NAME))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(bounds.AUDIT_NAME))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {"field": {"from": old, "to": new}}; values as they appear in the API.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
