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


# --- passwords (issue 13 item 8: NIST SP 800-63B) ----------------------------------------------


def test_weak_passwords_are_refused_saying_why(client, tenant):
    from nitida.core.passwords import password_problem

    h = tenant.headers()
    email = unique_email("clave")
    for password, reason in [
        ("password", "at least 12 characters"),
        ("12345678", "at least 12 characters"),
        ("Abcdefghij1", "at least 12 characters"),  # 11
        ("123456789012", "too easy to guess"),
        ("passwordpassword", "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        (email, "must not be your e-mail address"),
        (email.upper(), "must not be your e-mail address"),
        (email.partition("@")[0], "must not be your e-mail address"),
        ("x" * 129, "at most 128 characters"),
    ]:
        r = client.post(
            "/users", json={"email": email, "name": "N", "password": password, "role": "CONSULTA"}, headers=h
        )
        body = assert_problem(r, 400, field="password")
        assert reason in body["detail"], (password, body)
        assert reason in (password_problem(password, email) or ""), password
    assert len(client.get("/users", headers=h).json()) == 3  # nothing was created
    assert password_problem(email.upper(), email) == "must not be your e-mail address"
    assert password_problem("x" * 11) == "must have at least 12 characters"
    assert password_problem("x" * 129) == "must have at most 128 characters"
    assert password_problem("password2026x") == (
        "is too easy to guess (a common password, a word list entry or a pattern); try a longer passphrase"
    )
    assert password_problem("dragon2020!!") is None  # zxcvbn score 3: the lowest accepted
    # The e-mail is a known word for the rating: fine for anyone else, refused for its owner.
    assert password_problem("nubia.penalosa2026") is None
    assert "too easy to guess" in password_problem("nubia.penalosa2026", "Nubia.Penalosa@example.co")
    assert password_problem(PASSWORD) is None and len(PASSWORD) >= 12
    assert password_problem("una clave bien larga") is None  # no composition rules: words and spaces are fine
    assert password_problem("Ñandú-köln-2026") is None  # non-ASCII counts as typed


def test_passwords_are_kept_as_typed_never_trimmed(client, tenant):
    h = tenant.headers()
    email = unique_email("espacios")
    spaced = "  una clave con espacios  "
    r = client.post("/users", json={"email": email, "name": "N", "password": spaced, "role": "CONSULTA"}, headers=h)
    assert r.status_code == 201, r.text
    assert client.post("/auth/login", json={"email": email, "password": spaced}).status_code == 200
    assert client.post("/auth/login", json={"email": email, "password": spaced.strip()}).status_code == 401
    # Changing it: the same rules, the user's own e-mail included; 128 characters are kept whole.
    long = "una frase muy larga " * 6 + "ocho0000"
    assert len(long) == 128
    uid = r.json()["id"]
    assert_problem(client.patch(f"/users/{uid}", json={"password": email}, headers=h), 400, field="password")
    assert_problem(client.patch(f"/users/{uid}", json={"password": "short"}, headers=h), 400, field="password")
    assert client.patch(f"/users/{uid}", json={"password": long}, headers=h).status_code == 200
    assert client.post("/auth/login", json={"email": email, "password": long}).status_code == 200
    assert client.post("/auth/login", json={"email": email, "password": long[:72]}).status_code == 401


def test_tenant_admin_password_follows_the_same_rules():
    import pytest
    from pydantic import ValidationError

    from nitida.tenants.schemas import TenantCreate

    base = {"name": "Papelería", "nit": "900123456", "admin_email": "jefe@papeleria.co"}
    for weak in ("Nitida2026!", "password1234", "jefe@papeleria.co", "JEFE"):
        with pytest.raises(ValidationError, match="admin_password"):
            TenantCreate(**base, admin_password=weak)
    assert TenantCreate(**base, admin_password=" una clave larga ").admin_password == " una clave larga "
