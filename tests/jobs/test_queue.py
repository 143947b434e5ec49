"""The job queue: enqueued with the change that needs it, run at least once,
its effect committed once, retried with backoff, FAILED and retried by an ADMIN."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from fixtures import jobs as test_jobs
from fixtures.common import SECRET, assert_problem
from nitida.audit.models import AuditEvent
from nitida.core.db import utcnow
from nitida.core.settings import Settings
from nitida.jobs.models import Job, JobStatus
from nitida.jobs.service import QueuePolicy, claim, enqueue, run_claimed
from nitida.jobs.worker import Worker
from nitida.main import create_app
from nitida.users.models import Role

FAST = QueuePolicy(lease=timedelta(seconds=30), backoff_base=timedelta(0), backoff_cap=timedelta(0))


def effects(database, tenant_id, marker: uuid.UUID) -> int:
    with database.tenant_session(tenant_id, write=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == test_jobs.ENTITY, AuditEvent.entity_id == marker)
        )


def job_row(database, tenant_id, job_id) -> Job:
    with database.tenant_session(tenant_id, write=False) as session:
        return session.scalar(select(Job).where(Job.id == job_id))


def add_job(database, tenant_id, kind="tests.record", **kwargs) -> tuple[uuid.UUID, uuid.UUID]:
    marker = uuid.uuid4()
    with database.unit_of_work(tenant_id) as session:
        job = enqueue(session, kind, {"marker": str(marker), **kwargs.pop("payload", {})}, **kwargs)
    return job.id, marker


# A job due before any other test's: a worker that serves every tenant (SQLite's in-process
# worker, `nitida worker`) claims the oldest due first, and the tests share one database,
# where other tests leave jobs that fail and are retried.
FIRST_IN_LINE = {"run_after": utcnow() - timedelta(days=3650)}


def drain(database, tenant_id, policy=FAST) -> None:
    """Run the tenant's due jobs until none is due (tests share one database)."""
    Worker(database, policy=policy, name=f"test-{uuid.uuid4().hex[:6]}", only_tenant=tenant_id).run_until_idle()


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(database, tenant):
    ran = []
    with pytest.raises(RuntimeError), database.unit_of_work(tenant.id) as session:
        job = enqueue(session, "tests.record", {"marker": str(uuid.uuid4())})
        session.after_commit(lambda: ran.append("hook"))
        job_id = job.id
        raise RuntimeError("the change failed")
    assert job_row(database, tenant.id, job_id) is None
    assert ran == []  # no after-commit hook of a rolled-back transaction runs


def test_after_commit_hooks_run_once_the_transaction_is_durable(database, tenant):
    seen = []
    with database.unit_of_work(tenant.id) as session:
        job = enqueue(session, "tests.record", {"marker": str(uuid.uuid4())})
        # The hook sees the committed job from another session.
        session.after_commit(lambda: seen.append(job_row(database, tenant.id, job.id).status))
        assert seen == []
    assert seen == [JobStatus.QUEUED]


def test_a_job_runs_and_its_effect_commits_with_its_success(database, tenant):
    job_id, marker = add_job(database, tenant.id, actor=None)
    drain(database, tenant.id)
    job = job_row(database, tenant.id, job_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 1, {"marker": str(marker)})
    assert job.finished_at is not None and job.leased_until is None
    assert effects(database, tenant.id, marker) == 1
    drain(database, tenant.id)  # a finished job never runs again
    assert effects(database, tenant.id, marker) == 1


def test_unknown_kinds_are_refused_at_enqueue(database, tenant):
    with pytest.raises(ValueError, match="not declared"), database.unit_of_work(tenant.id) as session:
        enqueue(session, "tests.no-such-kind")


