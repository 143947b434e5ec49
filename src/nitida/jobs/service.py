"""The job queue, in the application's own database.

Enqueueing adds a row in the caller's transaction, so a job exists exactly
when the change that needs it committed. Workers claim due jobs with a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL: several workers share the queue and
never claim the same job; SQLite serialises its writers), then run the job in
its tenant's unit of work, in which the job is also marked SUCCEEDED: the
handler's database effects and the job's completion commit together, or not
at all. A worker that dies leaves its lease to expire, and the job runs again.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from nitida.auth.principal import Principal
from nitida.core import bounds
from nitida.core.db import Database, TenantSession, utcnow
from nitida.core.errors import Conflict
from nitida.core.ids import get_or_404
from nitida.jobs.models import Job, JobStatus
from nitida.jobs.registry import HANDLERS, JobRun, PermanentJobError
from nitida.users.models import User

log = logging.getLogger("nitida.jobs")


@dataclass(frozen=True)
class QueuePolicy:
    """How long a lease lasts and how retries back off (exponential, capped, with jitter)."""

    lease: timedelta = timedelta(minutes=5)
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        delay = min(self.backoff_cap, self.backoff_base * (2 ** max(0, attempts - 1)))
        return delay * random.uniform(0.8, 1.0)  # jitter: failed jobs do not all return at once


def enqueue(
    session: TenantSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    actor: Principal | None = None,
    max_attempts: int = 8,
    run_after: datetime | None = None,
) -> Job:
    """Add a job to the caller's transaction: it exists only if that transaction commits."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        payload=dict(payload or {}),
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
        actor_user_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else None,
    )
    session.add(job)
    session.flush()
    return job


# --- what the API and the command line show -----------------------------------


def list_jobs(session: TenantSession, status: JobStatus | None, limit: int, offset: int) -> list[Job]:
    stmt = select(Job).order_by(Job.created_at.desc(), Job.id)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def get_job(session: TenantSession, raw_id: str, *, for_update: bool = False) -> Job:
    return get_or_404(session, Job, raw_id, "Job", for_update=for_update)


def retry(session: TenantSession, job: Job) -> Job:
    """A FAILED job back in the queue with a fresh set of attempts."""
    if job.status is not JobStatus.FAILED:
        raise Conflict(f"Only FAILED jobs can be retried; this one is {job.status.value}.", slug="job-not-failed")
    job.status, job.attempts, job.run_after = JobStatus.QUEUED, 0, utcnow()
    job.leased_until = job.leased_by = job.finished_at = None
    return job


def failed_jobs_all_tenants(db: Database, limit: int = 100) -> list[Job]:
    """FAILED jobs of every tenant, for the operator's command line."""
    with db.queue_session() as session:
        return list(
            session.scalars(
                select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.updated_at.desc()).limit(limit)
            )
        )


def retry_any_tenant(db: Database, job_id: uuid.UUID) -> Job | None:
    """Retry a FAILED job found by id in any tenant (command line)."""
    with db.queue_session() as session:
        tenant_id = session.scalar(select(Job.tenant_id).where(Job.id == job_id))
    if tenant_id is None:
        return None
    with db.unit_of_work(tenant_id) as session:
        job = session.scalar(select(Job).where(Job.id == job_id).with_for_update())
        assert job is not None
        return retry(session, job)


# --- what a worker does ------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    tenant_id: uuid.UUID
    job_id: uuid.UUID
    kind: str
    attempt: int


def claim(db: Database, worker_id: str, policy: QueuePolicy, kinds: frozenset[str] | None = None) -> Claim | None:
    """Lease the next due job of any tenant to ``worker_id``, or None if none is due."""
    now = utcnow()
    due = or_(
        (Job.status == JobStatus.QUEUED) & (Job.run_after <= now),
        # A lease that ran out: its worker died (or hangs); the job is due again.
        (Job.status == JobStatus.RUNNING) & (Job.leased_until < now),
    )
    stmt = select(Job).where(due).order_by(Job.run_after).limit(1).with_for_update(skip_locked=True)
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(kinds))
    with db.queue_session() as session:
        job = session.scalar(stmt)
        if job is None:
            return None
        if job.attempts >= job.max_attempts:
            # Leased max_attempts times and never finished: it keeps killing its workers.
            _mark_failed(job, job.last_error or "the worker running this job stopped before it finished")
            session.commit()
            return None
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.leased_by = worker_id
        job.leased_until = now + policy.lease
        session.commit()
        return Claim(job.tenant_id, job.id, job.kind, job.attempts)


