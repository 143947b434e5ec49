"""The back office's pages without a browser: sessions, CSRF, roles, error pages, headers.

Every test runs on SQLite and PostgreSQL (the ``app`` fixture's database).
"""

from __future__ import annotations

import datetime as dt
import re

from fixtures.common import PASSWORD, assert_problem, random_nit, unique_email
from fixtures.web import csrf_of, sign_in, signed_in, web_client
from nitida.core.clock import bogota_today
from nitida.core.principal import Principal
from nitida.customers import service as customers
from nitida.customers.schemas import CustomerCreate
from nitida.invoices import numbering
from nitida.invoices.schemas import ResolutionCreate
from nitida.users.models import Role
from nitida.web import sessions


def _principal(tenant, role=Role.ADMIN) -> Principal:
    user = tenant.users[role]
    return Principal(user_id=user.id, tenant_id=tenant.id, email=user.email, name=user.name, role=role)


def _customer(database, tenant, name="Ferretería El Dorado S.A.S.", nit=None):
    with database.unit_of_work(tenant.id) as session:
        row = customers.create_customer(
            session, _principal(tenant), CustomerCreate(razon_social=name, nit=nit or random_nit())
        )
    return row.id


def _resolution(database, tenant):
    today = bogota_today()  # the pages count days in Bogotá, not in the machine's zone
    with database.unit_of_work(tenant.id) as session:
        r = numbering.create_resolution(
            session,
            _principal(tenant),
            ResolutionCreate(
                resolution_number="18760000001",
                prefix="FE",
                range_from=1,
                range_to=5000,
                valid_from=today - dt.timedelta(days=30),
                valid_to=today + dt.timedelta(days=365),
            ),
        )
    return r.id


