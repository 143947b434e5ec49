"""Issue 26, Customers and Cartera through the pages (both engines): import with its dry run, the estado de
cuenta and its downloads, the cartera's cut-off date, its rows and its export."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl

from fixtures.receivables import make_customer, make_invoice, make_resolution, pay, today
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def test_an_import_from_the_page_shows_each_new_customer_and_each_change_before_applying(app, client, tenant):
    colegio = make_customer(client, tenant, "Colegio Los Andes S.A.S.", tipoDocumento="NIT", nit="800197268")
    page = signed_in(app, tenant.users[Role.OPERADOR].email)
    form = page.get("/app/clientes/importar")
    assert form.status_code == 200 and "Importar clientes" in form.text
    content = _csv(
        "Razón social;Número de documento;Teléfono",
        "Droguería La 14 Sur;800197268;3001234567",
        "Panadería El Trigal;52123456;",
    )
    dry = page.post(
        "/app/clientes/importar",
        data={"csrf_token": csrf_of(form.text), "modo": "upsert"},
        files={"archivo": ("clientes.csv", content, "text/csv")},
    )
    assert dry.status_code == 200, dry.text
    html = dry.text
    assert "Nada ha cambiado todavía" in html
    assert "Panadería El Trigal" in html  # the new customer, named
    # The customer that would change, as it is now, and each field: old -> new.
    assert "Colegio Los Andes S.A.S." in html
    assert re.search(r"Razón social</th><td><del>Colegio Los Andes S.A.S.</del></td><td><ins>Droguería La 14 Sur", html)
    assert re.search(r"Teléfono</th><td><del>—</del></td><td><ins>3001234567", html)
    assert "Aplicar importación" in html
    # Nothing changed yet.
    api = client.get(f"/billing/customers/{colegio['id']}", headers=tenant.headers()).json()
    assert api["razonSocial"] == "Colegio Los Andes S.A.S."

    encoded = re.search(r'name="archivo" value="([^"]+)"', html)[1]
    applied = page.post(
        "/app/clientes/importar/aplicar",
        data={"csrf_token": csrf_of(html), "modo": "upsert", "nombre": "clientes.csv", "archivo": encoded},
    )
    assert applied.status_code == 303, applied.text
    done = page.get(applied.headers["location"])
    assert "Importación aplicada: 1 cliente creado y 1 cliente modificado" in done.text
    api = client.get(f"/billing/customers/{colegio['id']}", headers=tenant.headers()).json()
    assert (api["razonSocial"], api["telefono"]) == ("Droguería La 14 Sur", "3001234567")


def test_an_import_with_bad_rows_names_them_in_spanish_and_offers_no_apply(app, client, tenant):
    make_customer(client, tenant, "Existente S.A.S.", tipoDocumento="NIT", nit="900123456")
    page = signed_in(app, tenant.users[Role.OPERADOR].email)
    token = csrf_of(page.get("/app/clientes/importar").text)
    content = _csv("Razón social;NIT", "Existente S.A.S.;900123456", ";52123456", "Otro;900.123.456-1")
    r = page.post(
        "/app/clientes/importar", data={"csrf_token": token}, files={"archivo": ("c.csv", content, "text/csv")}
    )
    assert r.status_code == 200
    assert "El número 900123456 ya está registrado: Existente S.A.S." in r.text
    assert "Este campo es obligatorio." in r.text
    assert "El dígito de verificación (DV) del NIT 900123456 es 8, no 1." in r.text
    assert "Aplicar importación" not in r.text
    no_header = page.post(
        "/app/clientes/importar",
        data={"csrf_token": token},
        files={"archivo": ("c.csv", _csv("Nombre completo;Celular", "Ana;300"), "text/csv")},
    )
    assert no_header.status_code == 422 and "le falta: Razón social, Número de documento" in no_header.text
    nothing = page.post("/app/clientes/importar", data={"csrf_token": token})
    assert nothing.status_code == 422 and "Elige un archivo CSV o XLSX." in nothing.text
    # CONSULTA may not import.
    reader = signed_in(app, tenant.users[Role.CONSULTA].email)
    assert reader.get("/app/clientes/importar").status_code == 403


def test_the_estado_de_cuenta_shows_the_running_balance_and_downloads_it(app, client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Ferretería Ñandú Ltda.")
    invoice = make_invoice(client, tenant, customer, resolution, "100000.00")
    pay(client, tenant, invoice, "30000.00")
    page = signed_in(app, tenant.users[Role.CONSULTA].email)
    detail = page.get(f"/app/clientes/{customer['id']}")
    assert f'href="/app/clientes/{customer["id"]}/estado-de-cuenta"' in detail.text
    r = page.get(f"/app/clientes/{customer['id']}/estado-de-cuenta")
    assert r.status_code == 200
    assert "$ 100.000,00" in r.text and "$ 30.000,00" in r.text and "$ 70.000,00" in r.text
    assert "Saldo final al " + today().strftime("%d/%m/%Y") in r.text
    # A period after today's movements: opening balance 70.000, nothing moves.
    later = (today() + timedelta(days=1)).isoformat()
    r = page.get(f"/app/clientes/{customer['id']}/estado-de-cuenta", params={"desde": later, "hasta": later})
    assert "Sin movimientos en el periodo." in r.text and r.text.count("$ 70.000,00") == 2
    bad = page.get(f"/app/clientes/{customer['id']}/estado-de-cuenta", params={"desde": later, "hasta": "2020-01-01"})
    assert bad.status_code == 422 and "La fecha inicial no puede ser posterior a la final." in bad.text

    base = f"/app/clientes/{customer['id']}/estado-de-cuenta/descargar"
    pdf = page.get(base, params={"formato": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    xlsx = page.get(base, params={"formato": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Fecha", "Movimiento", "Documento", "Factura", "Cargo", "Abono", "Saldo"]
    assert [v[1] for v in values[1:]] == ["Saldo inicial", "Factura", "Pago", "Saldo final"]
    assert values[-1][6] == 70000
    api = client.get(
        f"/billing/customers/{customer['id']}/statement", params={"format": "csv"}, headers=tenant.headers()
    )
    assert page.get(base, params={"formato": "csv"}).content == api.content  # one code path with the API
    assert page.get(base, params={"formato": "doc"}).status_code == 400


def test_cartera_has_a_cut_off_date_rows_that_open_the_invoices_and_an_export(app, client, tenant):
    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Colegio Santa Ana")
    make_invoice(client, tenant, customer, resolution, "1234.50")
    page = signed_in(app, tenant.users[Role.CONSULTA].email)
    r = page.get("/app/cartera")
    assert "Colegio Santa Ana" in r.text and "$ 1.234,50" in r.text
    link = re.search(r'href="(/app/facturas\?cliente=[^"]+)"', r.text)[1].replace("&amp;", "&")
    assert f"cliente={customer['id']}" in link and "estado=ISSUED" in link
    invoices = page.get(link)
    assert invoices.status_code == 200 and "$ 1.234,50" in invoices.text
    yesterday = (today() - timedelta(days=1)).isoformat()
    before = page.get("/app/cartera", params={"corte": yesterday})
    assert "Colegio Santa Ana" not in before.text and "No hay facturas con saldo pendiente." in before.text
    assert page.get("/app/cartera", params={"corte": "31/02/2026"}).status_code == 422

    xlsx = page.get("/app/cartera/exportar", params={"formato": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1][0] == "Colegio Santa Ana" and rows[-1][0] == "Total" and rows[-1][-1] == 1234.5
    csv = page.get("/app/cartera/exportar", params={"formato": "csv"})
    api = client.get("/billing/reports/aging", params={"format": "csv"}, headers=tenant.headers())
    assert csv.content == api.content  # the API's file
    assert page.get("/app/cartera/exportar", params={"formato": "csv", "corte": yesterday}).content.count(b"\r\n") == 2


def test_the_customer_form_warns_when_the_number_is_the_business_own_nit(app, tenant):
    page = signed_in(app, tenant.users[Role.OPERADOR].email)
    own = page.get("/app/clientes/dv", params={"tipo_documento": "NIT", "numero": "900.123.456-8"})
    assert own.text.startswith("DV 8") and "Es el NIT de tu propia empresa" in own.text
    assert 'hx-swap-oob="true"' in own.text
    other = page.get("/app/clientes/dv", params={"tipo_documento": "NIT", "numero": "800197268"})
    assert other.text.startswith("DV 4") and "propia empresa" not in other.text
    form = page.get("/app/clientes/nuevo")
    assert 'id="nit-propio"' in form.text and "data-enter-no-envia" in form.text


def test_enviar_por_correo_sends_the_statement_pdf_through_the_mail_machinery(app, client, tenant, database, settings):
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    from fixtures.einvoicing_api import ISSUER_BODY
    from fixtures.processes import free_port
    from nitida.core.settings import Settings
    from nitida.jobs.worker import Worker

    resolution = make_resolution(client, tenant)
    customer = make_customer(client, tenant, "Ferretería Ñandú Ltda.", email="cartera@nandu.co")
    make_invoice(client, tenant, customer, resolution, "1234.50")
    page = signed_in(app, tenant.users[Role.OPERADOR].email)
    url = f"/app/clientes/{customer['id']}/estado-de-cuenta"
    form = page.get(url)
    assert 'value="cartera@nandu.co"' in form.text and "Enviar por correo" in form.text
    # Without the business's own e-mail there is no sender: said, nothing queued.
    refused = page.post(f"{url}/enviar", data={"csrf_token": csrf_of(form.text), "correo": "cartera@nandu.co"})
    assert refused.status_code == 422 and "La empresa no tiene correo de envío" in refused.text
    assert client.put("/billing/issuer", headers=tenant.headers(), json=ISSUER_BODY).status_code == 200
    blank = page.post(f"{url}/enviar", data={"csrf_token": csrf_of(form.text), "correo": ""})
    assert blank.status_code == 422 and "Escribe el correo electrónico al que enviarlo." in blank.text
    sent = page.post(f"{url}/enviar", data={"csrf_token": csrf_of(form.text), "correo": "tesoreria@nandu.co"})
    assert sent.status_code == 303
    assert "Estado de cuenta en cola de envío a tesoreria@nandu.co." in page.get(sent.headers["location"]).text
    assert page.get(url).text.count("cola de envío") == 0  # the notice does not come back on reload

    class Inbox:
        messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope.original_content)
            return "250 OK"

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        configured = Settings(
            database_url=settings.database_url, secret_key=settings.secret_key, smtp_url=f"smtp://127.0.0.1:{port}"
        )
        Worker(database, only_tenant=tenant.id, settings=configured, name="statement-mail").run_until_idle()
    finally:
        controller.stop()
    [raw] = inbox.messages
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["To"] == "tesoreria@nandu.co" and msg["Subject"].startswith("Estado de cuenta · Ferretería Ñandú Ltda.")
    assert "$ 1.234,50" in msg.get_body().get_content()
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_filename().startswith("estado-de-cuenta-") and pdf.get_content().startswith(b"%PDF")
    detail = page.get(f"/app/clientes/{customer['id']}")
    assert "Estado de cuenta enviado por correo" in detail.text and "tesoreria@nandu.co" in detail.text
