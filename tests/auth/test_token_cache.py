"""Verified tokens are kept briefly (core.security): the cache never accepts
what verifying again would refuse, and it stays bounded."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest

from fixtures.common import SECRET, assert_problem
from nitida.core import security
from nitida.core.security import TokenClaims, create_access_token, decode_access_token
from nitida.users.models import Role


def _claims() -> TokenClaims:
    return TokenClaims(user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), token_version=1)


def test_a_cached_token_stops_at_its_expiry():
    claims = _claims()
    token = create_access_token(claims, SECRET, timedelta(seconds=2))
    assert decode_access_token(token, SECRET) == claims  # verified, now cached
    assert decode_access_token(token, SECRET) == claims  # from the cache
    time.sleep(2.1)  # exp is whole seconds: past it whatever the fraction at minting
    assert decode_access_token(token, SECRET) is None


def test_a_cached_token_is_verified_again_after_the_cache_period(monkeypatch):
    claims = _claims()
    token = create_access_token(claims, SECRET, timedelta(hours=1))
    assert decode_access_token(token, SECRET) == claims
    calls: list[int] = []
    real_decode = security.jwt.decode

    def counted_decode(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(security.jwt, "decode", counted_decode)
    assert decode_access_token(token, SECRET) == claims
    assert calls == []  # cached
    later = time.time() + security.VERIFIED_TOKENS_SECONDS + 1
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert decode_access_token(token, SECRET) == claims
    assert calls == [1]  # verified again


def test_a_token_cached_under_one_key_is_refused_under_another():
    token = create_access_token(_claims(), SECRET, timedelta(minutes=5))
    assert decode_access_token(token, SECRET) is not None
    assert decode_access_token(token, SECRET + "-rotated") is None


def test_refused_tokens_are_not_cached_and_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(security, "VERIFIED_TOKENS_MAX", 8)
    assert decode_access_token(create_access_token(_claims(), SECRET, timedelta(seconds=-5)), SECRET) is None
    assert decode_access_token("not-a-token", SECRET) is None
    tokens = [create_access_token(_claims(), SECRET, timedelta(minutes=5)) for _ in range(20)]
    for token in tokens:
        assert decode_access_token(token, SECRET) is not None
    assert len(security._verified) <= 8
    assert all((SECRET, t) not in security._verified for t in tokens[:12])  # least recently used out


@pytest.mark.parametrize("change", ["deactivate", "password"])
def test_a_cached_token_is_still_revoked_at_once(client, tenant, change):
    headers = tenant.headers(Role.OPERADOR)
    assert client.get("/auth/me", headers=headers).status_code == 200  # the token is now cached
    user = tenant.users[Role.OPERADOR]
    admin = tenant.headers(Role.ADMIN)
    body = {"status": "INACTIVE"} if change == "deactivate" else {"password": "a brand new password"}
    r = client.patch(f"/users/{user.id}", headers=admin, json=body)
    assert r.status_code == 200, r.text
    assert_problem(client.get("/auth/me", headers=headers), 401)
