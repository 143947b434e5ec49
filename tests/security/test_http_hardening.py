"""HTTP-level hardening (issue 13, items 6 and 7): no redirect built from the
request's headers, served host names listed, headers that keep tokens and
personal data out of caches, and the docs page without a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from fixtures.common import PASSWORD, SECRET, assert_problem
from nitida.core.settings import Settings
from nitida.main import create_app
from nitida.users.models import Role


@pytest.mark.parametrize("path", ["/auth/login/", "/billing/customers/"])
def test_a_trailing_slash_is_never_redirected_to_the_host_header(client, path):
    for host in ("evil.example", "localhost"):
        r = client.post(path, json={"email": "a@b.co", "password": "x"}, headers={"Host": host}, follow_redirects=False)
        assert r.status_code in (400, 404), r.status_code  # never a 307/308
        assert "location" not in r.headers
        assert "evil.example" not in r.text


def test_an_unlisted_host_is_refused_with_a_problem(client):
    body = assert_problem(client.get("/openapi.json", headers={"Host": "evil.example"}), 400)
    assert "host" in body["detail"]
    for host in ("localhost", "127.0.0.1:8000", "testserver"):  # the defaults: tests and the demo
        assert client.get("/openapi.json", headers={"Host": host}).status_code == 200


def test_allowed_hosts_are_configurable():
    app = create_app(Settings(database_url="sqlite://", secret_key=SECRET, allowed_hosts="api.nitida.co, *.nitida.dev"))
    with TestClient(app) as c:
        assert c.get("/openapi.json", headers={"Host": "api.nitida.co"}).status_code == 200
        assert c.get("/openapi.json", headers={"Host": "demo.nitida.dev:443"}).status_code == 200
        assert c.get("/openapi.json", headers={"Host": "localhost"}).status_code == 400
        assert c.get("/openapi.json", headers={"Host": "nitida.dev.evil.example"}).status_code == 400
    anything = create_app(Settings(database_url="sqlite://", secret_key=SECRET, allowed_hosts="*"))
    with TestClient(anything) as c:
        assert c.get("/openapi.json", headers={"Host": "whatever.example"}).status_code == 200


def _assert_private(response):
    assert response.headers["cache-control"] == "no-store", response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_tokens_and_personal_data_are_never_cached(client, tenant):
    email = tenant.users[Role.ADMIN].email
    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200 and "accessToken" in login.json()
    _assert_private(login)
    headers = tenant.headers()
    for path in ("/auth/me", "/users", "/billing/customers"):
        r = client.get(path, headers=headers)
        assert r.status_code == 200
        _assert_private(r)
    _assert_private(client.get("/auth/me"))  # errors too
    _assert_private(client.post("/auth/login", json={"email": email, "password": "wrong password"}))


def test_the_docs_page_loads_nothing_from_outside(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "content-security-policy" not in page.headers  # a page: it sets its own, if any
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert not re.search(r"https?://", page.text.replace("http://testserver", ""))
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 1000, source
        assert asset.headers["x-content-type-options"] == "nosniff"


def test_the_docs_can_be_turned_off():
    app = create_app(Settings(database_url="sqlite://", secret_key=SECRET, docs=False))
    with TestClient(app) as c:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js"):
            assert c.get(path).status_code == 404, path


def test_pages_under_app_get_no_csp_from_the_api(client):
    r = client.get("/app/anything")
    # The back office sets its own policy (its scripts and styles from 'self'), not the API's deny-all one.
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
