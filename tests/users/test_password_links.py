"""Invitations and "¿Olvidaste tu contraseña?" (issue 26, Users and settings), on both engines: the new user gets an
e-mail (in the demo, the Buzón de la demo) with a one-time link that sets their own password through the same
password rules, then signs in through the one login path; the link works once and expires; only its hash is stored;
asking for a reset never tells whether an address exists; each step is a security event."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select, update

from fixtures.common import PASSWORD, assert_problem, unique_email
from fixtures.einvoicing_api import configure
from fixtures.web import csrf_of, sign_in, web_client
from nitida.core.db import utcnow
from nitida.core.principal import Principal
from nitida.delivery.models import SimulatedMail
from nitida.einvoicing import configuration
from nitida.security_events.models import SecurityEvent
from nitida.users.models import PasswordLink, Role, User

LINK = re.compile(r"http://testserver/app/contrasena/([0-9a-f-]{36}\.[A-Za-z0-9_-]+)")
NEW_PASSWORD = "cuaderno verde junto a la ventana"


@pytest.fixture
def demo_tenant(client, database, tenant):
    """A tenant whose e-mails land in the demo's mail catcher (what `nitida demo` sets)."""
    configure(client, tenant.headers())
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    return tenant


def caught(database, tenant, to: str) -> list[str]:
    """The plain-text bodies of the caught e-mails to ``to``, oldest first."""
    with database.tenant_session(tenant.id) as session:
        rows = session.scalars(
            select(SimulatedMail).where(SimulatedMail.mail_to == to).order_by(SimulatedMail.created_at)
        ).all()
        messages = [BytesParser(policy=policy.default).parsebytes(r.message) for r in rows]
    return [m.get_body(preferencelist=("plain",)).get_content() for m in messages]


