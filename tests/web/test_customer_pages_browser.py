"""Issue 26 in Chromium (slow), on a desktop and on a 390x844 phone with no sideways scroll: a clerk imports
customers through the dry run, reads and downloads a customer's estado de cuenta, and works the Cartera (cut-off
date, a row that opens the invoices behind it, the Excel export)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from playwright.sync_api import expect
from web.test_web_browser import Page, browser, service_url  # noqa: F401 - fixtures of the browser tests

from fixtures.einvoicing_api import ISSUER_BODY
from fixtures.receivables import make_customer, make_invoice, make_resolution, pay, today
from nitida.users.models import Role

pytestmark = pytest.mark.slow

VIEWPORTS = {"escritorio": {"width": 1366, "height": 768}, "telefono": {"width": 390, "height": 844}}


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_clerk_imports_customers_reads_a_statement_and_works_the_cartera(
    browser,  # noqa: F811
    service_url,  # noqa: F811
    client,
    tenant,
    engine_name,
    viewport,
    tmp_path,
):
    assert client.put("/billing/issuer", headers=tenant.headers(), json=ISSUER_BODY).status_code == 200
    resolution = make_resolution(client, tenant)
    colegio = make_customer(client, tenant, "Colegio Los Andes S.A.S.", tipoDocumento="NIT", nit="800197268")
    invoice = make_invoice(client, tenant, colegio, resolution, "100000.00")
    pay(client, tenant, invoice, "30000.00", reference="TRX-77")
    t = Page(browser, service_url)
    t.context.set_default_timeout(10_000)
    page = t.page
    page.set_viewport_size(VIEWPORTS[viewport])
    shot = f"{viewport}-{engine_name}"
    try:
        t.sign_in(tenant.users[Role.OPERADOR].email)

        # --- import: the dry run names the new customer and each change, then the clerk applies it
        page.goto("/app/clientes")
        page.get_by_role("button", name="Importar clientes").click()
        content = _csv(
            "Razón social;Número de documento;Teléfono",
            "Colegio Los Andes S.A.S.;800.197.268-4;6013456789",
            "Panadería El Trigal;52123456;3001234567",
        )
        page.get_by_label("Archivo").set_input_files(
            {"name": "clientes.csv", "mimeType": "text/csv", "buffer": content}
        )
        page.get_by_label("Crear los nuevos y actualizar los ya registrados").check()
        page.get_by_role("button", name="Revisar el archivo").click()
        expect(page.get_by_text("Nada ha cambiado todavía.")).to_be_visible()
        expect(page.locator("#nuevos ~ div")).to_contain_text("Panadería El Trigal")
        change = page.locator("article.cambio-importacion")
        expect(change).to_contain_text("Colegio Los Andes S.A.S.")
        expect(change.locator("tr", has_text="Teléfono")).to_contain_text("6013456789")
        _no_sideways_scroll(page)
        t.check(f"importar-revision-{shot}")
        page.get_by_role("button", name="Aplicar importación").click()
        page.wait_for_url(re.compile(r"creados=1"))
        assert t.dialogs and "¿Crear 1 y modificar 1 cliente" in t.dialogs[-1]
        expect(page.get_by_role("status")).to_have_text("Importación aplicada: 1 cliente creado y 1 cliente modificado")
        _no_sideways_scroll(page)

        # --- estado de cuenta: running balance, a period, PDF and Excel
        page.goto(f"/app/clientes/{colegio['id']}")
        page.get_by_role("button", name="Estado de cuenta").click()
        movements = page.locator("#movimientos")
        expect(movements).to_contain_text("$ 100.000,00")
        expect(movements.locator("tfoot")).to_contain_text("$ 70.000,00")
        _no_sideways_scroll(page)
        t.check(f"estado-de-cuenta-{shot}")
        page.get_by_label("Desde").fill((today() + timedelta(days=1)).isoformat())
        page.get_by_label("Hasta").fill((today() + timedelta(days=1)).isoformat())
        page.get_by_role("button", name="Ver periodo").click()
        expect(movements).to_contain_text("Sin movimientos en el periodo.")
        page.get_by_label("Desde").fill("")
        page.get_by_role("button", name="Ver periodo").click()
        with page.expect_download() as pdf:
            page.get_by_role("button", name="Descargar PDF").click()
        assert pdf.value.suggested_filename == "estado-de-cuenta-800197268.pdf"
        assert (tmp_path / "e.pdf").write_bytes(pdf.value.path().read_bytes()) and pdf.value.path().read_bytes()[
            :4
        ] == b"%PDF"
        with page.expect_download() as xlsx:
            page.get_by_role("button", name="Descargar Excel").click()
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.value.path().read_bytes())).active
        assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [
            "Saldo inicial",
            "Factura",
            "Pago",
            "Saldo final",
        ]

        # "Enviar por correo": queued for the mail machinery (its sending: test_customer_pages)
        page.get_by_label("Enviar el estado de cuenta (PDF) a").fill("tesoreria@colegiolosandes.edu.co")
        page.get_by_role("button", name="Enviar por correo").click()
        expect(page.get_by_role("status")).to_have_text(
            "Estado de cuenta en cola de envío a tesoreria@colegiolosandes.edu.co."
        )
        _no_sideways_scroll(page)

        # --- cartera: cut-off date, a row that opens the invoices, the export
        if page.get_by_role("button", name="Menú").is_visible():  # on a phone the menu folds behind «Menú»
            page.get_by_role("button", name="Menú").click()
        page.get_by_role("link", name="Cartera").first.click()
        expect(page.get_by_role("region", name="Cartera por cliente")).to_contain_text("$ 70.000,00")
        _no_sideways_scroll(page)
        t.check(f"cartera-{shot}")
        page.get_by_label("Fecha de corte").fill((today() - timedelta(days=1)).isoformat())
        page.get_by_role("button", name="Ver cartera al corte").click()
        expect(page.get_by_text("No hay facturas con saldo pendiente.")).to_be_visible()
        page.get_by_label("Fecha de corte").fill(today().isoformat())
        page.get_by_role("button", name="Ver cartera al corte").click()
        with page.expect_download() as exported:
            page.get_by_role("button", name="Exportar a Excel").click()
        rows = list(openpyxl.load_workbook(io.BytesIO(exported.value.path().read_bytes())).active.iter_rows())
        assert rows[1][0].value == "Colegio Los Andes S.A.S." and rows[-1][0].value == "Total"
        page.get_by_role("link", name="Colegio Los Andes S.A.S.").click()
        page.wait_for_url(re.compile(r"/app/facturas\?cliente="))
        expect(page.locator("#resultados")).to_contain_text("$ 70.000,00")
        _no_sideways_scroll(page)
        assert not t.console_errors, t.console_errors
    finally:
        t.close()


def test_the_customer_form_keeps_fiscal_data_consistent_and_enter_does_not_send_it(
    browser,  # noqa: F811
    service_url,  # noqa: F811
    tenant,
):
    t = Page(browser, service_url)
    page = t.page
    try:
        t.sign_in(tenant.users[Role.OPERADOR].email)
        page.goto("/app/clientes/nuevo")
        page.get_by_label("Número de documento").press_sequentially("900123456", delay=20)
        expect(page.locator("#nit-propio")).to_have_text(
            "Es el NIT de tu propia empresa: revisa que este cliente no seas tú mismo."
        )
        page.get_by_label("Número de documento").fill("")
        page.get_by_label("Número de documento").press_sequentially("800197268", delay=20)
        expect(page.locator("#dv")).to_have_text("DV 4")
        expect(page.locator("#nit-propio")).to_have_text("")
        # Enter in a text field of a half-filled form sends nothing.
        page.get_by_label("Razón social").fill("Colegio Los Andes S.A.S.")
        page.get_by_label("Razón social").press("Enter")
        page.wait_for_timeout(500)
        assert page.url.endswith("/app/clientes/nuevo")
        assert page.get_by_role("heading", name="Nuevo cliente").is_visible()
        # R-99-PN and the O- codes exclude each other.
        r99 = page.locator('input[name="responsabilidades"][value="R-99-PN"]')
        o13 = page.locator('input[name="responsabilidades"][value="O-13"]')
        expect(r99).to_be_checked()
        o13.check()
        expect(r99).not_to_be_checked()
        r99.check()
        expect(o13).not_to_be_checked()
        assert not t.console_errors, t.console_errors
    finally:
        t.close()
