"""Login and bearer tokens: every fault is a 401, and the user as stored now decides."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import jwt
import pytest

from fixtures.common import PASSWORD, SECRET, assert_problem
from nitida.core.security import TokenClaims, create_access_token
from nitida.users.models import Role


def login(client, email, password=PASSWORD):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_login_returns_a_bearer_token_that_opens_me(client, tenant):
    admin = tenant.users[Role.ADMIN]
    r = login(client, admin.email.upper())  # emails compare case-insensitively
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tokenType"] == "bearer"
    assert body["expiresIn"] == 3600
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": str(admin.id),
        "email": admin.email,
        "name": admin.name,
        "role": "ADMIN",
        "tenantId": str(tenant.id),
    }


def test_wrong_email_and_wrong_password_get_the_same_401(client, tenant):
    wrong_password = login(client, tenant.users[Role.ADMIN].email, "not the password")
    wrong_email = login(client, f"nobody-{uuid.uuid4().hex}@example.co")
    a = assert_problem(wrong_password, 401)
    b = assert_problem(wrong_email, 401)
    assert a["detail"] == b["detail"] == "Invalid email or password."


def test_wrong_email_verifies_a_hash_like_a_wrong_password(client, tenant, monkeypatch):
    # Equal time comes from equal work: an unknown email still costs one argon2
    # verification (against a dummy hash). Timing itself is too noisy to assert here.
    from nitida.core import security

    calls = []
    real = security._hasher

    class CountingHasher:
        def verify(self, password_hash, password):
            calls.append(password_hash)
            return real.verify(password_hash, password)

    monkeypatch.setattr(security, "_hasher", CountingHasher())
    login(client, tenant.users[Role.OPERADOR].email, "wrong password")
    login(client, f"nobody-{uuid.uuid4().hex}@example.co", "wrong password")
    assert len(calls) == 2
    assert calls[1] == security._DUMMY_HASH


def test_inactive_user_cannot_log_in(client, tenant):
    operador = tenant.users[Role.OPERADOR]
    r = client.patch(f"/users/{operador.id}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert r.status_code == 200
    assert_problem(login(client, operador.email), 401)


def _forge(payload: dict, key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=alg)


def _unsigned(payload: dict) -> str:
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


@pytest.mark.parametrize(
    "fault",
    [
        "missing",
        "not-bearer",
        "malformed",
        "expired",
        "tampered",
        "alg-none",
        "other-key",
        "unknown-user",
        "no-version",
    ],
)
def test_every_token_fault_is_401(client, tenant, fault):
    user = tenant.users[Role.ADMIN]
    now = int(time.time())
    claims = {"sub": str(user.id), "tid": str(tenant.id), "ver": 1, "iat": now, "exp": now + 600}
    headers = {
        "missing": {},
        "not-bearer": {"Authorization": f"Basic {base64.b64encode(b'a:b').decode()}"},
        "malformed": {"Authorization": "Bearer not.a.jwt"},
        "expired": {"Authorization": f"Bearer {tenant.token(lifetime=timedelta(seconds=-5))}"},
        "tampered": {"Authorization": "Bearer " + _tamper(tenant.token())},
        "alg-none": {"Authorization": f"Bearer {_unsigned(claims)}"},
        "other-key": {"Authorization": f"Bearer {_forge(claims, key='another-secret-key-of-enough-length-000')}"},
        "unknown-user": {"Authorization": f"Bearer {_forge({**claims, 'sub': str(uuid.uuid4())})}"},
        "no-version": {"Authorization": f"Bearer {_forge({k: v for k, v in claims.items() if k != 'ver'})}"},
    }[fault]
    r = client.get("/auth/me", headers=headers)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["tid"] = str(uuid.uuid4())
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_token_of_another_tenants_claim_is_401(client, tenant, other_tenant):
    # A valid signature but a user id that is not in the claimed tenant.
    user = tenant.users[Role.ADMIN]
    token = create_access_token(
        TokenClaims(user_id=user.id, tenant_id=other_tenant.id, token_version=1), SECRET, timedelta(minutes=5)
    )
    assert_problem(client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_deactivation_takes_effect_on_the_next_request(client, tenant):
    headers = tenant.headers(Role.OPERADOR)
    body = {"razonSocial": "Droguería Peñalosa", "nit": "800197268"}
    customer = client.post("/billing/customers", json=body, headers=headers).json()
    # The whole list, a search page and an item: on PostgreSQL the last two read their
    # rows in the round trip that checks the caller (auth.dependencies.TenantContext.begin).
    reads = ["/billing/customers", "/billing/customers?search=penalosa&limit=5", f"/billing/customers/{customer['id']}"]
    for url in reads:
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and "Peñalosa" in r.text, (url, r.text)
    operador = tenant.users[Role.OPERADOR]
    client.patch(f"/users/{operador.id}", json={"status": "INACTIVE"}, headers=tenant.headers())
    for url in reads:
        r = client.get(url, headers=headers)
        assert_problem(r, 401)
        assert "Peñalosa" not in r.text
    # Reactivating does not revive tokens issued before the deactivation.
    client.patch(f"/users/{operador.id}", json={"status": "ACTIVE"}, headers=tenant.headers())
    assert_problem(client.get("/billing/customers", headers=headers), 401)
    assert login(client, operador.email).status_code == 200


def test_role_change_takes_effect_on_the_next_request(client, tenant):
    headers = tenant.headers(Role.OPERADOR)
    body = {"razonSocial": "Ferretería Peñalosa", "nit": "800197268"}
    assert client.post("/billing/customers", json=body, headers=headers).status_code == 201
    operador = tenant.users[Role.OPERADOR]
    client.patch(f"/users/{operador.id}", json={"role": "CONSULTA"}, headers=tenant.headers())
    body["nit"] = "900123456"
    assert_problem(client.post("/billing/customers", json=body, headers=headers), 403)
    assert client.get("/auth/me", headers=headers).json()["role"] == "CONSULTA"


def test_password_change_revokes_outstanding_tokens(client, tenant):
    headers = tenant.headers(Role.CONSULTA)
    consulta = tenant.users[Role.CONSULTA]
    r = client.patch(f"/users/{consulta.id}", json={"password": "a brand new password"}, headers=tenant.headers())
    assert r.status_code == 200
    assert_problem(client.get("/auth/me", headers=headers), 401)
    assert login(client, consulta.email, "a brand new password").status_code == 200
    assert_problem(login(client, consulta.email), 401)


def test_login_validates_its_body(client):
    assert_problem(client.post("/auth/login", json={"email": "a@b.co"}), 400, field="password")
    assert_problem(client.post("/auth/login", json={"email": "a@b.co", "password": "x", "otp": 1}), 400, field="otp")


def test_an_email_that_lengthens_when_lower_cased_is_a_plain_401(client):
    # "İ".lower() is two characters: 200 of them exceed any stored email.
    assert_problem(client.post("/auth/login", json={"email": "İ" * 200, "password": "x"}), 401)


def test_password_hashing_runs_at_most_a_few_at_a_time(monkeypatch):
    # argon2 takes 64 MiB per hash: concurrent logins must queue, not pile up.
    import threading
    import time as _time

    from nitida.core import security

    running, peak, lock = 0, 0, threading.Lock()
    real = security._hasher

    class SlowHasher:
        def verify(self, password_hash, password):
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            _time.sleep(0.05)
            with lock:
                running -= 1
            return real.verify(password_hash, password)

    monkeypatch.setattr(security, "_hasher", SlowHasher())
    threads = [threading.Thread(target=security.verify_password, args=(None, "x")) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == security.ARGON2_CONCURRENCY
