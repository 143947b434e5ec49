from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantRoot, UTCDateTime, utcnow


class Tenant(TenantRoot, Base):
    """A business using the service. Its id is the tenant key of every other table."""

    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(bounds.PERSON_NAME))
    nit: Mapped[str] = mapped_column(String(bounds.IDENTITY_NUMBER))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
