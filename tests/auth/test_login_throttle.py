"""Login abuse: failures for one email are counted in the database, so the lock
holds across worker processes (here: separate app instances with their own
engines and pools on the same database, and concurrent clients on a live server)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fixtures.common import PASSWORD, assert_problem, unique_email
from nitida.auth.models import LoginThrottle
from nitida.core.db import Database, utcnow
from nitida.main import create_app
from nitida.users.models import Role


def _login(c, email, password):
    return c.post("/auth/login", json={"email": email, "password": password})


def test_five_failures_lock_the_email_with_retry_after(client, tenant):
    email = tenant.users[Role.OPERADOR].email
    for _ in range(5):
        assert_problem(_login(client, email, "wrong password"), 401)
    locked = _login(client, email, PASSWORD)  # even the right password
    body = assert_problem(locked, 429)
    retry = int(locked.headers["Retry-After"])
    assert 0 < retry <= 15 * 60
    assert "password" not in body["detail"].lower() or "too many" in body["detail"].lower()
    # Another email is not affected; case and spaces do not dodge the lock.
    assert _login(client, tenant.users[Role.CONSULTA].email, PASSWORD).status_code == 200
    assert _login(client, "  " + email.upper() + " ", PASSWORD).status_code == 429


def test_unknown_emails_are_throttled_the_same_way(client):
    email = unique_email("nobody")
    codes = [_login(client, email, "x").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_the_lock_is_shared_by_separate_app_instances(settings, tenant):
    """Two 'workers': separate apps, engines and pools, one database."""
    email = tenant.users[Role.ADMIN].email
    dbs = [Database(settings.database_url, secret_key=settings.secret_key, pool_size=2) for _ in range(2)]
    try:
        with TestClient(create_app(settings, dbs[0])) as w1, TestClient(create_app(settings, dbs[1])) as w2:
            for i in range(5):
                assert _login(w1 if i % 2 else w2, email, "wrong").status_code == 401
            assert_problem(_login(w1, email, PASSWORD), 429)
            assert_problem(_login(w2, email, PASSWORD), 429)
    finally:
        for db in dbs:
            db.dispose()


def test_concurrent_failures_are_each_counted(live_url, tenant):
    email = tenant.users[Role.CONSULTA].email

    def fail(_):
        with httpx.Client(base_url=live_url, timeout=60) as c:
            return _login(c, email, "wrong").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(fail, range(10)))
    assert codes.count(401) == 5 and codes.count(429) == 5, codes


def test_the_lock_expires_and_success_clears_the_count(client, tenant, database):
    email = tenant.users[Role.OPERADOR].email
    for _ in range(5):
        _login(client, email, "wrong")
    assert _login(client, email, PASSWORD).status_code == 429
    with database.login_session(email.lower(), write=True) as s:  # the window passes
        past = utcnow() - timedelta(seconds=1)
        s.execute(
            update(LoginThrottle)
            .where(LoginThrottle.email_lower == email.lower())
            .values(locked_until=past, window_started_at=past - timedelta(hours=1))
        )
        s.commit()
    assert _login(client, email, PASSWORD).status_code == 200
    for _ in range(4):  # the count restarted after the success
        assert _login(client, email, "wrong").status_code == 401
    assert _login(client, email, PASSWORD).status_code == 200


@pytest.mark.slow
def test_the_lock_holds_across_the_worker_processes_of_a_real_server(database_url, tenant, tmp_path):
    # `nitida serve --workers 2` as production runs it: each attempt on a new
    # connection, so the kernel spreads them over both processes.
    import signal

    from fixtures.processes import free_port, start_service

    port = free_port()
    proc = start_service(database_url, port, tmp_path, workers=2)
    try:
        email = tenant.users[Role.CONSULTA].email
        statuses = []
        for _ in range(6):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                statuses.append(_login(c, email, "wrong password").status_code)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            locked = _login(c, email, PASSWORD)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert statuses == [401] * 5 + [429]
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
