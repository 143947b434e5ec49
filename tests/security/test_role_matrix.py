"""Role matrix: every served operation × every kind of caller, against the
access rules each domain declares (read through tests/fixtures/role_matrix.py).

Callers: ADMIN, OPERADOR, CONSULTA, no token, an expired token, the token of
a user deactivated after it was issued, and the token of an ADMIN lowered to
CONSULTA after it was issued. An allowed caller gets a 2xx or a validation
4xx (never 401/403); any other valid caller 403; no token, expired token and
deactivated user 401; the lowered user is treated by its role as it is now.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fixtures.api_walker import ApiWalker, served_operations
from fixtures.common import PASSWORD, unique_email
from fixtures.role_matrix import SEED_BODIES, allowed_roles, declared_roles, is_listed
from nitida.users.models import Role

OPERATIONS = served_operations()


def test_every_served_operation_declares_who_may_call_it():
    missing = [f"{m} {p}" for m, p in OPERATIONS if not is_listed(m, p)]
    assert not missing, (
        f"guard these operations with their domain's access rules (auth.dependencies.allowed): {missing}"
    )
    # Every guarded route is in the served document, and the table is not trivially empty.
    assert set(declared_roles()) <= set(OPERATIONS)
    assert sum(roles is None for roles in declared_roles().values()) == 1  # only login is public


@pytest.fixture
def callers(client, tenant):
    """Headers per caller kind, for one seeded tenant."""
    admin = {"Authorization": f"Bearer {tenant.token(Role.ADMIN)}"}
    made = {}
    for kind in ("deactivated", "lowered"):
        response = client.post(
            "/users",
            headers=admin,
            json={"email": unique_email(kind), "name": kind, "password": PASSWORD, "role": "ADMIN"},
        )
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        login = client.post("/auth/login", json={"email": response.json()["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        made[kind] = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        change = {"status": "INACTIVE"} if kind == "deactivated" else {"role": "CONSULTA"}
        assert client.patch(f"/users/{user_id}", headers=admin, json=change).status_code == 200
    return {
        "no token": {},
        "expired": {"Authorization": f"Bearer {tenant.token(Role.ADMIN, lifetime=timedelta(seconds=-5))}"},
        "deactivated": made["deactivated"],
        "lowered": made["lowered"],
        "CONSULTA": tenant.headers(Role.CONSULTA),
        "OPERADOR": tenant.headers(Role.OPERADOR),
        "ADMIN": tenant.headers(Role.ADMIN),
    }


def _expected(roles, caller: str) -> str:
    """'allowed', or the status the caller must get."""
    if roles is None:  # PUBLIC: a token, good or bad, changes nothing
        return "allowed"
    if caller in ("no token", "expired", "deactivated"):
        return "401"
    role = Role.CONSULTA if caller == "lowered" else Role(caller)
    return "allowed" if role in roles else "403"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_role_matrix(method, path, client, tenant, callers):
    roles = allowed_roles(method, path)
    if not is_listed(method, path):
        pytest.fail(f"{method} {path} is neither guarded by an access rule nor public")
    walker = ApiWalker(client, tenant, SEED_BODIES)
    walker.seed(customers=1)
    failures = []
    for caller, headers in callers.items():  # ordered: callers that must fail come first
        walker._first_ids.clear()
        target = walker.fill(path)
        assert target is not None, f"no ids for {path}; seeding: {getattr(walker, 'seed_failures', {})}"
        response = client.request(method, target, headers=headers, json=walker.body_for(method, path))
        expected = _expected(roles, caller)
        got = response.status_code
        if expected == "allowed":
            ok = got < 300 or (400 <= got < 500 and got not in (401, 403))
        else:
            ok = got == int(expected)
        if not ok:
            failures.append(f"{caller}: expected {expected}, got {got} {response.text[:200]}")
        if got < 300 and method == "DELETE":
            walker.seed(customers=1)  # keep something to aim the next caller at
    assert not failures, f"{method} {path}\n" + "\n".join(failures)
