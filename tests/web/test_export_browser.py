"""The export journey in a real Chromium (issue 25), SQLite and PostgreSQL, desktop and a 390x844 phone: an
operador's admin records a buyer abroad, drafts an export invoice in dollars (the editor offers the Exportación
section once that customer is chosen), issues it, and the PDF and XML carry the currency and the exchange rate."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import ConsoleMessage, Dialog, expect

from fixtures.browser import missing, spanish_chromium
from fixtures.common import PASSWORD
from fixtures.einvoicing_api import configure, ok, resolution_body
from fixtures.processes import free_port, start_service
from nitida.users.models import Role

pytestmark = pytest.mark.slow

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"  # git-ignored
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"escritorio": {"width": 1280, "height": 900}, "celular": {"width": 390, "height": 844}}


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is open.
@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        missing("node_modules/axe-core (npm ci)")
    with spanish_chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def service_url(database, database_url, tmp_path_factory):
    """A real service process on the test database (already migrated by ``database``)."""
    port = free_port()
    proc = start_service(database_url, port, tmp_path_factory.mktemp("export-service"))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


class Tab:
    """A browser tab of one viewport, with the checks every page of the browser tests gets (test_web_browser's):
    no CSP violation, axe-core without a serious or critical violation; dialogs accepted."""

    def __init__(self, browser, base_url: str, viewport: str) -> None:
        self.context = browser.new_context(
            base_url=base_url,
            locale="es-CO",
            timezone_id="America/Bogota",
            viewport=VIEWPORTS[viewport],
            is_mobile=viewport == "celular",
            has_touch=viewport == "celular",
        )
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.set_default_timeout(10_000)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        # Emitir asks first (static/app.js): the clerk says yes.
        self.dialogs.append(dialog.message)
        dialog.accept()

    def sign_in(self, email: str) -> None:
        self.page.goto("/")
        self.page.get_by_label("Correo electrónico").fill(email)
        self.page.get_by_label("Contraseña").fill(PASSWORD)
        self.page.get_by_role("button", name="Ingresar").click()
        self.page.wait_for_url(re.compile(r"/app$"))

    def check(self, shot: str) -> None:
        """axe-core, a screenshot, no CSP violation so far, and no sideways scrolling."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text())  # through the DevTools protocol: the page's CSP does not apply
        result = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not serious, f"{self.page.url}: {serious}"
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{shot}.png", full_page=True)
        csp = [e for e in self.console_errors if "Content Security Policy" in e]
        assert not csp, csp
        sideways = self.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert sideways <= 0, f"{self.page.url} scrolls sideways by {sideways}px"


@pytest.mark.parametrize("viewport", ["escritorio", "celular"])
def test_a_buyer_abroad_and_its_export_invoice_in_dollars(
    browser, service_url, client, tenant, engine_name, viewport, tmp_path
):
    headers = tenant.headers(Role.ADMIN)
    configure(client, headers)
    ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    t = Tab(browser, service_url, viewport)
    shot = f"exportacion-{viewport}-{engine_name}"
    t.sign_in(tenant.users[Role.ADMIN].email)
    page = t.page

    # The buyer abroad.
    page.goto("/app/clientes/nuevo")
    page.get_by_label("Tipo de documento").select_option("NIT_EXTRANJERO")
    page.get_by_label("Número de documento").fill("98-0578756")
    page.get_by_label("Razón social").fill("Acme Trading Inc.")
    page.get_by_label("Dirección", exact=True).fill("1200 Brickell Avenue, Suite 300")
    page.get_by_label("País").select_option("US")
    page.get_by_label("Ciudad", exact=True).fill("Miami")
    page.get_by_label("Estado, provincia o región").fill("Florida")
    t.check(f"{shot}-cliente-formulario")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(re.compile(r"/app/clientes/[0-9a-f-]{36}"))
    expect(page.locator("dl.datos")).to_contain_text("Estados Unidos")
    expect(page.locator("dl.datos")).to_contain_text("Miami, Florida")

    # The draft: the Exportación section appears once the customer abroad is chosen.
    page.goto("/app/facturas/nueva")
    expect(page.get_by_text("Factura de exportación")).to_have_count(0)
    acme = page.locator("#customer_id option", has_text="Acme Trading").get_attribute("value")
    page.get_by_label("Cliente", exact=True).select_option(acme)
    switch = page.get_by_label(re.compile("Factura de exportación"))
    expect(switch).to_be_visible()
    expect(page.get_by_label("Marca, línea 1")).to_be_hidden()  # only with the mark
    switch.check()
    expect(page.get_by_label("Marca, línea 1")).to_be_visible()
    page.get_by_label("Moneda").select_option("USD")
    page.get_by_label("Tasa de cambio (pesos por unidad)").fill("3.912,45")
    page.get_by_label("Descripción, línea 1").fill("Café verde excelso, saco de 70 kg")
    page.get_by_label("Cantidad, línea 1").fill("20")
    page.get_by_label("Precio unitario, línea 1").fill("310,55")
    page.get_by_label("IVA, línea 1").select_option("0")
    page.get_by_label("Marca, línea 1").fill("Nítida Café")
    page.get_by_label("Modelo, línea 1").fill("Excelso EP 70")
    expect(page.locator("#total")).to_have_text("USD 6.211,00")
    expect(page.get_by_label("Total de la línea 1")).to_have_text("USD 6.211,00")
    # A row added without a reload (the editor's line template) is exempt and asks its brand and model too.
    page.get_by_role("button", name="Agregar línea").click()
    expect(page.get_by_label("IVA, línea 3")).to_have_value("0")
    expect(page.get_by_label("Marca, línea 3")).to_be_visible()
    expect(page.get_by_label("Obsequio / muestra sin valor comercial").nth(2)).to_be_visible()
    t.check(f"{shot}-borrador")
    page.get_by_role("button", name="Emitir").click()
    # The notice is shown once on the invoice's page (web/notices.py), no longer in its address.
    page.wait_for_url(re.compile(r"/app/facturas/[0-9a-f-]{36}$"))
    expect(page.locator("p.aviso")).to_have_text("Factura emitida.")
    assert t.dialogs and t.dialogs[-1].startswith("¿Emitir la factura?")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Factura de exportación SETP\d+$"))
    expect(page.locator("#total")).to_have_text("USD 6.211,00")
    expect(page.locator("dl.datos").first).to_contain_text("1 USD = $ 3.912,45")
    t.check(f"{shot}-factura")

    # The PDF and the XML say the currency and the rate.
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Descargar PDF").click()
    pdf_path = tmp_path / "factura.pdf"
    pdf_download.value.save_as(pdf_path)
    text = " ".join(
        subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True, capture_output=True)
        .stdout.decode()
        .split()
    )
    for shown in (
        "Factura electrónica de exportación",
        "Moneda: USD (Dólar estadounidense)",
        "Tasa de cambio: 1 USD = $ 3.912,45 COP",
        "USD 6.211,00",
    ):
        assert shown in text, shown
    subprocess.run(
        ["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf_path), str(SCREENSHOTS / f"{shot}-pdf")], check=True
    )
    with page.expect_download() as xml_download:
        page.get_by_role("button", name="Descargar XML").click()
    xml_path = tmp_path / "factura.xml"
    xml_download.value.save_as(xml_path)
    root = etree.parse(str(xml_path)).getroot()
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "02"
    assert root.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "USD"
    assert root.findtext("cac:PaymentExchangeRate/cbc:CalculationRate", namespaces=NS) == "3912.45"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "6211.00"
    country = (
        "cac:AccountingCustomerParty/cac:Party/cac:PhysicalLocation/cac:Address/cac:Country/cbc:IdentificationCode"
    )
    assert root.findtext(country, namespaces=NS) == "US"
    t.context.close()
