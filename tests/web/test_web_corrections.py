"""The back office's side of issue 25: "Corregir y reenviar" on a rejected invoice's page, no note and no
anulación on an invoice the DIAN did not accept (said in Spanish), and a resolution's DIAN environment in
Configuración."""

from __future__ import annotations

import re

from fixtures.einvoicing_api import configure, dian_rejects, issued_invoice, ok, resolution_body
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role


def _rejected(client, tenant) -> dict:
    configure(client, tenant.headers())
    return dian_rejects(client, tenant.headers(), issued_invoice(client, tenant.headers()))


def test_a_rejected_invoice_is_corrected_and_sent_again_from_its_page(app, tenant, client):
    invoice = _rejected(client, tenant)
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    path = f"/app/facturas/{invoice['id']}"
    html = browser.get(path).text
    assert "Corregir y reenviar" in html and "Nueva nota crédito" not in html and ">Anular<" not in html
    assert "no admite notas ni anulación" in html

    form = browser.get(f"{path}/corregir")
    assert form.status_code == 200
    assert f"Corregir y reenviar la factura {invoice['number']}" in form.text
    assert "Nombre informado No corresponde al registrado en el RUT." in form.text
    assert f"{invoice['number']} (se conserva)" in form.text and 'name="resolution_id"' not in form.text
    token = csrf_of(form.text)
    base = {"csrf_token": token, "customer_id": invoice["customerId"], "plazo": "0", "medio_pago": "EFECTIVO"}
    line = {"descripcion_0": "Resma papel carta 75 g", "cantidad_0": "4", "precio_0": "11.900", "iva_0": "19"}

    bad = browser.post(f"{path}/corregir", data={**base, **line, "cantidad_0": "-2", "accion": "corregir"})
    assert bad.status_code == 422, bad.text
    assert "Debe ser mayor que 0." in bad.text
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))["cufe"] == invoice["cufe"]

    done = browser.post(f"{path}/corregir", data={**base, **line, "accion": "corregir"})
    assert done.status_code == 303, done.text
    page = browser.get(done.headers["location"]).text
    assert "Factura corregida y firmada de nuevo con el mismo número" in page
    assert "Corregida tras el rechazo de la DIAN: mismo número, nuevo CUFE" in page
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))
    assert after["number"] == invoice["number"] and after["cufe"] != invoice["cufe"]
    assert after["electronicStatus"] == "SIGNED" and after["total"] == "56644.00"  # 4 × 11 900 + IVA 19 %
    assert re.search(after["cufe"], page)
    # Not rejected any more: the page no longer offers it, and the form says why.
    assert "Corregir y reenviar" not in page
    again = browser.get(f"{path}/corregir")
    assert again.status_code == 409 and "Solo una factura rechazada por la DIAN" in again.text


def test_a_rejected_invoice_is_not_voided_and_the_page_says_what_to_do(app, tenant, client):
    invoice = _rejected(client, tenant)
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    path = f"/app/facturas/{invoice['id']}"
    token = csrf_of(browser.get(path).text)
    refused = browser.post(f"{path}/anular", data={"csrf_token": token, "motivo": "Error en el valor"})
    assert refused.status_code == 409
    assert "La DIAN rechazó esta factura: no admite notas crédito o débito ni anulación" in refused.text
    assert "Corregir y reenviar" in refused.text
    note = browser.post(f"{path}/notas-credito", data={"csrf_token": token, "concepto": "2", "descripcion": "x"})
    assert note.status_code == 409 and "Corregir y reenviar" in note.text
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))["status"] == "ISSUED"


def test_configuracion_shows_and_asks_a_resolutions_environment(app, tenant, client):
    configure(client, tenant.headers())
    ok(client.post("/billing/resolutions", headers=tenant.headers(), json=resolution_body()), 201)
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    html = browser.get("/app/configuracion").text
    assert '<th scope="col">Ambiente</th>' in html and "Habilitación (pruebas de la DIAN)" in html
    assert 'id="ambiente_resolucion"' in html
    form = {
        "csrf_token": csrf_of(html),
        "numero_resolucion": "18760000001",
        "prefijo": "SETQ",
        "desde": "1",
        "hasta": "100",
        "vigente_desde": "2026-01-01",
        "vigente_hasta": "2027-12-31",
        "clave_tecnica": "b" * 40,
        "ambiente_resolucion": "PRODUCCION",
    }
    refused = browser.post("/app/configuracion/resoluciones", data=form)
    assert refused.status_code == 422
    assert "La resolución 18760000001 es el set de pruebas de la DIAN: solo sirve en habilitación." in refused.text
    made = browser.post(
        "/app/configuracion/resoluciones", data={**form, "numero_resolucion": "18764000000777", "prefijo": "FE"}
    )
    assert made.status_code == 303, made.text
    [fe] = [r for r in ok(client.get("/billing/resolutions", headers=tenant.headers())) if r["prefix"] == "FE"]
    assert fe["environment"] == "PRODUCCION"
    page = browser.get("/app/configuracion").text
    assert "No sirve en el ambiente actual de la empresa." in page