def link_in(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    return found[1]


def events_of(database, tenant, email: str) -> list[tuple[str, dict]]:
    with database.tenant_session(tenant.id) as session:
        rows = session.scalars(
            select(SecurityEvent).where(SecurityEvent.user_email == email).order_by(SecurityEvent.occurred_at)
        ).all()
        return [(r.type.value, r.details) for r in rows]


def set_password(client, token: str, password: str, confirm: str | None = None):
    form = client.get(f"/app/contrasena/{token}")
    assert form.status_code == 200, form.text
    return client.post(
        f"/app/contrasena/{token}",
        data={
            "contrasena": password,
            "confirmacion": password if confirm is None else confirm,
            "csrf_token": csrf_of(form.text),
        },
    )


def test_an_invited_user_sets_their_password_once_and_is_signed_in(client, app, database, demo_tenant):
    email = unique_email("invitada")
    created = client.post(
        "/users", headers=demo_tenant.headers(), json={"email": email, "name": "Laura Gómez", "role": "OPERADOR"}
    )
    assert created.status_code == 201, created.text
    [body] = caught(database, demo_tenant, email)
    assert "Laura Gómez" in body and "vence en 3 días" in body and "una sola vez" in body
    token = link_in(body)
    # Only the token's SHA-256 is stored.
    with database.tenant_session(demo_tenant.id) as session:
        [link] = session.scalars(select(PasswordLink)).all()
    secret = token.partition(".")[2]
    assert link.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in link.token_hash
    # Before the link, the user cannot sign in with anything they know.
    assert client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD}).status_code == 401

    browser = web_client(app)
    page = browser.get(f"/app/contrasena/{token}")
    assert page.status_code == 200 and email in page.text
    assert "Al menos 12 caracteres y difícil de adivinar" in page.text and 'minlength="12"' in page.text
    # A refused password says why, in Spanish, and leaves the link usable.
    short = set_password(browser, token, "corta")
    assert short.status_code == 422 and "al menos 12 caracteres y ser difícil de adivinar" in short.text
    weak = set_password(browser, token, "contrasena123")
    assert weak.status_code == 422 and "fácil de adivinar" in weak.text and "Valor no válido" not in weak.text
    mismatch = set_password(browser, token, NEW_PASSWORD, "otra frase distinta cualquiera")
    assert mismatch.status_code == 422 and "No coincide" in mismatch.text

    done = set_password(browser, token, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/app"
    home = browser.get("/app")
    assert home.status_code == 200 and "Laura Gómez" in home.text  # signed in, through the login path
    assert client.post("/auth/login", json={"email": email, "password": NEW_PASSWORD}).status_code == 200

    # Once: a second use is refused, and changes nothing.
    again = web_client(app).get(f"/app/contrasena/{token}")
    assert again.status_code == 410 and "ya se usó" in again.text
    types = [t for t, _ in events_of(database, demo_tenant, email) if t != "LOGIN_FAILED"]  # the 401 above
    assert types[:4] == ["USER_CREATED", "INVITATION_SENT", "PASSWORD_RESET", "LOGIN_SUCCEEDED"]
    details = dict(events_of(database, demo_tenant, email))
    assert details["USER_CREATED"]["invited"] is True and details["PASSWORD_RESET"] == {"via": "invitation"}


def test_a_link_expires_and_a_newer_one_ends_the_older(client, app, database, demo_tenant):
    operador = demo_tenant.users[Role.OPERADOR]
    browser = web_client(app)
    for _ in range(2):
        form = browser.get("/app/olvide")
        browser.post("/app/olvide", data={"correo": operador.email, "csrf_token": csrf_of(form.text)})
        with database.unit_of_work(demo_tenant.id) as session:  # past the resend pause
            session.execute(update(PasswordLink).values(created_at=utcnow() - timedelta(minutes=5)))
    first, second = (link_in(b) for b in caught(database, demo_tenant, operador.email))
    assert "vence en 60 minutos" in caught(database, demo_tenant, operador.email)[0]
    assert browser.get(f"/app/contrasena/{first}").status_code == 410  # replaced by the second
    assert browser.get(f"/app/contrasena/{second}").status_code == 200
    with database.unit_of_work(demo_tenant.id) as session:
        session.execute(update(PasswordLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = browser.get(f"/app/contrasena/{second}")
    assert expired.status_code == 410 and "venció" in expired.text
    form = browser.get("/app/olvide")
    assert set_password_post(browser, second, csrf_of(form.text)).status_code == 410
    assert client.post("/auth/login", json={"email": operador.email, "password": PASSWORD}).status_code == 200
    # Garbage and other tenants' ids find nothing.
    for bad in ("x", f"{uuid.uuid4()}.{'a' * 43}", f"{demo_tenant.id}.{'a' * 43}"):
        assert browser.get(f"/app/contrasena/{bad}").status_code == 410


def set_password_post(browser, token: str, csrf: str):
    return browser.post(
        f"/app/contrasena/{token}", data={"contrasena": NEW_PASSWORD, "confirmacion": NEW_PASSWORD, "csrf_token": csrf}
    )


def test_forgot_password_never_reveals_whether_an_address_exists(client, app, database, demo_tenant):
    consulta = demo_tenant.users[Role.CONSULTA]
    browser = web_client(app)
    login = browser.get("/app/ingresar")
    assert 'href="/app/olvide"' in login.text and "¿Olvidaste tu contraseña?" in login.text
    answers = []
    for email in (consulta.email, unique_email("nadie")):
        form = browser.get("/app/olvide")
        answer = browser.post("/app/olvide", data={"correo": email, "csrf_token": csrf_of(form.text)})
        answers.append((answer.status_code, re.sub(r'value="[^"]*"', "", answer.text)))
    assert answers[0] == answers[1] and answers[0][0] == 200
    assert "Si el correo corresponde a un usuario activo" in answers[0][1]
    [body] = caught(database, demo_tenant, consulta.email)
    token = link_in(body)
    assert [t for t, _ in events_of(database, demo_tenant, consulta.email)] == ["PASSWORD_RESET_REQUESTED"]
    # The reset ends the old password and every session.
    old_session = web_client(app)
    assert sign_in(old_session, consulta.email).status_code == 303
    form = browser.get(f"/app/contrasena/{token}")
    assert set_password_post(browser, token, csrf_of(form.text)).status_code == 303
    assert old_session.get("/app").status_code == 303  # to the login page
    assert client.post("/auth/login", json={"email": consulta.email, "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", json={"email": consulta.email, "password": NEW_PASSWORD}).status_code == 200
    assert ("PASSWORD_RESET", {"via": "reset-link"}) in events_of(database, demo_tenant, consulta.email)


def test_an_inactive_user_gets_no_reset_link(client, app, database, demo_tenant):
    consulta = demo_tenant.users[Role.CONSULTA]
    h = demo_tenant.headers()
    assert client.patch(f"/users/{consulta.id}", headers=h, json={"status": "INACTIVE"}).status_code == 200
    browser = web_client(app)
    form = browser.get("/app/olvide")
    answer = browser.post("/app/olvide", data={"correo": consulta.email, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 200 and "Si el correo corresponde" in answer.text
    assert caught(database, demo_tenant, consulta.email) == []


def test_without_a_mail_server_an_invitation_is_refused_and_nothing_created(client, database, tenant):
    email = unique_email("sin-correo")
    r = client.post("/users", headers=tenant.headers(), json={"email": email, "name": "Sin Correo", "role": "CONSULTA"})
    assert_problem(r, 400, field="password")
    with database.tenant_session(tenant.id) as session:
        assert session.scalars(select(User).where(User.email == email)).first() is None
    # With an initial password, as before.
    r = client.post(
        "/users",
        headers=tenant.headers(),
        json={"email": email, "name": "Sin Correo", "password": PASSWORD, "role": "CONSULTA"},
    )
    assert r.status_code == 201, r.text
