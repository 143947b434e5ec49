"""Issue 25 in a real Chromium against a real service process, on both engines: an invoice the DIAN rejected
(the project's fake DIAN answering with its real rule rejection, through the job worker) is corrected on its
page with "Corregir y reenviar" and sent again under the same number, and the DIAN accepts it: on a desktop
and on a 390x844 phone, with no sideways scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, expect

from fixtures import dian as answers
from fixtures.browser import spanish_chromium
from fixtures.common import PASSWORD, SECRET
from fixtures.einvoicing_api import configure, issued_invoice, ok
from fixtures.processes import free_port, start_service
from nitida.core.settings import Settings
from nitida.devtools.fake_dian import FakeDian
from nitida.jobs.worker import Worker
from nitida.users.models import Role

pytestmark = pytest.mark.slow

VIEWPORTS = {"escritorio": {"width": 1280, "height": 900}, "telefono": {"width": 390, "height": 844}}
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def browser():
    with spanish_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def service_url(database, database_url, tmp_path_factory):
    """No in-process worker: the test runs the delivery jobs itself, against the fake DIAN."""
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NITIDA_INPROCESS_WORKER", "false")
        proc = start_service(database_url, port, tmp_path_factory.mktemp("corrections-service"))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_rejected_invoice_is_corrected_resent_and_accepted(
    browser, service_url, client, database, database_url, tenant, viewport
):
    with FakeDian(stall_seconds=2) as fake:
        dian = answers.StatefulDian(reject=True).install(fake)
        worker = Worker(
            database,
            only_tenant=tenant.id,
            name=f"corrections-{tenant.id.hex[:6]}",
            settings=Settings(
                database_url=database_url,
                secret_key=SECRET,
                dian_url=fake.url,
                dian_timeout_seconds=5,
                smtp_url="smtp://127.0.0.1:9?timeout=1",
                job_backoff_seconds=0,
                job_backoff_cap_seconds=1,
            ),
        )
        headers = tenant.headers()
        configure(client, headers)
        invoice = issued_invoice(client, headers)
        worker.run_until_idle()
        assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))["electronicStatus"] == "REJECTED"

        context = browser.new_context(
            base_url=service_url, locale="es-CO", timezone_id="America/Bogota", viewport=VIEWPORTS[viewport]
        )
        try:
            page = context.new_page()
            dialogs: list[str] = []

            def answer(dialog: Dialog) -> None:  # Corregir y reenviar asks first: the clerk says yes
                dialogs.append(dialog.message)
                dialog.accept()

            page.on("dialog", answer)
            page.set_default_timeout(15_000)
            page.goto("/app/ingresar")
            page.get_by_label("Correo electrónico").fill(tenant.users[Role.OPERADOR].email)
            page.get_by_label("Contraseña").fill(PASSWORD)
            page.get_by_role("button", name="Ingresar").click()
            page.wait_for_url(re.compile(r"/app$"))

            page.goto(f"/app/facturas/{invoice['id']}")
            expect(page.locator("#estado-electronico")).to_contain_text("Rechazada")
            assert "Regla: FAN02, Rechazo: Método de pago inválido" in page.content()
            assert page.locator("a", has_text="Anular").count() == 0
            assert page.evaluate(SIDEWAYS) <= 0
            page.locator("a", has_text="Corregir y reenviar").click()
            page.wait_for_url(re.compile(r"/corregir$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Corregir y reenviar la factura {invoice['number']}"
            )
            assert "Método de pago inválido" in page.content()
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=f"/tmp/corregir-{viewport}.png", full_page=True)

            # The clerk fixes the payment method and the first line's quantity, then sends it again.
            dian.reject = False
            page.get_by_label("Medio de pago").select_option("EFECTIVO")
            page.get_by_label("Cantidad, línea 1").fill("8")
            page.get_by_role("button", name="Corregir y reenviar").click()
            # The one-shot notice on the invoice's page (main's notices travel in a cookie, not the URL).
            page.wait_for_url(re.compile(rf"/app/facturas/{invoice['id']}"))
            expect(page.locator("p.aviso[role=status]")).to_contain_text("mismo número")
            assert any("mismo número" in d for d in dialogs), dialogs
            cufe = page.locator("#cufe").inner_text()
            assert re.fullmatch(r"[0-9a-f]{96}", cufe) and cufe != invoice["cufe"]
            expect(page.get_by_role("heading", level=1)).to_contain_text(invoice["number"])
            assert page.evaluate(SIDEWAYS) <= 0

            worker.run_until_idle()
            page.reload()
            expect(page.locator("#estado-electronico")).to_contain_text("Aceptada")
            assert page.locator("a", has_text="Corregir y reenviar").count() == 0
            expect(page.locator("#historial ~ div")).to_contain_text("Corregida tras el rechazo de la DIAN")
            assert page.evaluate(SIDEWAYS) <= 0
            page.screenshot(path=f"/tmp/corregida-{viewport}.png", full_page=True)
        finally:
            context.close()
    shown = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))
    assert shown["number"] == invoice["number"] and shown["electronicStatus"] == "ACCEPTED"
    assert shown["paymentMethod"] == "EFECTIVO" and shown["lines"][0]["quantity"].startswith("8")
    [version] = ok(client.get(f"/billing/invoices/{invoice['id']}/rejected-versions", headers=headers))
    assert version["cufe"] == invoice["cufe"]
