from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, UTCDateTime


class LoginThrottle(Base):
    """Failed logins per email, shared by every worker process through the database."""

    __tablename__ = "login_throttle"

    email_lower: Mapped[str] = mapped_column(String(bounds.EMAIL), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
