"""Users of a tenant: ADMIN only, emails unique across the service, the last ADMIN stays."""

from __future__ import annotations

import uuid

from fixtures.common import PASSWORD, assert_problem, unique_email
from nitida.users.models import Role


def test_admin_creates_lists_gets_and_updates_users(client, tenant):
    h = tenant.headers()
    email = unique_email("nueva")
    r = client.post(
        "/users", json={"email": email, "name": "Nubia Peñalosa", "password": PASSWORD, "role": "OPERADOR"}, headers=h
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["role"] == "OPERADOR" and created["status"] == "ACTIVE"
    assert "password" not in created and "passwordHash" not in created
    assert created["tenantId"] == str(tenant.id)
    listed = client.get("/users", headers=h).json()
    assert email in [u["email"] for u in listed] and len(listed) == 4
    assert client.get(f"/users/{created['id']}", headers=h).json()["name"] == "Nubia Peñalosa"
    r = client.patch(f"/users/{created['id']}", json={"name": "Nubia P.", "role": "CONSULTA"}, headers=h)
    assert r.status_code == 200 and r.json()["role"] == "CONSULTA" and r.json()["name"] == "Nubia P."
    assert client.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200


def test_password_is_stored_as_an_argon2_hash(database, tenant):
    from nitida.auth.service import find_login

    email = tenant.users[Role.ADMIN].email_lower
    with database.login_session(email) as s:  # on PostgreSQL, the one way to a hash
        stored = find_login(database, s, email).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_email_is_unique_across_tenants_case_insensitively(client, tenant, other_tenant):
    taken = other_tenant.users[Role.CONSULTA].email.upper()
    r = client.post(
        "/users", json={"email": taken, "name": "X", "password": PASSWORD, "role": "CONSULTA"}, headers=tenant.headers()
    )
    assert_problem(r, 400, field="email")


def test_user_input_is_validated(client, tenant):
    h = tenant.headers()
    bad = [
        ({"email": "not-an-email", "name": "X", "password": PASSWORD, "role": "ADMIN"}, "email"),
        ({"email": unique_email(), "name": "X", "password": "short", "role": "ADMIN"}, "password"),
        ({"email": unique_email(), "name": "X", "password": PASSWORD, "role": "JEFE"}, "role"),
        ({"email": unique_email(), "name": "", "password": PASSWORD, "role": "ADMIN"}, "name"),
        ({"email": unique_email(), "name": "X", "password": PASSWORD, "role": "ADMIN", "isRoot": True}, "isRoot"),
    ]
    for body, field in bad:
        assert_problem(client.post("/users", json=body, headers=h), 400, field=field)
    assert len(client.get("/users", headers=h).json()) == 3  # nothing was created


def test_only_admins_manage_users(client, tenant):
    target = tenant.users[Role.CONSULTA].id
    for role in (Role.OPERADOR, Role.CONSULTA):
        h = tenant.headers(role)
        assert_problem(client.get("/users", headers=h), 403)
        assert_problem(client.get(f"/users/{target}", headers=h), 403)
        assert_problem(client.patch(f"/users/{target}", json={"name": "x"}, headers=h), 403)
        body = {"email": unique_email(), "name": "X", "password": PASSWORD, "role": "ADMIN"}
        assert_problem(client.post("/users", json=body, headers=h), 403)


def test_last_active_admin_cannot_be_demoted_or_deactivated(client, tenant):
    h = tenant.headers()
    admin_id = tenant.users[Role.ADMIN].id
    for change in ({"role": "OPERADOR"}, {"status": "INACTIVE"}):
        body = assert_problem(client.patch(f"/users/{admin_id}", json=change, headers=h), 400)
        assert "last active ADMIN" in body["detail"]
    # With a second ADMIN, the first may step down.
    second = client.post(
        "/users", json={"email": unique_email(), "name": "Segunda", "password": PASSWORD, "role": "ADMIN"}, headers=h
    ).json()
    assert client.patch(f"/users/{admin_id}", json={"role": "OPERADOR"}, headers=h).status_code == 200
    h2 = {
        "Authorization": "Bearer "
        + client.post("/auth/login", json={"email": second["email"], "password": PASSWORD}).json()["accessToken"]
    }
    assert_problem(client.patch(f"/users/{second['id']}", json={"status": "INACTIVE"}, headers=h2), 400)


def test_another_tenants_user_is_404_like_a_missing_one(client, tenant, other_tenant):
    h = tenant.headers()
    foreign = other_tenant.users[Role.ADMIN].id
    for path in (f"/users/{foreign}", f"/users/{uuid.uuid4()}", "/users/not-a-uuid"):
        a = assert_problem(client.get(path, headers=h), 404)
        b = assert_problem(client.patch(path, json={"name": "Intruso"}, headers=h), 404)
        assert a["detail"] == b["detail"] == "User not found."
    # ... and a non-admin gets the same 404 (not 403) for it.
    assert_problem(client.get(f"/users/{foreign}", headers=tenant.headers(Role.CONSULTA)), 404)
    assert client.get(f"/users/{foreign}", headers=other_tenant.headers()).json()["name"] != "Intruso"


def test_an_email_that_lengthens_when_lower_cased_is_refused(client, tenant):
    email = "İ" * 130 + "@example.co"  # 141 characters, 271 once lower-cased
    body = {"email": email, "name": "X", "password": PASSWORD, "role": "CONSULTA"}
    r = client.post("/users", json=body, headers=tenant.headers())
    assert r.status_code == 400, r.text
