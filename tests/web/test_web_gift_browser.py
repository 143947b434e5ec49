"""Issue 25, free lines in the invoice editor, in a real Chromium on desktop and on a 390×844 phone: the
clerk marks a line "Obsequio / muestra sin valor comercial" with its reference price, the live totals tax
it on that value, and the issued invoice's page says it is a gift. No horizontal scroll on the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from web import test_web_browser as journeys

from nitida.users.models import Role

pytestmark = pytest.mark.slow

# The browser, the service process and the tab of the back-office journeys.
browser, service_url, tab = journeys.browser, journeys.service_url, journeys.tab


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["escritorio", "movil"])
def test_an_operador_invoices_a_gift_at_its_reference_value(tab, database, tenant, engine_name, viewport):
    journeys._seed(database, tenant, "Librería Los Andes S.A.S.")
    t = tab()
    page = t.page
    if viewport:
        page.set_viewport_size(viewport)
    t.sign_in(tenant.users[Role.OPERADOR].email)
    if viewport:
        page.get_by_role("button", name="Menú").click()  # on a phone the menu folds behind «Menú»
    page.get_by_role("link", name="Facturas").first.click()
    page.get_by_role("button", name="Nueva factura").click()
    page.get_by_label("Cliente", exact=True).select_option(index=1)
    page.get_by_label("Descripción, línea 1").fill("Resma carta")
    page.get_by_label("Cantidad, línea 1").fill("10")
    page.get_by_label("Precio unitario, línea 1").fill("11.900")
    page.get_by_label("Descripción, línea 2").fill("Agenda 2027 (muestra)")
    page.get_by_label("Cantidad, línea 2").fill("3")
    page.locator("#obsequio_1").check()
    page.get_by_label("Valor de referencia, línea 2").fill("25.000")
    # IVA 19 % on 119.000 + the gift's 75.000 of reference value: 36.860; the gift itself costs nothing.
    expect(page.locator("#total")).to_have_text("$ 155.860,00")
    assert page.locator("#subtotal").inner_text() == "$ 119.000,00"
    assert "sobre $ 194.000,00" in page.locator("#totales").inner_text()
    name = "movil" if viewport else "escritorio"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    t.check(f"factura-obsequio-editor-{name}-{engine_name}")
    page.get_by_role("button", name="Emitir").click()
    page.wait_for_url(journeys.INVOICE_PAGE)  # the notice is not in the address (web/notices.py)
    expect(page.locator("p.aviso")).to_have_text("Factura emitida.")
    lines = page.locator("section[aria-labelledby=lineas]").inner_text()
    assert "Obsequio / muestra sin valor comercial · valor de referencia $ 25.000,00" in lines
    assert page.locator("#saldo").inner_text() == "$ 155.860,00"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    t.check(f"factura-obsequio-{name}-{engine_name}")


def test_a_gift_without_its_reference_price_is_refused_beside_its_field(tab, database, tenant, engine_name):
    journeys._seed(database, tenant, "Librería Los Andes S.A.S.")
    t = tab()
    page = t.page
    t.sign_in(tenant.users[Role.OPERADOR].email)
    page.get_by_role("link", name="Facturas").first.click()
    page.get_by_role("button", name="Nueva factura").click()
    page.get_by_label("Cliente", exact=True).select_option(index=1)
    page.get_by_label("Descripción, línea 1").fill("Muestra de tinta")
    page.locator("#obsequio_0").check()
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator("#referencia_0-error")).to_have_text("Debe ser mayor que 0.")
    assert page.locator("#obsequio_0").is_checked()  # the form keeps what was typed
