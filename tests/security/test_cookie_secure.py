"""Issue 32, low: one setting decides who is trusted. Whether the session cookie is ``Secure`` follows
NITIDA_TRUSTED_PROXIES (as the client's address does), never a forwarded header from anyone else; with
NITIDA_ENV=production it is always Secure, and the service refuses to start with the development key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fixtures.common import PASSWORD, SECRET
from fixtures.web import csrf_of
from nitida.core import settings as settings_module
from nitida.core.settings import Settings
from nitida.main import create_app
from nitida.users.models import Role
from nitida.web.pages_auth import LOGIN_CSRF_COOKIE

PROXY = "10.20.30.40"


def _session_cookie(app, tenant, *, peer: str, forwarded_proto: str | None) -> str:
    """The Set-Cookie of the session a sign-in opens (the sign-in form's own cookie follows the same rule;
    it is handed back by hand, as a test client over plain HTTP keeps a Secure cookie to itself)."""
    browser = TestClient(app, follow_redirects=False, client=(peer, 40000))
    headers = {"X-Forwarded-Proto": forwarded_proto} if forwarded_proto else {}
    form = browser.get("/app/ingresar", headers=headers)
    [login_cookie] = [c for c in form.headers.get_list("set-cookie") if c.startswith(LOGIN_CSRF_COOKIE)]
    browser.cookies.set(LOGIN_CSRF_COOKIE, login_cookie.split(";")[0].split("=", 1)[1], path="/app/ingresar")
    signed = browser.post(
        "/app/ingresar",
        data={"correo": tenant.users[Role.CONSULTA].email, "contrasena": PASSWORD, "csrf_token": csrf_of(form.text)},
        headers=headers,
    )
    assert signed.status_code == 303, signed.text
    [cookie] = [c for c in signed.headers.get_list("set-cookie") if c.startswith("nitida_sesion=")]
    assert ("Secure" in cookie) == ("Secure" in login_cookie)
    return cookie


def test_a_forwarded_https_counts_only_from_a_trusted_proxy(settings, database, tenant):
    app = create_app(settings.model_copy(update={"trusted_proxies": PROXY}), database)
    assert "Secure" in _session_cookie(app, tenant, peer=PROXY, forwarded_proto="https")
    assert "Secure" not in _session_cookie(app, tenant, peer="203.0.113.9", forwarded_proto="https")
    assert "Secure" not in _session_cookie(app, tenant, peer=PROXY, forwarded_proto=None)


def test_in_production_the_cookie_is_always_secure(settings, database, tenant):
    app = create_app(settings.model_copy(update={"env": "production"}), database)
    assert "Secure" in _session_cookie(app, tenant, peer="203.0.113.9", forwarded_proto=None)


def test_production_refuses_to_start_with_the_development_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings_module, "_DEV_SECRET_FILE", tmp_path / ".nitida_secret_key")
    development = Settings(database_url=f"sqlite:///{tmp_path}/n.db")  # writes the generated key
    with pytest.raises(ValidationError, match="NITIDA_ENV=production needs its own NITIDA_SECRET_KEY"):
        Settings(database_url=f"sqlite:///{tmp_path}/n.db", env="production")
    with pytest.raises(ValidationError, match="NITIDA_ENV=production needs its own NITIDA_SECRET_KEY"):
        Settings(database_url=f"sqlite:///{tmp_path}/n.db", env="production", secret_key=development.secret_key)
    assert Settings(database_url=f"sqlite:///{tmp_path}/n.db", env="production", secret_key=SECRET).env == "production"
