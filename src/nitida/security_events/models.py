from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow


class SecurityEventType(enum.StrEnum):
    USER_CREATED = "USER_CREATED"
    ROLE_CHANGED = "ROLE_CHANGED"
    PASSWORD_RESET = "PASSWORD_RESET"
    USER_DEACTIVATED = "USER_DEACTIVATED"
    USER_REACTIVATED = "USER_REACTIVATED"
    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOGIN_FAILED = "LOGIN_FAILED"
    # A document mailed to an address other than its customer's (the shared relay's abuse case).
    MAIL_TO_OTHER_ADDRESS = "MAIL_TO_OTHER_ADDRESS"
    # A one-time link to set a password was sent: an invitation or "¿Olvidaste tu contraseña?" (users.links).
    INVITATION_SENT = "INVITATION_SENT"
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"


class SecurityEvent(TenantScoped, Base):
    """Who did what to which user, or who logged in (or failed to), from where.

    Append-only for the service role on PostgreSQL (SELECT and INSERT only);
    kept two years (``nitida security-events purge``)."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_tenant_time", "tenant_id", "occurred_at"),
        Index("ix_security_events_tenant_user_time", "tenant_id", "user_id", "occurred_at"),
        Index("ix_security_events_tenant_type_time", "tenant_id", "type", "occurred_at"),
    )

    type: Mapped[SecurityEventType] = mapped_column(
        Enum(SecurityEventType, native_enum=False, length=bounds.AUDIT_NAME, validate_strings=True)
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The user the event is about (the one created, changed, or logging in).
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    user_email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    client_address: Mapped[str | None] = mapped_column(String(bounds.CLIENT_ADDRESS), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(bounds.USER_AGENT), nullable=True)
    # e.g. {"from": "OPERADOR", "to": "ADMIN"}, {"reason": "wrong-password"}.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