def run_claimed(db: Database, claimed: Claim, worker_id: str, policy: QueuePolicy) -> JobStatus:
    """Run a leased job in its tenant's unit of work; record success, a retry or a failure."""
    handler = HANDLERS.get(claimed.kind)
    try:
        with db.unit_of_work(claimed.tenant_id, write=False) as session:
            job = session.scalar(select(Job).where(Job.id == claimed.job_id))
            if job is None or job.leased_by != worker_id or job.status is not JobStatus.RUNNING:
                return JobStatus.RUNNING  # no longer ours
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {claimed.kind!r} in this worker")
            run = JobRun(
                job=job,
                session=session,
                actor=_actor(session, job),
                progress=lambda done, total: _progress(db, claimed, worker_id, policy, done, total, session),
            )
            result = handler(run)
            finished = session.execute(
                update(Job)
                .where(Job.id == claimed.job_id, Job.leased_by == worker_id, Job.status == JobStatus.RUNNING)
                .values(
                    status=JobStatus.SUCCEEDED,
                    result=result,
                    finished_at=utcnow(),
                    leased_until=None,
                    last_error=None,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            if finished.rowcount != 1:
                # Our lease ran out and another worker took the job: undo our effects.
                raise _LeaseLost()
        return JobStatus.SUCCEEDED
    except _LeaseLost:
        log.warning("job %s: lease lost, its effects rolled back", claimed.job_id)
        return JobStatus.RUNNING
    except Exception as exc:  # the handler's failure: its effects are rolled back
        log.warning("job %s (%s) attempt %d failed: %s", claimed.job_id, claimed.kind, claimed.attempt, exc)
        return _record_failure(db, claimed, worker_id, policy, exc)


class _LeaseLost(Exception):
    pass


def _actor(session: TenantSession, job: Job) -> Principal | None:
    if job.actor_user_id is None:
        return None
    user = session.execute(
        select(User.id, User.email, User.name, User.role).where(User.id == job.actor_user_id)
    ).first()
    if user is None:
        return None
    return Principal(user_id=user.id, tenant_id=session.tenant_id, email=user.email, name=user.name, role=user.role)


def _progress(
    db: Database,
    claimed: Claim,
    worker_id: str,
    policy: QueuePolicy,
    done: int,
    total: int | None,
    job_session: TenantSession | None = None,
) -> None:
    """Progress in a short transaction of its own (visible while the job runs); renews the lease.

    On SQLite (WAL) a transaction that has read cannot write once another
    connection has committed (SQLITE_BUSY_SNAPSHOT, "database is locked"):
    the job's session, which has only read so far, ends its read transaction
    here, so its next statement starts after this progress and may still
    write. Progress is therefore reported only before the handler writes.
    """
    if job_session is not None and db.dialect == "sqlite":
        if job_session.new or job_session.dirty or job_session.deleted:
            raise RuntimeError("run.progress() after the job's session wrote: on SQLite it could never commit")
        job_session.commit()
    with db.unit_of_work(claimed.tenant_id) as session:
        session.execute(
            update(Job)
            .where(Job.id == claimed.job_id, Job.leased_by == worker_id)
            .values(progress_done=done, progress_total=total, leased_until=utcnow() + policy.lease)
            .execution_options(synchronize_session=False)
        )


def _record_failure(db: Database, claimed: Claim, worker_id: str, policy: QueuePolicy, exc: Exception) -> JobStatus:
    message = f"{type(exc).__name__}: {exc}"[: bounds.LAST_ERROR]
    with db.unit_of_work(claimed.tenant_id) as session:
        job = session.scalar(select(Job).where(Job.id == claimed.job_id).with_for_update())
        if job is None or job.leased_by != worker_id or job.status is not JobStatus.RUNNING:
            return JobStatus.RUNNING
        if isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts:
            _mark_failed(job, message)
        else:
            job.status = JobStatus.QUEUED
            job.last_error = message
            job.run_after = utcnow() + policy.backoff(job.attempts)
            job.leased_by = job.leased_until = None
        return job.status


def _mark_failed(job: Job, message: str) -> None:
    job.status = JobStatus.FAILED
    job.last_error = message
    job.finished_at = utcnow()
    job.leased_by = job.leased_until = None
