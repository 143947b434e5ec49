"""A real `nitida worker` process killed with SIGKILL in the middle of a job:
the job runs again once its lease ends, and its effect happens once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from fixtures.common import SECRET
from nitida.jobs.models import Job, JobStatus

from .test_queue import FIRST_IN_LINE, add_job, drain, effects, job_row

pytestmark = pytest.mark.slow

TESTS_DIR = Path(__file__).resolve().parents[1]


def start_worker(database_url: str, tmp_path: Path, lease_seconds: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "NITIDA_DATABASE_URL": database_url,
        "NITIDA_SECRET_KEY": SECRET,
        "NITIDA_JOB_LEASE_SECONDS": str(lease_seconds),
        "NITIDA_JOB_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(TESTS_DIR),  # the test job kinds (fixtures.jobs)
    }
    code = "import fixtures.jobs; from nitida.cli import app; app(['worker'], prog_name='nitida')"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "ab"),
    )


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(database_url, database, tenant, tmp_path):
    job_id, marker = add_job(database, tenant.id, kind="tests.slow_record", payload={"seconds": 4}, **FIRST_IN_LINE)
    worker = start_worker(database_url, tmp_path, lease_seconds=2)
    try:
        deadline = time.monotonic() + 30
        while job_row(database, tenant.id, job_id).status is not JobStatus.RUNNING:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)  # mid-job: the handler is sleeping before its effect
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert effects(database, tenant.id, marker) == 0
    assert job_row(database, tenant.id, job_id).status is JobStatus.RUNNING  # the dead worker's lease
    time.sleep(2.5)  # the lease runs out
    drain(database, tenant.id)
    with database.tenant_session(tenant.id, write=False) as session:
        job = session.scalar(select(Job).where(Job.id == job_id))
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert effects(database, tenant.id, marker) == 1
