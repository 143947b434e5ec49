"""Login floods across worker processes (issue 14): at most
NITIDA_LOGIN_HOST_CONCURRENCY password checks at once on the whole host,
however many worker processes serve; a dead worker's slot is free again; a
login that cannot get a slot within its bound answers 503 having done nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fixtures.common import SECRET, assert_problem, unique_email
from nitida.core import security
from nitida.core import settings as settings_module
from nitida.core.cpu_pool import CpuPool, PoolSaturated
from nitida.core.host_slots import HostSlots
from nitida.core.settings import Settings
from nitida.main import create_app


class Overlap:
    """A fake hash that records how many run at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = self.most = self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return True


async def _check(pool: CpuPool, fn) -> bool:
    async with pool.admitted():
        return await pool.run(fn)


@pytest.mark.parametrize("bound", [1, 2])
def test_pools_sharing_the_slot_directory_never_hash_more_than_the_host_bound_at_once(tmp_path, bound):
    # Two pools = two worker processes' (each its own HostSlots on the same directory), 2 per process.
    pools = [CpuPool(2, 5.0, host_slots=HostSlots(tmp_path / "slots", bound)) for _ in range(2)]
    hash_ = Overlap(0.03)

    async def flood():
        return await asyncio.gather(*(_check(pools[i % 2], hash_) for i in range(8)))

    assert asyncio.run(flood()) == [True] * 8
    assert hash_.most == bound  # 4 without the host bound (2 per pool)


def test_worker_processes_never_hash_more_than_the_host_bound_at_once(tmp_path):
    """Three real processes, started together, each with 4 logins and 2 slots of its own."""
    script = textwrap.dedent(
        """
        import asyncio, sys, time
        from pathlib import Path
        from nitida.core.cpu_pool import CpuPool
        from nitida.core.host_slots import HostSlots

        directory, start, out = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
        pool = CpuPool(2, 10.0, host_slots=HostSlots(directory, 1))

        def hash_():
            began = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
            time.sleep(0.04)
            return began, time.monotonic()

        async def login():
            async with pool.admitted():
                return await pool.run(hash_)

        async def main():
            return await asyncio.gather(*(login() for _ in range(4)))

        time.sleep(max(0.0, start - time.monotonic()))
        with open(out, "w") as f:
            f.writelines(f"{a} {b}\\n" for a, b in asyncio.run(main()))
        """
    )
    (tmp_path / "slots").mkdir(mode=0o700)
    start = time.monotonic() + 1.5  # after every process has imported
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "slots"), str(start), str(tmp_path / f"{i}")])
        for i in range(3)
    ]
    assert [p.wait(30) for p in procs] == [0, 0, 0]
    intervals = [
        tuple(map(float, line.split()))
        for i in range(3)
        for line in (tmp_path / f"{i}").read_text().split("\n")
        if line
    ]
    assert len(intervals) == 12
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])  # an end sorts before a start
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    assert most == 1  # up to 6 without the host bound


