"""Notices are shown once (issue 26): the page an action leads to says what happened, and a reload, a
Back or a bookmarked address never says it again. They travel in a one-shot cookie (web/notices.py),
never in the address. Both engines (the ``app`` fixture's database)."""

from __future__ import annotations

import re

from fixtures.common import random_nit
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role
from nitida.web import notices

CUSTOMER = re.compile(r"/app/clientes/[0-9a-f-]{36}")


def _create_customer(client) -> str:
    token = csrf_of(client.get("/app/clientes/nuevo").text)
    created = client.post(
        "/app/clientes/nuevo",
        data={
            "csrf_token": token,
            "tipo_documento": "NIT",
            "numero": random_nit(),
            "razon_social": "Papelería Aviso Único S.A.S.",
            "tipo_persona": "JURIDICA",
        },
    )
    assert created.status_code == 303, created.text
    cookie = next(h for h in created.headers.get_list("set-cookie") if h.startswith(notices.COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/app" in cookie and "Max-Age=60" in cookie
    return created.headers["location"]


def test_a_notice_is_shown_once_and_never_in_the_address(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    location = _create_customer(client)
    assert CUSTOMER.fullmatch(location), location  # no ?aviso= for the history, a reload or a bookmark
    first = client.get(location)
    assert first.status_code == 200 and "Cliente creado." in first.text
    assert notices.COOKIE not in client.cookies  # consumed by the page that showed it
    again = client.get(location)
    assert again.status_code == 200 and "Cliente creado." not in again.text


def test_a_notice_not_shown_at_once_is_dropped(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    location = _create_customer(client)
    assert client.get("/app/clientes").status_code == 200  # another page first: the notice is dropped
    assert "Cliente creado." not in client.get(location).text


def test_htmx_requests_and_static_files_leave_the_notice_for_its_page(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    location = _create_customer(client)
    client.get("/app/clientes?buscar=x", headers={"HX-Request": "true"})
    client.get("/app/static/app.js")
    assert "Cliente creado." in client.get(location).text


def test_the_redirect_keeps_its_other_parameters_and_fragment():
    address, carried = notices.take_notice("/app/configuracion?aviso=emisor&x=1#empresa")
    assert address == "/app/configuracion?x=1#empresa"
    assert carried is not None and "aviso=emisor" in carried
    address, carried = notices.take_notice("/app/facturas/1?aviso=no_emitida&motivo=sin-resolucion")
    assert address == "/app/facturas/1" and carried is not None and "motivo=sin-resolucion" in carried
    assert notices.take_notice("/app/clientes?buscar=a") == ("/app/clientes?buscar=a", None)