def _is_login_redirect(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/app/ingresar")


# --- redirects, login, logout -------------------------------------------------------------


def test_root_redirects_to_the_back_office_and_it_to_the_login_page(app):
    client = web_client(app)
    root = client.get("/")
    assert root.status_code in (302, 307) and root.headers["location"] == "/app"
    page = client.get("/app/clientes?buscar=x")
    assert _is_login_redirect(page)
    assert page.headers["location"] == "/app/ingresar?siguiente=/app/clientes%3Fbuscar%3Dx"


def test_the_login_page_has_the_labels_users_look_for(app):
    html = web_client(app).get("/app/ingresar").text
    for label in ("Correo electrónico", "Contraseña", "Ingresar"):
        assert label in html
    assert '<html lang="es-CO">' in html


def test_login_sets_a_revocable_http_only_lax_cookie_and_goes_where_asked(app, tenant):
    client = web_client(app)
    response = sign_in(client, tenant.users[Role.OPERADOR].email, next_path="/app/clientes")
    assert response.status_code == 303 and response.headers["location"] == "/app/clientes"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(sessions.COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # plain http here; Secure when the request came over HTTPS
    page = client.get("/app")
    assert page.status_code == 200 and "Inicio" in page.text and "Cerrar sesión" in page.text


def test_login_refuses_a_bad_password_in_spanish_and_throttles_like_the_api(app, client, tenant):
    email = tenant.users[Role.CONSULTA].email
    browser = web_client(app)
    wrong = sign_in(browser, email, "not the password")
    assert wrong.status_code == 401 and "Correo o contraseña incorrectos." in wrong.text
    for _ in range(4):
        sign_in(browser, email, "not the password")
    locked = sign_in(browser, email)  # even the right password, as the API does
    assert locked.status_code == 429 and "Demasiados intentos" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    # One throttle for both doors: the API's login is locked too.
    assert_problem(client.post("/auth/login", json={"email": email, "password": PASSWORD}), 429)


def test_logout_ends_the_session_on_the_server(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    stolen = client.cookies.get(sessions.COOKIE)
    html = client.get("/app").text
    assert client.post("/app/salir", data={"csrf_token": csrf_of(html)}).status_code == 303
    replay = web_client(app)
    replay.cookies.set(sessions.COOKIE, stolen)
    assert _is_login_redirect(replay.get("/app"))


def test_deactivation_and_password_change_end_browser_sessions(app, client, tenant):
    for change in ({"status": "INACTIVE"}, {"password": "una clave nueva y larga"}):
        email = unique_email("web")
        created = client.post(
            "/users",
            headers=tenant.headers(),
            json={"email": email, "name": "Web", "password": PASSWORD, "role": "OPERADOR"},
        )
        assert created.status_code == 201
        browser = signed_in(app, email)
        assert browser.get("/app/clientes").status_code == 200
        assert client.patch(f"/users/{created.json()['id']}", headers=tenant.headers(), json=change).status_code == 200
        assert _is_login_redirect(browser.get("/app/clientes")), change


def test_an_admin_deactivating_a_user_from_the_settings_page_ends_its_sessions(app, tenant):
    operador = signed_in(app, tenant.users[Role.OPERADOR].email)
    admin = signed_in(app, tenant.users[Role.ADMIN].email)
    html = admin.get("/app/configuracion").text
    user_id = tenant.users[Role.OPERADOR].id
    response = admin.post(
        f"/app/configuracion/usuarios/{user_id}", data={"csrf_token": csrf_of(html), "estado": "INACTIVE"}
    )
    assert response.status_code == 303
    assert "sus sesiones se cerraron" in admin.get(response.headers["location"]).text
    assert _is_login_redirect(operador.get("/app"))


def test_a_forged_cookie_naming_another_tenant_opens_nothing(app, tenant, other_tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    token = client.cookies.get(sessions.COOKIE).partition(".")[2]
    forged = web_client(app)
    forged.cookies.set(sessions.COOKIE, f"{other_tenant.id}.{token}")
    assert _is_login_redirect(forged.get("/app"))


# --- CSRF, roles, errors --------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_with_a_spanish_page(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    body = {"tipo_documento": "NIT", "numero": random_nit(), "razon_social": "Sin token S.A.S."}
    refused = client.post("/app/clientes/nuevo", data=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "El formulario venció" in refused.text
    wrong = client.post("/app/clientes/nuevo", data={**body, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    # Right token, but posted from another site: refused as well.
    token = csrf_of(client.get("/app/clientes/nuevo").text)
    cross = client.post(
        "/app/clientes/nuevo", data={**body, "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert "Sin token" not in client.get("/app/clientes?buscar=sin+token").text
    # The header htmx sends is accepted in place of the field.
    ok = client.post("/app/clientes/nuevo", data=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 303


def test_the_login_form_refuses_a_post_without_its_token(app, tenant):
    client = web_client(app)
    response = client.post("/app/ingresar", data={"correo": tenant.users[Role.ADMIN].email, "contrasena": PASSWORD})
    assert response.status_code == 403 and sessions.COOKIE not in response.cookies


def test_consulta_sees_no_write_buttons_and_a_forged_post_is_a_403_page(app, database, tenant):
    customer_id = _customer(database, tenant)
    client = signed_in(app, tenant.users[Role.CONSULTA].email)
    for path in ("/app", "/app/clientes", f"/app/clientes/{customer_id}", "/app/facturas"):
        html = client.get(path).text
        for button in ("Nuevo cliente", "Nueva factura", "Editar", "Inactivar", "Eliminar", "Configuración"):
            assert button not in html, (path, button)
    token = csrf_of(client.get("/app").text)
    forged = client.post(
        "/app/clientes/nuevo",
        data={"csrf_token": token, "tipo_documento": "NIT", "numero": random_nit(), "razon_social": "Forjado S.A.S."},
    )
    assert forged.status_code == 403 and "No tienes permiso" in forged.text
    assert client.get("/app/configuracion").status_code == 403
    assert client.get("/app/clientes/nuevo").status_code == 403


def test_operador_cannot_delete_customers_or_void_invoices(app, database, tenant):
    customer_id = _customer(database, tenant)
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    html = client.get(f"/app/clientes/{customer_id}").text
    assert "Editar" in html and "Inactivar" in html and "Eliminar" not in html
    token = csrf_of(html)
    assert client.post(f"/app/clientes/{customer_id}/eliminar", data={"csrf_token": token}).status_code == 403


def test_another_tenants_ids_are_the_404_page_not_json(app, database, tenant, other_tenant):
    theirs = _customer(database, other_tenant)
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    for path in (f"/app/clientes/{theirs}", f"/app/clientes/{theirs}/editar", "/app/clientes/not-an-id", "/app/nada"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "Página no encontrada" in page.text and "{" not in page.text.split("<body")[1].split("<footer")[0]
    token = csrf_of(client.get("/app").text)
    assert (
        client.post(f"/app/clientes/{theirs}/estado", data={"csrf_token": token, "estado": "INACTIVE"}).status_code
        == 404
    )


def test_the_api_keeps_its_problem_json(app, tenant):
    client = web_client(app)
    assert_problem(client.get("/billing/customers/not-an-id", headers=tenant.headers()), 404)
    # The API keeps its own deny-all policy, not the pages' (which allows their scripts).
    assert "script-src" not in client.get("/openapi.json").headers["content-security-policy"]


def test_pages_carry_the_security_headers(app, tenant):
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    for path in ("/app", "/app/ingresar", "/app/nada"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    html = client.get("/app").text
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_the_vendor_files_come_from_the_npm_install(app):
    client = web_client(app)
    htmx = client.get("/app/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert client.get("/app/static/vendor/pico.min.css").status_code == 200
    assert client.get("/app/static/vendor/package.json").status_code == 404


def test_an_unexpected_error_is_a_friendly_500_page():
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from nitida.core.problems import internal_error_response
    from nitida.web.middleware import WebPagesMiddleware

    # What the request-id middleware answers when a handler raises, seen by the pages' middleware.
    failing = Starlette(routes=[Route("/app/clientes", lambda request: internal_error_response())])
    failing.add_middleware(WebPagesMiddleware)
    response = TestClient(failing).get("/app/clientes")
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/html")
    assert "Algo salió mal" in response.text and "Traceback" not in response.text and "problem" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


# --- customers and invoices through the forms ---------------------------------------------------


def test_a_customer_is_created_through_the_form_with_its_dv_and_errors_beside_fields(app, tenant):
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    # 900.123.456 is the test business's own NIT: the fragment warns of it too (issue 26).
    own = client.get("/app/clientes/dv", params={"tipo_documento": "NIT", "numero": "900.123.456"}).text
    assert own.startswith("DV 8<") and "Es el NIT de tu propia empresa" in own
    token = csrf_of(client.get("/app/clientes/nuevo").text)
    bad = client.post(
        "/app/clientes/nuevo",
        data={
            "csrf_token": token,
            "tipo_documento": "NIT",
            "numero": "900123456-3",
            "razon_social": "",
            "correo": "no",
        },
    )
    assert bad.status_code == 422
    assert 'id="numero-error">El dígito de verificación (DV) del NIT 900123456 es 8, no 3.' in bad.text
    assert 'id="razon_social-error">Este campo es obligatorio.' in bad.text
    assert 'id="correo-error">No es un correo electrónico válido.' in bad.text
    nit = random_nit()
    good = client.post(
        "/app/clientes/nuevo",
        data={
            "csrf_token": token,
            "tipo_documento": "NIT",
            "numero": nit,
            "razon_social": "Librería Ñandú Ltda.",
            "correo": "",
            "telefono": "",
            "direccion": "",
        },
    )
    assert good.status_code == 303
    page = client.get(good.headers["location"]).text
    assert "Librería Ñandú Ltda." in page and "Historial" in page and "Creado" in page
    listing = client.get("/app/clientes", params={"buscar": "nandu"}).text
    assert "Librería Ñandú Ltda." in listing
    duplicate = client.post(
        "/app/clientes/nuevo",
        data={"csrf_token": token, "tipo_documento": "NIT", "numero": nit, "razon_social": "Otra"},
    )
    assert duplicate.status_code == 422 and "Ya existe un cliente con el número" in duplicate.text


def test_the_list_answers_htmx_with_the_results_fragment_only(app, database, tenant):
    _customer(database, tenant, "Papelería Álamo S.A.S.")
    client = signed_in(app, tenant.users[Role.CONSULTA].email)
    fragment = client.get(
        "/app/clientes", params={"buscar": "ALAMO"}, headers={"HX-Request": "true", "HX-Target": "resultados"}
    )
    assert "Papelería Álamo S.A.S." in fragment.text and "<html" not in fragment.text
    # htmx 4 names the target "tag#id": the same fragment.
    v4 = client.get(
        "/app/clientes", params={"buscar": "alamo"}, headers={"HX-Request": "true", "HX-Target": "div#resultados"}
    )
    assert "<html" not in v4.text and "Papelería Álamo" in v4.text


def test_deleting_a_customer_with_invoices_is_explained(app, database, tenant):
    customer_id = _customer(database, tenant)
    resolution_id = _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    token = csrf_of(client.get("/app/facturas/nueva").text)
    created = client.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": token,
            "customer_id": str(customer_id),
            "resolution_id": str(resolution_id),
            "forma_pago": "CONTADO",
            "lineas": "1",
            "descripcion_0": "Resma",
            "cantidad_0": "1",
            "precio_0": "10000",
            "descuento_0": "0",
            "iva_0": "19",
            "accion": "borrador",
        },
    )
    assert created.status_code == 303
    confirm = client.get(f"/app/clientes/{customer_id}/eliminar").text
    assert "no se puede eliminar" in confirm and "Sí, eliminar" not in confirm
    refused = client.post(f"/app/clientes/{customer_id}/eliminar", data={"csrf_token": token})
    assert refused.status_code == 409 and "inactívalo" in refused.text


def test_an_invoice_is_drafted_issued_and_paid_through_the_forms(app, database, tenant):
    customer_id = _customer(database, tenant, "Colegio San José")
    resolution_id = _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    form = client.get("/app/facturas/nueva").text
    assert "Plazo de pago" in form and "Medio de pago" in form and "próximo número <strong>FE1</strong>" in form
    token = csrf_of(form)
    lines = {
        "lineas": "3",
        "descripcion_0": "Resma carta",
        "cantidad_0": "10",
        "precio_0": "11.900",
        "descuento_0": "0",
        "iva_0": "19",
        "descripcion_1": "Asesoría",
        "cantidad_1": "1,5",
        "precio_1": "100000",
        "descuento_1": "10",
        "iva_1": "",
        "descripcion_2": "",
        "cantidad_2": "1",
        "precio_2": "",
        "descuento_2": "0",
        "iva_2": "19",
    }
    preview = client.post("/app/facturas/totales", data=lines, headers={"X-CSRF-Token": token})
    # 10 × 11.900 = 119.000 + IVA 19 % 22.610; 1,5 × 100.000 − 10 % = 135.000 excluded.
    assert 'id="subtotal">$ 254.000,00' in preview.text and 'id="total">$ 276.610,00' in preview.text
    issued = client.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": token,
            "customer_id": str(customer_id),
            "resolution_id": str(resolution_id),
            "forma_pago": "CONTADO",
            "accion": "emitir",
            **lines,
        },
    )
    # The notice travels in a one-shot cookie (web/notices.py), not in the address.
    assert issued.status_code == 303 and re.fullmatch(r"/app/facturas/[0-9a-f-]{36}", issued.headers["location"])
    page = client.get(issued.headers["location"]).text
    assert "Factura de venta FE1" in page and "$ 276.610,00" in page and "Emitida" in page
    assert "Factura emitida." in page
    assert "Factura emitida." not in client.get(issued.headers["location"]).text  # not again on reload
    invoice_path = issued.headers["location"].split("?")[0]
    too_much = client.post(
        f"{invoice_path}/pagos", data={"csrf_token": token, "valor": "300.000", "metodo": "EFECTIVO"}
    )
    assert too_much.status_code == 422 and "Supera el saldo de la factura ($ 276.610,00)." in too_much.text
    paid = client.post(
        f"{invoice_path}/pagos",
        data={"csrf_token": token, "valor": "276.610,00", "metodo": "TRANSFERENCIA", "referencia": "TRX-1"},
    )
    assert paid.status_code == 303
    page = client.get(paid.headers["location"]).text
    assert "Pagada" in page and "Pago registrado." in page and "TRX-1" in page
    assert "Registrar pago" not in page
    listing = client.get("/app/facturas", params={"buscar": "san jose"}).text
    assert "FE1" in listing and re.search(r"\d\d/\d\d/\d{4}", listing)


def test_an_invoice_with_no_lines_or_no_customer_shows_the_errors_beside_the_fields(app, database, tenant):
    _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    token = csrf_of(client.get("/app/facturas/nueva").text)
    refused = client.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": token,
            "customer_id": "",
            "lineas": "2",
            "descripcion_1": "Algo",
            "cantidad_1": "0",
            "precio_1": "1000",
            "accion": "borrador",
        },
    )
    assert refused.status_code == 422
    assert 'id="customer_id-error">' in refused.text
    assert 'id="cantidad_1-error">Debe ser mayor que 0.' in refused.text


def test_an_admin_voids_after_a_confirmation_and_manages_resolutions(app, database, tenant):
    customer_id = _customer(database, tenant)
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    token = csrf_of(client.get("/app/configuracion").text)
    today = bogota_today()  # the pages count days in Bogotá, not in the machine's zone
    bad = client.post(
        "/app/configuracion/resoluciones",
        data={
            "csrf_token": token,
            "numero_resolucion": "187",
            "prefijo": "SETP",
            "desde": "10",
            "hasta": "1",
            "vigente_desde": today.isoformat(),
            "vigente_hasta": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert bad.status_code == 422 and 'id="hasta-error">Debe ser mayor o igual que el inicio del rango.' in bad.text
    made = client.post(
        "/app/configuracion/resoluciones",
        data={
            "csrf_token": token,
            "numero_resolucion": "187",
            "prefijo": "SETP",
            "desde": "1",
            "hasta": "100",
            "vigente_desde": today.isoformat(),
            "vigente_hasta": (today + dt.timedelta(days=10)).isoformat(),
        },
    )
    assert made.status_code == 303
    settings = client.get("/app/configuracion").text
    assert "La resolución vence en 10 días." in settings and "Datos fiscales de la empresa" in settings
    resolution_id = re.search(
        r'id="resolution_id".*?<option value="([0-9a-f-]{36})"', client.get("/app/facturas/nueva").text, re.S
    )[1]
    issued = client.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": token,
            "customer_id": str(customer_id),
            "resolution_id": resolution_id,
            "forma_pago": "CONTADO",
            "lineas": "1",
            "descripcion_0": "Servicio",
            "cantidad_0": "1",
            "precio_0": "50000",
            "iva_0": "19",
            "accion": "emitir",
        },
    )
    invoice_path = issued.headers["location"].split("?")[0]
    assert "Anular" in client.get(invoice_path).text
    confirm = client.get(f"{invoice_path}/anular").text
    assert "no se puede deshacer" in confirm
    assert client.post(f"{invoice_path}/anular", data={"csrf_token": token, "motivo": ""}).status_code == 422
    voided = client.post(f"{invoice_path}/anular", data={"csrf_token": token, "motivo": "Error en el valor"})
    assert voided.status_code == 303 and "Anulada" in client.get(voided.headers["location"]).text


def test_the_dashboard_and_receivables_add_up_issued_balances(app, database, tenant):
    customer_id = _customer(database, tenant, "Droguería La Salud")
    resolution_id = _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.ADMIN].email)
    token = csrf_of(client.get("/app").text)
    client.post(
        "/app/facturas/nueva",
        data={
            "csrf_token": token,
            "customer_id": str(customer_id),
            "resolution_id": str(resolution_id),
            "forma_pago": "CONTADO",
            "lineas": "1",
            "descripcion_0": "Servicio",
            "cantidad_0": "2",
            "precio_0": "1234567,89",
            "iva_0": "",
            "accion": "emitir",
        },
    )
    home = client.get("/app").text
    assert home.count("$ 2.469.135,78") >= 2  # sales this month and receivable
    cartera = client.get("/app/cartera").text
    assert "Droguería La Salud" in cartera and "$ 2.469.135,78" in cartera
    # The ageing columns of the receivables report; issued today (CONTADO): not yet due.
    for column in ("Sin vencer", "1–30 días", "31–60 días", "61–90 días", "Más de 90 días"):
        assert column in cartera
    row = cartera.split("Droguería La Salud")[1].split("</tr>")[0]
    assert row.count("$ 2.469.135,78") == 2 and row.count("$ 0,00") == 4  # Sin vencer and Total; the rest 0


def test_a_draft_is_edited_then_duplicated_with_its_plazo_and_medio_de_pago(app, database, tenant):
    """Issue 26: drafts are editable from the page, any invoice is duplicated into a new draft, Plazo de pago
    computes the due date and Medio de pago is asked on the invoice."""
    customer_id = _customer(database, tenant, "Droguería La 14")
    resolution_id = _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    token = csrf_of(client.get("/app/facturas/nueva").text)
    line = {"lineas": "1", "descripcion_0": "Tarjetas de presentación", "cantidad_0": "1", "precio_0": "1.000"}
    header = {"csrf_token": token, "customer_id": str(customer_id), "resolution_id": str(resolution_id)}
    saved = client.post(
        "/app/facturas/nueva",
        data={**header, **line, "iva_0": "19", "plazo": "30", "medio_pago": "CONSIGNACION", "accion": "borrador"},
    )
    assert saved.status_code == 303
    path = saved.headers["location"].split("?")[0]
    page = client.get(path).text
    due = (bogota_today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    assert "Crédito" in page and due in page and "Consignación" in page and "Editar" in page
    editor = client.get(f"{path}/editar").text
    assert "Editar borrador" in editor and 'value="Tarjetas de presentación"' in editor
    assert '<option value="fecha" selected>' in editor  # its due date, kept as a date
    changed = client.post(
        f"{path}/editar",
        data={**header, **line, "cantidad_0": "20", "iva_0": "19", "plazo": "0", "medio_pago": "EFECTIVO"},
    )
    assert changed.status_code == 303 and changed.headers["location"].startswith(path)
    page = client.get(path).text
    # 20 × 1.000 + IVA 19 %: the clerk's 20 cards, not 201 or 1.
    assert "$ 23.800,00" in page and "Contado" in page and "Efectivo" in page
    copied = client.post(f"{path}/duplicar", data={"csrf_token": token})
    assert copied.status_code == 303 and copied.headers["location"].endswith("/editar")
    copy_editor = client.get(copied.headers["location"]).text
    assert "Copia guardada como borrador" in copy_editor and 'value="20"' in copy_editor
    assert copied.headers["location"].split("/")[3] != path.split("/")[3]
    # An issued invoice is not edited: its editor sends back to its page.
    issued = client.post(f"{path}/emitir", data={"csrf_token": token})
    assert issued.status_code == 303
    assert client.get(f"{path}/editar").headers["location"] == path
    refused = client.post(f"{path}/editar", data={**header, **line, "plazo": "0"})
    assert refused.status_code == 409 and "La factura no está en un estado que permita esta acción." in refused.text


def test_the_invoice_list_shows_the_dian_status_and_exports_what_it_shows_to_excel(app, database, tenant):
    import io

    from openpyxl import load_workbook

    customer_id = _customer(database, tenant, "Papelería El Cid")
    resolution_id = _resolution(database, tenant)
    client = signed_in(app, tenant.users[Role.OPERADOR].email)
    token = csrf_of(client.get("/app/facturas/nueva").text)
    for description in ("Lápices", "Borradores"):
        client.post(
            "/app/facturas/nueva",
            data={
                "csrf_token": token,
                "customer_id": str(customer_id),
                "resolution_id": str(resolution_id),
                "lineas": "1",
                "descripcion_0": description,
                "cantidad_0": "2",
                "precio_0": "1.500",
                "iva_0": "19",
                "accion": "emitir" if description == "Lápices" else "borrador",
            },
        )
    listing = client.get("/app/facturas").text
    assert '<th scope="col">DIAN</th>' in listing and "No electrónica" in listing and "Exportar a Excel" in listing
    download = client.get("/app/facturas/exportar", params={"estado": "ISSUED"})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="facturas.xlsx"'
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Número", "Cliente", "Fecha de emisión") and rows[0][-1] == "Estado en la DIAN"
    assert [r[0] for r in rows[1:]] == ["FE1"]  # the draft is filtered out, as on the page
    assert rows[1][1] == "Papelería El Cid" and rows[1][7] == 3570 and rows[1][10] == "Emitida"


def test_inicio_speaks_in_singular_and_plural_nets_credit_notes_and_guides_a_new_business(
    app, client, database, tenant
):
    from fixtures.einvoicing_api import accepted_invoice, configure, ok

    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    first = browser.get("/app").text
    assert "Primeros pasos" in first and "Registra la resolución de numeración" in first
    configure(client, tenant.headers())
    invoice = accepted_invoice(client, tenant.headers())
    ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/credit-notes",
            headers=tenant.headers(),
            json={
                "concept": 3,
                "description": "Descuento",
                "lines": [{"description": "Descuento", "quantity": "1", "unitPrice": "10000.00"}],
            },
        ),
        201,
    )
    home = browser.get("/app").text
    assert "1 factura emitida este mes" in home and "1 factura con saldo" in home
    assert "Primeros pasos" not in home or "Registra la resolución" not in home
    # Sales of the month are net of the note's 10.000,00 (a line without taxes).
    from decimal import Decimal

    from nitida.web.formatting import money

    net = money(Decimal(invoice["total"]) - Decimal("10000.00"))
    assert f'class="cifra">{net}' in home and "menos $ 10.000,00 en notas crédito" in home
    assert "Últimos documentos" in home and invoice["number"] in home
