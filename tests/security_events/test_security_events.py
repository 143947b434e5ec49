"""Security events (issue 13, item 4): user administration and every login are
recorded in the same transaction, listed for the tenant's ADMIN with filters,
and kept two years."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fixtures.common import PASSWORD, assert_problem, unique_email
from nitida.security_events.models import SecurityEvent, SecurityEventType
from nitida.users.models import Role

UA = {"User-Agent": "pytest-navegador/1.0"}


def _events(client, tenant, **params):
    r = client.get("/security-events", params=params, headers=tenant.headers(Role.ADMIN))
    assert r.status_code == 200, r.text
    return r.json()


def test_user_administration_is_recorded_with_who_and_from_where(client, tenant):
    admin = tenant.users[Role.ADMIN]
    h = {**tenant.headers(Role.ADMIN), **UA}
    created = client.post(
        "/users",
        headers=h,
        json={"email": unique_email("nuevo"), "name": "Nuevo Admin", "password": PASSWORD, "role": "OPERADOR"},
    ).json()
    uid = created["id"]
    assert client.patch(f"/users/{uid}", headers=h, json={"role": "ADMIN"}).status_code == 200
    # An ADMIN resetting another ADMIN's password is visible.
    assert client.patch(f"/users/{uid}", headers=h, json={"password": "another long password"}).status_code == 200
    assert client.patch(f"/users/{uid}", headers=h, json={"status": "INACTIVE"}).status_code == 200
    assert client.patch(f"/users/{uid}", headers=h, json={"name": "Solo el nombre"}).status_code == 200  # no event
    events = _events(client, tenant, userId=uid)
    assert [e["type"] for e in events] == ["USER_DEACTIVATED", "PASSWORD_RESET", "ROLE_CHANGED", "USER_CREATED"]
    for e in events:
        assert e["actorEmail"] == admin.email and e["actorUserId"] == str(admin.id)
        assert e["userEmail"] == created["email"] and e["userId"] == uid
        assert e["clientAddress"] == "testclient" and e["userAgent"] == UA["User-Agent"]
    assert events[2]["details"] == {"from": "OPERADOR", "to": "ADMIN"}
    assert events[1]["details"] == {"role": "ADMIN"}  # the password of an ADMIN was reset
    assert [e["type"] for e in _events(client, tenant, type="PASSWORD_RESET")] == ["PASSWORD_RESET"]


def test_a_refused_change_leaves_no_event(client, tenant):
    h = tenant.headers(Role.ADMIN)
    admin_id = tenant.users[Role.ADMIN].id
    # The last ADMIN cannot be demoted: 400, and the transaction (and its event) is rolled back.
    assert_problem(client.patch(f"/users/{admin_id}", headers=h, json={"role": "CONSULTA"}), 400)
    assert [e["type"] for e in _events(client, tenant, userId=str(admin_id))] == ["USER_CREATED"]


def test_every_login_is_recorded_failures_included(client, tenant, other_tenant):
    user = tenant.users[Role.OPERADOR]
    ok = client.post("/auth/login", json={"email": user.email, "password": PASSWORD}, headers=UA)
    bad = client.post("/auth/login", json={"email": user.email, "password": "not the password"}, headers=UA)
    assert ok.status_code == 200 and bad.status_code == 401
    unknown = client.post("/auth/login", json={"email": unique_email("nadie"), "password": "x" * 12}, headers=UA)
    assert unknown.status_code == 401
    events = _events(client, tenant, userId=str(user.id))
    assert [(e["type"], e["details"]) for e in events[:2]] == [
        ("LOGIN_FAILED", {"reason": "wrong-password"}),  # stored although its request failed
        ("LOGIN_SUCCEEDED", {}),
    ]
    assert all(e["clientAddress"] == "testclient" and e["userAgent"] == UA["User-Agent"] for e in events[:2])
    assert events[0]["actorUserId"] is None
    # An unknown e-mail belongs to no tenant: nothing is stored for anyone.
    for handle in (tenant, other_tenant):
        assert not [e for e in _events(client, handle) if e["userId"] is None]


def test_a_deactivated_users_login_is_a_recorded_failure(client, tenant):
    user = tenant.users[Role.CONSULTA]
    h = tenant.headers(Role.ADMIN)
    assert client.patch(f"/users/{user.id}", headers=h, json={"status": "INACTIVE"}).status_code == 200
    assert client.post("/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 401
    latest = _events(client, tenant, userId=str(user.id), type="LOGIN_FAILED")[0]
    assert latest["details"] == {"reason": "inactive-user"}


def test_filters_by_date_and_validation(client, tenant):
    now = datetime.now(UTC)
    assert len(_events(client, tenant, **{"from": (now - timedelta(minutes=5)).isoformat()})) >= 1
    assert _events(client, tenant, **{"from": (now + timedelta(minutes=5)).isoformat()}) == []
    assert _events(client, tenant, to=(now - timedelta(days=1)).isoformat()) == []
    # A time without offset is a Colombian one (read as UTC, this one would be 5 hours ago).
    bogota_soon = (now.astimezone(ZoneInfo("America/Bogota")) + timedelta(minutes=5)).replace(tzinfo=None)
    assert len(_events(client, tenant, to=bogota_soon.isoformat())) >= 1
    h = tenant.headers(Role.ADMIN)
    assert_problem(client.get("/security-events", params={"type": "NOPE"}, headers=h), 400, field="type")
    assert_problem(client.get("/security-events", params={"userId": "x"}, headers=h), 400, field="userId")
    assert_problem(client.get("/security-events", params={"from": "2026-02-30"}, headers=h), 400, field="from")
    assert_problem(
        client.get("/security-events", params={"from": "2026-03-01T00:00", "to": "2026-02-01T00:00"}, headers=h),
        400,
        field="to",
    )


def test_only_the_tenants_admin_reads_them(client, tenant, other_tenant):
    for role in (Role.OPERADOR, Role.CONSULTA):
        assert_problem(client.get("/security-events", headers=tenant.headers(role)), 403)
    theirs = {e["id"] for e in _events(client, other_tenant)}
    assert theirs and not theirs & {e["id"] for e in _events(client, tenant)}


def test_events_older_than_two_years_are_purged(client, database, tenant, cli_env):
    from typer.testing import CliRunner

    from nitida.cli import app

    now = datetime.now(UTC)
    marker = uuid.uuid4()
    with database.unit_of_work(tenant.id) as session:
        for age in (timedelta(days=2 * 365 + 5), timedelta(days=2 * 365 - 5)):
            session.add(
                SecurityEvent(type=SecurityEventType.LOGIN_FAILED, occurred_at=now - age, user_id=marker, details={})
            )
    result = CliRunner().invoke(app, ["security-events", "purge"])
    assert result.exit_code == 0, result.output
    assert "older than two years deleted" in result.stdout
    left = _events(client, tenant, userId=str(marker))
    assert len(left) == 1  # the one under two years stays
    assert datetime.fromisoformat(left[0]["occurredAt"]) > now - timedelta(days=2 * 365)


def test_dates_at_the_edges_of_time_are_400_not_500(client, tenant):
    h = tenant.headers(Role.ADMIN)
    for name, value in (("to", "9999-12-31T23:59:59"), ("from", "0001-01-01T00:00:00+14:00")):
        assert_problem(client.get("/security-events", params={name: value}, headers=h), 400, field=name)