def test_a_slot_held_by_a_killed_process_is_free_again(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from nitida.core.host_slots import HostSlots; "
            "assert HostSlots(Path(sys.argv[1]), 1).try_acquire() is not None; print('held', flush=True); "
            "time.sleep(60)",
            str(tmp_path / "slots"),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"held\n"
        slots = HostSlots(tmp_path / "slots", 1)
        assert slots.try_acquire() is None
    finally:
        holder.send_signal(signal.SIGKILL)  # no cleanup of its own can run
        holder.wait(10)
    fd = slots.try_acquire()
    assert fd is not None
    HostSlots.release(fd)


def test_past_the_deadline_admission_gives_up_having_hashed_nothing_and_holds_nothing(tmp_path):
    pool = CpuPool(2, 0.2, host_slots=HostSlots(tmp_path / "slots", 1))
    other_process = HostSlots(tmp_path / "slots", 1).try_acquire()
    assert other_process is not None
    hash_ = Overlap(0)

    async def attempt():
        t = time.monotonic()
        with pytest.raises(PoolSaturated) as busy:
            await _check(pool, hash_)
        return time.monotonic() - t, busy.value.retry_after

    waited, retry_after = asyncio.run(attempt())
    assert 0.2 <= waited < 1.0 and retry_after == 1 and hash_.calls == 0
    HostSlots.release(other_process)
    # Neither the process's slots nor the host's were kept by the refused logins.

    async def two_more():
        return await asyncio.wait_for(asyncio.gather(_check(pool, hash_), _check(pool, hash_)), 2)

    assert asyncio.run(two_more()) == [True, True]


def test_a_cancelled_login_keeps_its_slot_until_its_hash_ends(tmp_path):
    pool = CpuPool(1, 5.0, host_slots=HostSlots(tmp_path / "slots", 1))
    other = HostSlots(tmp_path / "slots", 1)
    hash_ = Overlap(0.3)

    async def cancel_midway():
        task = asyncio.create_task(_check(pool, hash_))
        await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.sleep(0.05)
        assert other.try_acquire() is None  # its thread still hashes: the slot is still taken
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_midway())
    fd = other.try_acquire()
    assert fd is not None and hash_.running == 0
    HostSlots.release(fd)


def test_the_slot_directory_must_be_private(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(RuntimeError, match="0700"):
        HostSlots(shared, 1)
    with pytest.raises(ValueError):
        HostSlots(tmp_path / "slots", 0)


def test_a_login_without_a_host_slot_within_its_bound_answers_503_and_checks_no_password(
    settings, database, monkeypatch
):
    app = create_app(settings.model_copy(update={"login_queue_seconds": 0.3}), database)
    slots: HostSlots = app.state.password_checks.host_slots
    held = [slots.try_acquire() for _ in range(slots.count)]  # other workers, busy hashing
    checks: list[tuple[Any, ...]] = []
    real = security.verify_password

    def counted_verify(*args: Any) -> Any:
        checks.append(args)
        return real(*args)

    monkeypatch.setattr("nitida.auth.service.verify_password", counted_verify)
    try:
        assert None not in held
        with TestClient(app) as c:
            busy = c.post("/auth/login", json={"email": unique_email("x"), "password": "guess"})
            assert_problem(busy, 503)
            assert busy.headers["Retry-After"] == "1"
            assert checks == []
            for fd in held:
                HostSlots.release(fd)
            held = []
            assert c.post("/auth/login", json={"email": unique_email("x"), "password": "guess"}).status_code == 401
            assert len(checks) == 1
    finally:
        for fd in held:
            if fd is not None:
                HostSlots.release(fd)


def test_the_host_bound_setting(monkeypatch):
    monkeypatch.setenv("NITIDA_LOGIN_HOST_CONCURRENCY", "3")
    assert Settings(secret_key=SECRET).login_host_concurrency == 3
    monkeypatch.delenv("NITIDA_LOGIN_HOST_CONCURRENCY")
    for bad in (0, -1):
        with pytest.raises(ValidationError, match="login_host_concurrency"):
            Settings(secret_key=SECRET, login_host_concurrency=bad)
    # Default: half the usable cores, never less than one.
    for cores, expected in ((1, 1), (2, 1), (8, 4)):
        monkeypatch.setattr(settings_module.os, "sched_getaffinity", lambda _pid, n=cores: set(range(n)), raising=False)
        assert Settings(secret_key=SECRET).login_host_concurrency == expected


def test_deployments_on_one_host_do_not_share_slots():
    from nitida.core.host_slots import default_directory

    a, b = default_directory("sqlite:///a.db"), default_directory("postgresql+psycopg://u:secret@h/db")
    assert a != b and a == default_directory("sqlite:///a.db")
    assert "secret" not in str(b) and str(os.getuid()) in b.name
