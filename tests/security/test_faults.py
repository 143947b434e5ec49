"""Faults: PostgreSQL going away under a running service, and the service
itself killed with SIGKILL in the middle of a burst of creates.

Uses its own throwaway PostgreSQL cluster, never the shared one."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from fixtures.common import PASSWORD, SECRET, migrate_as_owner, random_nit, unique_email
from fixtures.processes import free_port, start_service
from nitida.core.db import Database
from nitida.core.migrations import upgrade
from nitida.core.security import TokenClaims, create_access_token
from nitida.core.settings import Settings
from nitida.devtools.throwaway_pg import ThrowawayPostgres
from nitida.main import create_app
from nitida.tenants.schemas import TenantCreate
from nitida.tenants.service import create_tenant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_cluster():
    cluster = ThrowawayPostgres().start()
    migrate_as_owner(cluster.owner_url, cluster.app_url)
    yield cluster
    cluster.stop()


def _tenant(db: Database) -> tuple[str, dict[str, str]]:
    email = unique_email("fault")
    created = create_tenant(
        db, TenantCreate(name="Fallas S.A.S.", nit="900123456", admin_email=email, admin_password=PASSWORD)
    )
    token = create_access_token(
        TokenClaims(created.admin_user_id, created.tenant_id, 1), SECRET, __import__("datetime").timedelta(minutes=30)
    )
    return email, {"Authorization": f"Bearer {token}"}


def test_postgres_down_gives_503_and_the_service_recovers_without_restart(own_cluster):
    settings = Settings(database_url=own_cluster.app_url, secret_key=SECRET)
    db = Database(settings.database_url, secret_key=SECRET, pool_size=2)
    email, headers = _tenant(db)
    requests = [
        ("GET", "/auth/me", None, {}),
        ("GET", "/billing/customers", None, {}),
        ("POST", "/billing/customers", {"razonSocial": "Durante la caída", "nit": random_nit()}, {}),
        ("POST", "/auth/login", {"email": email, "password": PASSWORD}, {"auth": False}),
    ]
    try:
        with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:

            def call(method, path, body, opts):
                return client.request(method, path, json=body, headers={} if opts.get("auth") is False else headers)

            assert client.get("/auth/me", headers=headers).status_code == 200
            own_cluster.stop_server()
            try:
                for method, path, body, opts in requests:
                    started = time.monotonic()
                    response = call(method, path, body, opts)
                    assert time.monotonic() - started < 10
                    assert response.status_code == 503, (path, response.text)
                    assert response.headers["content-type"].startswith("application/problem+json")
                    problem = response.json()
                    assert problem["status"] == 503 and "database" in problem["detail"].lower()
                    assert problem["requestId"] and response.headers["Retry-After"]
                    assert "Traceback" not in response.text and "psycopg" not in response.text
            finally:
                own_cluster.start_server()
            # Back by itself: a dead connection invalidates the pool, which then reconnects.
            deadline = time.monotonic() + 20
            while call(*requests[0]).status_code != 200:
                assert time.monotonic() < deadline, "service did not recover"
                time.sleep(0.2)
            for method, path, body, opts in requests:
                if body and "nit" in body:
                    body = {**body, "nit": random_nit()}
                assert call(method, path, body, opts).status_code in (200, 201), path
    finally:
        db.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_sigkill_during_a_burst_loses_no_acknowledged_create(engine, own_cluster, tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}" if engine == "sqlite" else own_cluster.app_url
    db = Database(url, secret_key=SECRET, pool_size=2)
    if engine == "sqlite":
        upgrade(db.engine)
    _email, headers = _tenant(db)
    db.dispose()
    port = free_port()
    proc = start_service(url, port, tmp_path)
    acknowledged: list[str] = []
    stop = threading.Event()

    def burst():
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as c:
            while not stop.is_set():
                try:
                    r = c.post(
                        "/billing/customers", headers=headers, json={"razonSocial": "Ráfaga", "nit": random_nit()}
                    )
                except httpx.HTTPError:
                    continue  # the kill: no answer, so no promise was made
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])

    threads = [threading.Thread(target=burst) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # mid-burst: requests are in flight
        proc.wait(timeout=10)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        if proc.poll() is None:
            proc.kill()
    assert len(acknowledged) >= 30
    proc = start_service(url, port, tmp_path)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            missing = [i for i in acknowledged if c.get(f"/billing/customers/{i}", headers=headers).status_code != 200]
            listed = {row["id"] for row in c.get("/billing/customers", headers=headers).json()}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged creates lost"
    assert set(acknowledged) <= listed
