from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "QUEUED"  # waiting for its run_after
    RUNNING = "RUNNING"  # leased by a worker until leased_until
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # out of attempts; an ADMIN may retry it


class Job(TenantScoped, Base):
    """A unit of background work, enqueued in the transaction of the change that needs it."""

    __tablename__ = "jobs"
    __queue_table__ = True  # workers scan it across tenants (core.db.QueueSession)
    __table_args__ = (
        Index("ix_jobs_tenant_status", "tenant_id", "status", "created_at"),
        # The workers' scan for due work (across tenants, see migration 0005).
        Index("ix_jobs_due", "status", "run_after"),
    )

    kind: Mapped[str] = mapped_column(String(bounds.JOB_KIND))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20, validate_strings=True), default=JobStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    leased_by: Mapped[str | None] = mapped_column(String(bounds.JOB_WORKER), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(bounds.EMAIL), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
