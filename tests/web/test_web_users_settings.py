"""Configuración's users and the business's own touch (issue 26, Users and settings; issue 32, security events),
on both engines: "Invitar usuario" states the password rule and explains a refusal; every user change made in the
back office is the same security event as the API's; the last active ADMIN is neither offered nor allowed to be
demoted or deactivated; the business's logo (validated by decoding it) shows on its pages and its PDFs; its notes,
plazo and medio de pago start new drafts; its e-mail text goes in the invoice's e-mail."""

from __future__ import annotations

import io
import os
import re
import uuid
from email import policy
from email.parser import BytesParser

import pytest
from PIL import Image
from sqlalchemy import select

from fixtures.common import PASSWORD, SECRET, unique_email
from fixtures.einvoicing_api import ISSUER_BODY, configure, customer_body, issued_invoice, ok, resolution_body
from fixtures.web import csrf_of, signed_in
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.delivery.models import SimulatedMail
from nitida.einvoicing import configuration
from nitida.invoices.business import BusinessProfile
from nitida.jobs.worker import Worker
from nitida.main import create_app
from nitida.users.models import Role


def _events(client, tenant, **params) -> list[dict]:
    r = client.get("/security-events", params=params, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return r.json()


def _image(fmt: str = "PNG", size: tuple[int, int] = (240, 80), noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (20, 90, 160))
        for x in range(size[0] // 3):
            image.putpixel((x, size[1] // 2), (255, 200, 0))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


# --- users ------------------------------------------------------------------------------------


def test_invitar_usuario_states_the_password_rule_and_explains_a_refusal(app, client, tenant):
    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    html = admin.get("/app/configuracion").text
    assert "Al menos 12 caracteres y difícil de adivinar" in html
    assert re.search(r'id="contrasena"[^>]*minlength="12"', html) and 'minlength="8"' not in html
    before = len(client.get("/users", headers=tenant.headers()).json())
    for password, why in (
        ("corta", "al menos 12 caracteres y ser difícil de adivinar"),
        ("contrasena123", "fácil de adivinar"),
    ):
        refused = admin.post(
            "/app/configuracion/usuarios",
            data={
                "csrf_token": csrf_of(html),
                "nombre": "Pedro Pérez",
                "correo": unique_email("pedro"),
                "contrasena": password,
                "rol": "OPERADOR",
            },
        )
        assert refused.status_code == 422 and why in refused.text, password
        assert "Valor no válido" not in refused.text
    assert len(client.get("/users", headers=tenant.headers()).json()) == before  # nothing created


def test_every_user_change_in_the_back_office_is_a_security_event(app, client, tenant):
    admin_user = tenant.users[Role.ADMIN]
    admin = signed_in(app, admin_user.email)
    csrf = csrf_of(admin.get("/app/configuracion").text)
    email = unique_email("sombra")
    created = admin.post(
        "/app/configuracion/usuarios",
        data={"csrf_token": csrf, "nombre": "Admin Sombra", "correo": email, "contrasena": PASSWORD, "rol": "ADMIN"},
        headers={"User-Agent": "navegador-de-prueba"},
    )
    assert created.status_code == 303, created.text
    [user] = [u for u in client.get("/users", headers=tenant.headers()).json() if u["email"] == email]
    path = f"/app/configuracion/usuarios/{user['id']}"
    for change in ({"rol": "CONSULTA"}, {"estado": "INACTIVE"}, {"estado": "ACTIVE"}):
        assert admin.post(path, data={"csrf_token": csrf, **change}).status_code == 303, change
    events = list(reversed(_events(client, tenant, userId=user["id"])))
    assert [e["type"] for e in events] == ["USER_CREATED", "ROLE_CHANGED", "USER_DEACTIVATED", "USER_REACTIVATED"]
    for e in events:
        assert e["actorEmail"] == admin_user.email and e["userEmail"] == email
        assert e["clientAddress"] == "testclient"
    assert events[0]["userAgent"] == "navegador-de-prueba"
    assert events[0]["details"] == {"role": "ADMIN", "invited": False}
    assert events[1]["details"] == {"from": "ADMIN", "to": "CONSULTA"}


def test_the_last_active_admin_is_not_offered_nor_allowed_to_go(app, client, tenant):
    admin_user = tenant.users[Role.ADMIN]
    admin = signed_in(app, admin_user.email)
    html = admin.get("/app/configuracion").text
    assert f'action="/app/configuracion/usuarios/{admin_user.id}"' not in html
    assert "el único administrador activo" in html
    # Another user's row still offers both.
    assert f'action="/app/configuracion/usuarios/{tenant.users[Role.OPERADOR].id}"' in html
    for change in ({"rol": "OPERADOR"}, {"estado": "INACTIVE"}):
        refused = admin.post(
            f"/app/configuracion/usuarios/{admin_user.id}", data={"csrf_token": csrf_of(html), **change}
        )
        assert refused.status_code == 409 and "Es el último administrador activo" in refused.text
    me = client.get(f"/users/{admin_user.id}", headers=tenant.headers()).json()
    assert me["role"] == "ADMIN" and me["status"] == "ACTIVE"
    changes = {"ROLE_CHANGED", "USER_DEACTIVATED"}
    assert not [e for e in _events(client, tenant, userId=str(admin_user.id)) if e["type"] in changes]
    # With a second ADMIN both are offered again.
    operador = tenant.users[Role.OPERADOR]
    assert client.patch(f"/users/{operador.id}", headers=tenant.headers(), json={"role": "ADMIN"}).status_code == 200
    assert f'action="/app/configuracion/usuarios/{admin_user.id}"' in admin.get("/app/configuracion").text


# --- the business: logo, defaults, e-mail text ------------------------------------------------


def _draft(client, headers) -> dict:
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    body = {
        "customerId": customer["id"],
        "resolutionId": resolution["id"],
        "paymentForm": "CONTADO",
        "lines": [{"description": "Resma carta", "quantity": "2", "unitPrice": "11900", "taxes": []}],
    }
    return ok(client.post("/billing/invoices", headers=headers, json=body), 201)


def _save(admin, csrf: str, *, logo: tuple[str, bytes, str] | None = None, **fields):
    data = {"csrf_token": csrf, "plazo": "0", "medio_pago": "", "notas_facturas": "", "texto_correo": "", **fields}
    files = {"logo": logo} if logo else {"logo": ("", b"", "application/octet-stream")}
    return admin.post("/app/configuracion/marca", data=data, files=files)


def test_the_logo_is_validated_by_decoding_it_and_shows_on_pages_and_pdfs(app, client, database, tenant):
    headers = tenant.headers()
    configure(client, headers)
    draft = _draft(client, headers)
    plain_pdf = client.get(f"/billing/invoices/{draft['id']}/pdf", headers=headers)
    assert plain_pdf.status_code == 200 and b"/Subtype /Image" not in plain_pdf.content

    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    settings_page = admin.get("/app/configuracion").text
    assert 'href="/app/configuracion/marca"' in settings_page and "/app/logo" not in settings_page
    csrf = csrf_of(admin.get("/app/configuracion/marca").text)
    noisy = _image(size=(100, 100), noise=True)
    truncated = noisy[: len(noisy) // 2]
    for name, data, why in (
        ("logo.png", b"esto no es una imagen", "No es una imagen PNG o JPEG"),
        ("logo.png", truncated, "No es una imagen PNG o JPEG"),
        ("logo.gif", _image("GIF"), "No es una imagen PNG o JPEG"),
        ("ancho.png", _image(size=(3000, 10)), "como máximo 2000 × 2000 píxeles"),
        ("pesado.png", _image(size=(450, 450), noise=True), "pesa más de 512 KB"),
    ):
        refused = _save(admin, csrf, logo=(name, data, "image/png"), notas_facturas="No debe guardarse")
        assert refused.status_code == 422 and why in refused.text, name
    with database.tenant_session(tenant.id) as session:
        assert session.scalars(select(BusinessProfile)).first() is None  # nothing kept, notes included

    saved = _save(admin, csrf, logo=("logo.jpg", _image("JPEG"), "image/jpeg"))
    assert saved.status_code == 303
    assert "con el logo nuevo" in admin.get(saved.headers["location"]).text
    for role in Role:  # every user of the business sees it in the header
        page = signed_in(app, tenant.users[role].email).get("/app").text
        assert re.search(r'<img class="logo-empresa" src="/app/logo\?v=\d+" alt="Logo de la empresa"', page), role
    served = admin.get("/app/logo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (240, 80)  # re-encoded as PNG, not as sent
    with_logo = client.get(f"/billing/invoices/{draft['id']}/pdf", headers=headers)
    assert with_logo.status_code == 200 and b"/Subtype /Image" in with_logo.content

    # Saving the texts without choosing a file keeps the logo; Quitar el logo removes it.
    assert _save(admin, csrf, notas_facturas="Gracias").status_code == 303
    assert admin.get("/app/logo").status_code == 200
    assert admin.post("/app/configuracion/marca/logo/quitar", data={"csrf_token": csrf}).status_code == 303
    assert admin.get("/app/logo").status_code == 404
    assert "/app/logo" not in admin.get("/app").text


def test_other_businesses_and_other_roles_cannot_change_or_see_the_logo(app, tenant, other_tenant):
    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    csrf = csrf_of(admin.get("/app/configuracion/marca").text)
    assert _save(admin, csrf, logo=("logo.png", _image(), "image/png")).status_code == 303
    assert signed_in(app, other_tenant.users[Role.ADMIN].email).get("/app/logo").status_code == 404
    operador = signed_in(app, tenant.users[Role.OPERADOR].email)
    assert operador.get("/app/configuracion/marca").status_code == 403
    home = operador.get("/app").text
    refused = operador.post("/app/configuracion/marca/logo/quitar", data={"csrf_token": csrf_of(home)})
    assert refused.status_code == 403
    assert admin.get("/app/logo").status_code == 200


def test_the_business_defaults_start_every_new_draft(app, tenant):
    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    csrf = csrf_of(admin.get("/app/configuracion/marca").text)
    refused = _save(admin, csrf, plazo="45", medio_pago="TRUEQUE")
    assert refused.status_code == 422 and "Elige un plazo de la lista" in refused.text
    notes = "Consigne a la cuenta de ahorros Bancolombia 123-456789-01."
    saved = _save(admin, csrf, plazo="30", medio_pago="EFECTIVO", notas_facturas=notes)
    assert saved.status_code == 303
    form = signed_in(app, tenant.users[Role.OPERADOR].email).get("/app/facturas/nueva").text
    assert re.search(r'<option value="30" selected>30 días</option>', form)
    assert re.search(r'<option value="EFECTIVO" selected>', form)
    assert notes in form


def test_the_business_e_mail_text_goes_in_the_invoice_e_mail(app, client, database, database_url, tenant):
    headers = tenant.headers()
    configure(client, headers)
    admin_user = tenant.users[Role.ADMIN]
    actor = Principal(
        user_id=admin_user.id, tenant_id=tenant.id, email=admin_user.email, name=admin_user.name, role=Role.ADMIN
    )
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    admin = signed_in(app, admin_user.email)
    csrf = csrf_of(admin.get("/app/configuracion/marca").text)
    text = "Recuerde que puede pagar en nuestra sede de Chapinero. ¡Gracias por preferirnos!"
    assert _save(admin, csrf, texto_correo=text, logo=("logo.png", _image(), "image/png")).status_code == 303
    issued_invoice(client, headers)
    settings = Settings(database_url=database_url, secret_key=SECRET, smtp_url="", job_backoff_seconds=0)
    Worker(database, only_tenant=tenant.id, settings=settings, name=f"marca-{tenant.id.hex[:6]}").run_until_idle()
    with database.tenant_session(tenant.id) as session:
        [raw] = session.scalars(select(SimulatedMail.message)).all()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert text in body and body.index("validada por la DIAN") < body.index(text) < body.index("El archivo ZIP")


@pytest.mark.parametrize("bad", ["\x00texto", "x" * 2001])
def test_the_e_mail_text_refuses_control_characters_and_excess(app, tenant, bad):
    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    csrf = csrf_of(admin.get("/app/configuracion/marca").text)
    refused = _save(admin, csrf, texto_correo=bad)
    assert refused.status_code == 422 and "Valor no válido" not in refused.text


def test_an_invitation_needs_a_sender_and_says_so(settings, client, database, tenant):
    # A deployment without its own sender (NITIDA_MAIL_FROM empty) and a business without an e-mail.
    app = create_app(settings.model_copy(update={"mail_from": ""}), database)
    headers = tenant.headers()
    configure(client, headers)
    ok(client.put("/billing/issuer", headers=headers, json={**ISSUER_BODY, "email": None}))
    admin_user = tenant.users[Role.ADMIN]
    actor = Principal(
        user_id=admin_user.id, tenant_id=tenant.id, email=admin_user.email, name=admin_user.name, role=Role.ADMIN
    )
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))
    admin = signed_in(app, admin_user.email)
    email = unique_email("sin-remitente")
    refused = admin.post(
        "/app/configuracion/usuarios",
        data={
            "csrf_token": csrf_of(admin.get("/app/configuracion").text),
            "nombre": "Sin Remitente",
            "correo": email,
            "contrasena": "",
            "rol": "CONSULTA",
        },
    )
    assert refused.status_code == 422 and "Falta el correo de la empresa" in refused.text
    assert email not in [u["email"] for u in client.get("/users", headers=headers).json()]
