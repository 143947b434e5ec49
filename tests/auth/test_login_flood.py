"""Login floods (issue 13, item 1): password checks wait on a pool of their own
with a bounded wait (beyond it 503 + Retry-After) instead of holding the
threads every other request needs; failures are also throttled per client
address (through trusted proxies only)."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from fixtures.common import PASSWORD, assert_problem, unique_email
from fixtures.processes import free_port
from nitida.core import security
from nitida.main import create_app
from nitida.users.models import Role


def _random_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def _login(c, email, password=PASSWORD, **kw):
    return c.post("/auth/login", json={"email": email, "password": password}, **kw)


@pytest.fixture
def slow_argon2(monkeypatch):
    """Each password check takes 150 ms, as a real argon2 on a busy machine."""
    real = security._hasher

    class Slow:
        def verify(self, password_hash, password):
            time.sleep(0.15)
            return real.verify(password_hash, password)

        def hash(self, password):
            return real.hash(password)

    monkeypatch.setattr(security, "_hasher", Slow())


def _serve(app):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_a_login_flood_gets_503_beyond_the_bound_and_other_requests_keep_their_speed(
    settings, database, tenant, slow_argon2
):
    flood_settings = settings.model_copy(update={"login_concurrency": 1, "login_queue_seconds": 0.5})
    server, thread, url = _serve(create_app(flood_settings, database))
    try:
        headers = tenant.headers(Role.CONSULTA)
        with httpx.Client(base_url=url, timeout=30) as c:
            unloaded = []
            for _ in range(10):
                t = time.perf_counter()
                assert c.get("/auth/me", headers=headers).status_code == 200
                unloaded.append(time.perf_counter() - t)
        logins, during = [], []
        stop = threading.Event()

        def login_once(_):
            with httpx.Client(base_url=url, timeout=60) as lc:
                return _login(lc, unique_email("flood"), "wrong password")

        def reader():
            with httpx.Client(base_url=url, timeout=60) as rc:
                while not stop.is_set():
                    t = time.perf_counter()
                    assert rc.get("/auth/me", headers=headers).status_code == 200
                    during.append(time.perf_counter() - t)

        # 80 logins at once: far more than the 40 threads of the shared pool.
        with ThreadPoolExecutor(81) as pool:
            watcher = pool.submit(reader)
            logins = list(pool.map(login_once, range(80)))
            stop.set()
            watcher.result()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    codes = sorted({r.status_code for r in logins})
    busy = [r for r in logins if r.status_code == 503]
    assert set(codes) <= {401, 503} and busy, codes  # answered: wrong password, or busy
    for r in busy:
        assert_problem(r, 503)
        assert 1 <= int(r.headers["Retry-After"]) <= 5
    # One check at a time, 150 ms each, none waiting over 0.5 s: most of the 80 are turned away.
    assert sum(r.status_code == 401 for r in logins) <= 40
    during.sort()
    assert during, "no request was answered during the flood"
    p95 = during[int(len(during) * 0.95) - 1] if len(during) > 1 else during[0]
    assert p95 < max(0.5, 10 * max(unloaded)), (p95, max(unloaded))


def test_failed_logins_are_throttled_per_client_address(settings, database, tenant):
    limited = settings.model_copy(update={"login_max_failures_per_address": 5})
    address = _random_address()
    app = create_app(limited, database)
    with TestClient(app, client=(address, 40000)) as attacker, TestClient(app, client=(_random_address(), 1)) as other:
        for _ in range(5):  # five different e-mails: the per-e-mail throttle never sees two
            assert_problem(_login(attacker, unique_email("spray"), "guess"), 401)
        locked = _login(attacker, tenant.users[Role.OPERADOR].email)  # even a right password
        assert_problem(locked, 429)
        assert 0 < int(locked.headers["Retry-After"]) <= limited.login_window_seconds
        assert "address" in locked.json()["detail"]
        # Another address is not affected.
        assert _login(other, tenant.users[Role.OPERADOR].email).status_code == 200


def test_a_success_does_not_wipe_the_addresss_failures(settings, database, tenant):
    limited = settings.model_copy(update={"login_max_failures_per_address": 4})
    with TestClient(create_app(limited, database), client=(_random_address(), 1)) as c:
        for _ in range(3):
            assert _login(c, unique_email("spray"), "guess").status_code == 401
            assert _login(c, tenant.users[Role.CONSULTA].email).status_code == 200
        assert _login(c, unique_email("spray"), "guess").status_code == 401  # the 4th failure
        assert_problem(_login(c, unique_email("spray"), "guess"), 429)


def test_the_address_comes_from_the_proxy_header_only_behind_a_trusted_proxy(settings, database, tenant):
    proxied = settings.model_copy(
        update={
            "login_max_failures_per_address": 3,
            "trusted_proxy_header": "X-Forwarded-For",
            "trusted_proxies": "192.0.2.0/24",
        }
    )
    app = create_app(proxied, database)
    client_ip = _random_address()
    with TestClient(app, client=("192.0.2.7", 1)) as via_proxy:
        # The client may write anything on the left; the proxy appends the real peer.
        for i in range(3):
            fwd = {"X-Forwarded-For": f"203.0.113.{i}, {client_ip}"}
            assert _login(via_proxy, unique_email("p"), "guess", headers=fwd).status_code == 401
        assert_problem(_login(via_proxy, unique_email("p"), "guess", headers={"X-Forwarded-For": client_ip}), 429)
        # Another client behind the same proxy is not locked out.
        ok = _login(via_proxy, tenant.users[Role.ADMIN].email, headers={"X-Forwarded-For": _random_address()})
        assert ok.status_code == 200
    spoofer = _random_address()
    with TestClient(app, client=(spoofer, 1)) as direct:
        # Not a trusted proxy: its header is ignored, its own address is counted.
        for _ in range(3):
            fwd = {"X-Forwarded-For": _random_address()}
            assert _login(direct, unique_email("s"), "guess", headers=fwd).status_code == 401
        assert_problem(_login(direct, unique_email("s"), "guess", headers={"X-Forwarded-For": _random_address()}), 429)
    events = TestClient(app, client=("192.0.2.7", 1)).get(
        "/security-events", params={"type": "LOGIN_SUCCEEDED"}, headers=tenant.headers(Role.ADMIN)
    )
    assert events.json()[0]["clientAddress"] not in ("192.0.2.7", None)  # the client's, not the proxy's