def test_a_failing_job_backs_off_then_ends_failed_with_its_last_error(database, tenant):
    job_id, _ = add_job(database, tenant.id, kind="tests.fail", max_attempts=3)
    slow = QueuePolicy(lease=timedelta(seconds=30), backoff_base=timedelta(hours=1), backoff_cap=timedelta(hours=2))
    drain(database, tenant.id, slow)
    job = job_row(database, tenant.id, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.last_error == "RuntimeError: failure number 1"
    # Backed off by about the base delay (jitter takes at most 20% off).
    assert timedelta(minutes=47) < job.run_after - utcnow() <= timedelta(hours=1)
    for _attempt in (2, 3):
        with database.unit_of_work(tenant.id) as session:  # time passes
            session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
        drain(database, tenant.id, slow)
    job = job_row(database, tenant.id, job_id)
    assert (job.status, job.attempts, job.last_error) == (JobStatus.FAILED, 3, "RuntimeError: failure number 3")


def test_backoff_is_exponential_and_capped():
    policy = QueuePolicy(backoff_base=timedelta(seconds=10), backoff_cap=timedelta(seconds=60))
    delays = [policy.backoff(n) for n in (1, 2, 3, 4, 5)]
    assert [round(d.total_seconds()) <= limit for d, limit in zip(delays, (10, 20, 40, 60, 60))] == [True] * 5
    assert [d.total_seconds() >= 0.8 * limit for d, limit in zip(delays, (10, 20, 40, 60, 60))] == [True] * 5


def test_failed_jobs_are_listed_for_the_admin_and_can_be_retried(client, database, tenant, other_tenant):
    job_id, _ = add_job(database, tenant.id, kind="tests.fail", max_attempts=1)
    drain(database, tenant.id)
    admin = tenant.headers(Role.ADMIN)
    listed = client.get("/jobs", params={"status": "FAILED"}, headers=admin)
    assert listed.status_code == 200
    mine = [j for j in listed.json() if j["id"] == str(job_id)]
    assert mine and mine[0]["lastError"] == "RuntimeError: failure number 1" and mine[0]["status"] == "FAILED"
    assert all(j["status"] == "FAILED" for j in listed.json())
    assert_problem(client.get("/jobs", headers=tenant.headers(Role.OPERADOR)), 403)
    assert_problem(client.post(f"/jobs/{job_id}/retry", headers=other_tenant.headers(Role.ADMIN)), 404)

    retried = client.post(f"/jobs/{job_id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("QUEUED", 0)
    assert_problem(client.post(f"/jobs/{job_id}/retry", headers=admin), 409)  # only FAILED jobs


def test_a_job_whose_worker_vanished_runs_again_once_its_lease_ends(database, tenant):
    job_id, marker = add_job(database, tenant.id)
    short = QueuePolicy(lease=timedelta(seconds=-1))  # leases that are already over
    lost = claim(database, "worker-that-died", short, only_tenant=tenant.id)
    assert lost is not None and job_row(database, tenant.id, job_id).status is JobStatus.RUNNING
    drain(database, tenant.id)
    job = job_row(database, tenant.id, job_id)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert effects(database, tenant.id, marker) == 1
    # The old worker waking up finds the job is no longer its own: nothing happens twice.
    assert run_claimed(database, lost, "worker-that-died", FAST) is JobStatus.RUNNING
    assert effects(database, tenant.id, marker) == 1


def test_a_leased_job_is_not_claimed_by_another_worker(database, tenant):
    job_id, marker = add_job(database, tenant.id)
    held = claim(database, "worker-a", FAST, only_tenant=tenant.id)
    assert held is not None and held.job_id == job_id
    assert claim(database, "worker-b", FAST, only_tenant=tenant.id) is None
    assert run_claimed(database, held, "worker-a", FAST) is JobStatus.SUCCEEDED
    assert effects(database, tenant.id, marker) == 1


@pytest.mark.postgres_only
def test_two_workers_share_the_queue_and_never_run_one_job_twice(database, tenant):
    jobs = [add_job(database, tenant.id) for _ in range(30)]
    workers = [Worker(database, policy=FAST, name=f"w{i}", only_tenant=tenant.id) for i in range(2)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for job_id, marker in jobs:
        job = job_row(database, tenant.id, job_id)
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        assert effects(database, tenant.id, marker) == 1


@pytest.mark.sqlite_only  # the in-process worker is SQLite's; PostgreSQL runs `nitida worker`
def test_sqlite_serve_runs_jobs_in_process(database_url, database, tenant):
    job_id, marker = add_job(database, tenant.id, **FIRST_IN_LINE)
    settings = Settings(database_url=database_url, secret_key=SECRET, inprocess_worker=True, job_poll_seconds=0.05)
    with TestClient(create_app(settings, database)):
        deadline = utcnow() + timedelta(seconds=20)
        while job_row(database, tenant.id, job_id).status is not JobStatus.SUCCEEDED and utcnow() < deadline:
            threading.Event().wait(0.05)
    assert job_row(database, tenant.id, job_id).status is JobStatus.SUCCEEDED
    assert effects(database, tenant.id, marker) == 1


def test_after_commit_hooks_wait_for_the_outer_commit_and_die_with_their_savepoint(database, tenant):
    ran = []
    with database.unit_of_work(tenant.id) as session:
        session.after_commit(lambda: ran.append("outer"))
        with session.begin_nested():  # released: not yet durable
            session.after_commit(lambda: ran.append("released savepoint"))
        assert ran == []
        savepoint = session.begin_nested()
        session.after_commit(lambda: ran.append("rolled-back savepoint"))
        with session.begin_nested():
            session.after_commit(lambda: ran.append("inside the rolled-back savepoint"))
        savepoint.rollback()
        assert ran == []
    assert ran == ["outer", "released savepoint"]


def test_progress_is_recorded_on_both_engines(database, tenant):
    job_id, marker = add_job(database, tenant.id, kind="tests.progress")
    drain(database, tenant.id)
    job = job_row(database, tenant.id, job_id)
    assert (job.status, job.progress_done, job.progress_total) == (JobStatus.SUCCEEDED, 2, 2)
    assert effects(database, tenant.id, marker) == 1


def test_a_job_running_beside_committed_requests_still_commits(database, tenant, client):
    # SQLite: the job's transaction must hold the write lock from its start, or a
    # request committing meanwhile makes its first write fail ("database is locked").
    job_id, marker = add_job(database, tenant.id, kind="tests.slow_record", payload={"seconds": 1})
    worker = threading.Thread(target=drain, args=(database, tenant.id))
    worker.start()
    created = client.post(
        "/billing/customers", headers=tenant.headers(Role.ADMIN), json={"razonSocial": "Durante", "nit": "900373914"}
    )
    worker.join(timeout=60)
    assert created.status_code == 201
    assert job_row(database, tenant.id, job_id).status is JobStatus.SUCCEEDED
    assert effects(database, tenant.id, marker) == 1


@pytest.mark.slow
@pytest.mark.postgres_only
def test_a_job_slower_than_its_lease_is_not_taken_over_while_it_runs(database, tenant):
    job_id, marker = add_job(database, tenant.id, kind="tests.slow_record", payload={"seconds": 6})
    short = QueuePolicy(lease=timedelta(seconds=3), backoff_base=timedelta(0))
    first = Worker(database, policy=short, name="slow-one", only_tenant=tenant.id)
    thread = threading.Thread(target=first.run_once)
    thread.start()
    while job_row(database, tenant.id, job_id).leased_by != "slow-one":  # let the first worker claim it
        threading.Event().wait(0.05)
    taken = []
    while thread.is_alive():  # the heartbeat renews the lease every second
        stolen = claim(database, "thief", short, only_tenant=tenant.id)
        if stolen is not None:
            taken.append(stolen)
        threading.Event().wait(0.1)
    thread.join()
    assert taken == []
    assert (job_row(database, tenant.id, job_id).status, effects(database, tenant.id, marker)) == (
        JobStatus.SUCCEEDED,
        1,
    )


def test_a_job_allowed_many_attempts_backs_off_without_overflowing():
    policy = QueuePolicy(backoff_base=timedelta(seconds=5), backoff_cap=timedelta(hours=1))
    assert policy.backoff(1000) <= timedelta(hours=1)


def test_an_exhausted_job_does_not_stop_the_drain_and_a_retry_starts_afresh(database, tenant):
    dead_id, _ = add_job(database, tenant.id, kind="tests.progress", max_attempts=1)
    with database.unit_of_work(tenant.id) as session:  # its only attempt died with its worker
        session.execute(
            update(Job)
            .where(Job.id == dead_id)
            .values(status=JobStatus.RUNNING, attempts=1, leased_until=utcnow() - timedelta(seconds=1), progress_done=7)
        )
    live_id, marker = add_job(database, tenant.id)
    drain(database, tenant.id)
    assert job_row(database, tenant.id, dead_id).status is JobStatus.FAILED
    assert job_row(database, tenant.id, live_id).status is JobStatus.SUCCEEDED
    from nitida.jobs.service import retry

    with database.unit_of_work(tenant.id) as session:
        retried = retry(session, session.scalar(select(Job).where(Job.id == dead_id)))
        assert (retried.attempts, retried.progress_done, retried.result) == (0, 0, None)


def test_every_declared_job_kind_has_a_handler_and_a_worker_refuses_to_start_without_one(database):
    """Kinds are enqueued by their declared name; the handlers' modules (nitida.handlers) cover every one, and a
    worker started where one is missing says which instead of leaving its jobs queued for ever."""
    import nitida.handlers  # noqa: F401 - what `nitida worker` and the service import
    from nitida.jobs import registry
    from nitida.jobs.worker import Worker

    assert registry.missing_handlers() == set()
    assert {"delivery.send", "delivery.poll", "delivery.mail", "customers.import"} <= registry.DECLARED
    orphan = registry.declare("tests.orphan-kind")
    try:
        with pytest.raises(RuntimeError, match="tests.orphan-kind"):
            Worker(database)
        with pytest.raises(ValueError, match="not declared"):
            registry.handler("tests.never-declared")
    finally:
        registry.DECLARED.discard(orphan)
