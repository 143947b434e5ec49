"""Server-side sessions of the back office in the browser."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow


class WebSession(TenantScoped, Base):
    """One signed-in browser. The cookie carries the tenant id and a random
    token; only the token's SHA-256 is stored, so a copy of the table opens nothing.

    Tenant-scoped like every other row (RLS included): the cookie names the
    tenant, the lookup runs in that tenant's session, and a forged tenant id
    finds nothing.
    """

    __tablename__ = "web_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            ondelete="CASCADE",
            name="fk_web_sessions_user",
        ),
        Index("uq_web_sessions_tenant_token_hash", "tenant_id", "token_hash", unique=True),
        Index("ix_web_sessions_tenant_user", "tenant_id", "user_id"),
        Index("ix_web_sessions_tenant_expires", "tenant_id", "expires_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    token_hash: Mapped[str] = mapped_column(String(bounds.WEB_TOKEN))
    csrf_token: Mapped[str] = mapped_column(String(bounds.WEB_TOKEN))
    # The user's token_version at sign-in: a password change or a deactivation
    # bumps it, and the session is over (the same rule as bearer tokens).
    token_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
