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
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from nitida.core import bounds
from nitida.core.db import Database, TenantSession, utcnow
from nitida.core.errors import Conflict
from nitida.core.ids import get_or_404
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.jobs.models import Job, JobStatus
from nitida.jobs.registry import DECLARED, HANDLERS, JobRun, PermanentJobError
from nitida.users.models import User

log = logging.getLogger("nitida.jobs")


@dataclass(frozen=True)
class QueuePolicy:
    """How long a lease lasts and how retries back off (exponential, capped, with jitter)."""

    lease: timedelta = timedelta(minutes=5)
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueuePolicy:
        return cls(
            lease=timedelta(seconds=settings.job_lease_seconds),
            backoff_base=timedelta(seconds=settings.job_backoff_seconds),
            backoff_cap=timedelta(seconds=settings.job_backoff_cap_seconds),
        )

    def backoff(self, attempts: int) -> timedelta:
        # The exponent is bounded so a job allowed many attempts cannot overflow the delay.
        delay = min(self.backoff_cap, self.backoff_base * (2 ** min(max(0, attempts - 1), 30)))
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
    if kind not in DECLARED:
        raise ValueError(f"job kind {kind!r} is not declared (jobs.registry.declare)")
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
    job.leased_until = job.leased_by = job.finished_at = job.result = job.progress_total = None
    job.progress_done = 0
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


def claim(db: Database, worker_id: str, policy: QueuePolicy, *, only_tenant: uuid.UUID | None = None) -> Claim | None:
    """Lease the next due job of any tenant (or of ``only_tenant``) to ``worker_id``, or None if none is due."""
    now = utcnow()
    due = or_(
        (Job.status == JobStatus.QUEUED) & (Job.run_after <= now),
        # A lease that ran out: its worker died (or hangs); the job is due again.
        (Job.status == JobStatus.RUNNING) & (Job.leased_until < now),
    )
    # Only kinds this worker can run: during a rolling deploy an older worker
    # leaves a new kind to the workers that know it.
    stmt = (
        select(Job)
        .where(due, Job.kind.in_(sorted(HANDLERS)))
        .order_by(Job.run_after)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if only_tenant is not None:
        stmt = stmt.where(Job.tenant_id == only_tenant)
    with db.queue_session() as session:
        while True:
            job = session.scalar(stmt)
            if job is None:
                return None
            if job.attempts < job.max_attempts:
                break
            # Leased max_attempts times and never finished: it keeps killing its workers.
            _mark_failed(job, job.last_error or "the worker running this job stopped before it finished")
            session.flush()
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.leased_by = worker_id
        job.leased_until = now + policy.lease
        session.commit()
        return Claim(job.tenant_id, job.id, job.kind, job.attempts)


def run_claimed(
    db: Database, claimed: Claim, worker_id: str, policy: QueuePolicy, settings: Settings | None = None
) -> JobStatus:
    """Run a leased job in its tenant's unit of work; record success, a retry or a failure."""
    handler = HANDLERS.get(claimed.kind)
    heartbeat = _Heartbeat(db, claimed, worker_id, policy) if db.dialect == "postgresql" else None
    try:
        # write=True: on SQLite the job takes the write lock up front (a deferred
        # transaction that read first could not write once another connection
        # had committed), so it holds it for its whole run: keep network calls short.
        with db.unit_of_work(claimed.tenant_id, write=True) as session:
            job = session.scalar(select(Job).where(Job.id == claimed.job_id))
            if job is None or job.leased_by != worker_id or job.status is not JobStatus.RUNNING:
                return JobStatus.RUNNING  # no longer ours
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {claimed.kind!r} in this worker")
            run = JobRun(
                job=job,
                session=session,
                actor=_actor(session, job),
                progress=_progress_recorder(db, session, claimed, worker_id, policy),
                configured=settings,
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
            if finished.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
                # Our lease ran out and another worker took the job: undo our effects.
                raise _LeaseLost()
        return JobStatus.SUCCEEDED
    except _LeaseLost:
        log.warning("job %s: lease lost, its effects rolled back", claimed.job_id)
        return JobStatus.RUNNING
    except Exception as exc:  # the handler's failure: its effects are rolled back
        log.warning("job %s (%s) attempt %d failed: %s", claimed.job_id, claimed.kind, claimed.attempt, exc)
        return _record_failure(db, claimed, worker_id, policy, exc)
    finally:
        if heartbeat is not None:
            heartbeat.stop()


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


def _progress_recorder(
    db: Database, job_session: TenantSession, claimed: Claim, worker_id: str, policy: QueuePolicy
) -> Callable[[int, int | None], None]:
    """``run.progress(done, total)``. On PostgreSQL, a short transaction of its
    own, visible while the job runs. On SQLite the job's transaction holds the
    only write lock, so progress is written inside it and shows when the job ends."""

    def record(done: int, total: int | None) -> None:
        values: dict[str, Any] = {"progress_done": done, "progress_total": total}
        if db.dialect == "sqlite":
            _renew(job_session, claimed, worker_id, values)
            return
        with db.unit_of_work(claimed.tenant_id) as session:
            _renew(session, claimed, worker_id, {**values, "leased_until": utcnow() + policy.lease})

    return record


def _renew(session: TenantSession, claimed: Claim, worker_id: str, values: dict[str, Any]) -> None:
    session.execute(
        update(Job)
        .where(Job.id == claimed.job_id, Job.leased_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


class _Heartbeat:
    """Renews a running job's lease every third of it (PostgreSQL), so a slow
    job is never taken over by another worker while its own is still at it."""

    def __init__(self, db: Database, claimed: Claim, worker_id: str, policy: QueuePolicy) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(db, claimed, worker_id, policy), name=f"heartbeat-{claimed.job_id}", daemon=True
        )
        self._thread.start()

    def _beat(self, db: Database, claimed: Claim, worker_id: str, policy: QueuePolicy) -> None:
        while not self._stopped.wait(policy.lease.total_seconds() / 3):
            try:
                with db.unit_of_work(claimed.tenant_id) as session:
                    _renew(session, claimed, worker_id, {"leased_until": utcnow() + policy.lease})
            except Exception:  # the database is away: the next beat tries again
                log.exception("job %s: could not renew its lease", claimed.job_id)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)


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
