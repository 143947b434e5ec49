"""Issue 32, high: the back office's sign-in form keeps every defence of ``/auth/login`` — one login path
(auth.service.login) for both doors: the admission limit (503, no password checked), argon2 on the login
pool, the per-address throttle shared by both doors, and security events carrying the client's address."""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from fastapi.testclient import TestClient

from fixtures.common import PASSWORD, unique_email
from fixtures.web import sign_in
from nitida.core import security
from nitida.core.host_slots import HostSlots
from nitida.main import create_app
from nitida.users.models import Role


def _from_an_address_of_its_own(app) -> tuple[TestClient, TestClient]:
    """A browser and an API client at one random address: the throttle this test fills is its own, not that
    of every other test signing in from the test client's default address."""
    address = (str(ipaddress.IPv6Address((0x20010DB8 << 96) | random.getrandbits(64))), 50000)  # documentation range
    browser = TestClient(app, raise_server_exceptions=False, follow_redirects=False, client=address)
    return browser, TestClient(app, client=address)


def test_a_busy_login_pool_turns_the_page_away_with_503_in_spanish_and_checks_no_password(
    settings, database, monkeypatch
):
    app = create_app(settings.model_copy(update={"login_queue_seconds": 0.3}), database)
    slots: HostSlots = app.state.password_checks.host_slots
    held = [slots.try_acquire() for _ in range(slots.count)]  # every password slot busy elsewhere
    checks: list[tuple[Any, ...]] = []
    real = security.verify_password

    def counted_verify(*args: Any) -> Any:
        checks.append(args)
        return real(*args)

    monkeypatch.setattr("nitida.auth.service.verify_password", counted_verify)
    try:
        browser, _api = _from_an_address_of_its_own(app)
        with browser:
            busy = sign_in(browser, unique_email("x"), "adivina")
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
            assert "Hay muchos ingresos en este momento" in busy.text
            assert checks == []
            for fd in held:
                HostSlots.release(fd)
            held = []
            assert sign_in(browser, unique_email("x"), "adivina").status_code == 401
            assert len(checks) == 1
    finally:
        for fd in held:
            if fd is not None:
                HostSlots.release(fd)


def test_one_address_guessing_through_the_page_is_throttled_on_both_doors(settings, database, tenant):
    app = create_app(settings.model_copy(update={"login_max_failures_per_address": 4}), database)
    operador = tenant.users[Role.OPERADOR].email
    browser, api = _from_an_address_of_its_own(app)
    with browser, api:
        for _ in range(4):  # wrong guesses at other accounts, from one address: its limit
            assert sign_in(browser, unique_email("adivino"), "adivina").status_code == 401
        locked = sign_in(browser, unique_email("adivino"), "adivina")
        assert locked.status_code == 429 and "Demasiados intentos fallidos" in locked.text
        # The same address cannot now sign in, through the page or the API, even with a right password.
        assert sign_in(browser, operador, PASSWORD).status_code == 429
        assert api.post("/auth/login", json={"email": operador, "password": PASSWORD}).status_code == 429


def test_a_failed_sign_in_on_the_page_is_a_security_event_with_the_client_address(client, tenant):
    operador = tenant.users[Role.OPERADOR].email
    browser, _api = _from_an_address_of_its_own(client.app)
    assert sign_in(browser, operador, "no es la contraseña").status_code == 401
    assert sign_in(browser, operador, PASSWORD).status_code == 303
    events = client.get(
        "/security-events", params={"userId": str(tenant.users[Role.OPERADOR].id)}, headers=tenant.headers()
    ).json()
    kinds = {e["type"]: e for e in events}
    assert {"LOGIN_FAILED", "LOGIN_SUCCEEDED"} <= set(kinds)
    assert kinds["LOGIN_FAILED"]["clientAddress"] == kinds["LOGIN_SUCCEEDED"]["clientAddress"]
    assert kinds["LOGIN_FAILED"]["clientAddress"].startswith("2001:db8::")
