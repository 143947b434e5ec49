"""The back office for buyers abroad and the export invoice (issue 25), SQLite and PostgreSQL: the customer form's
country and foreign address with Spanish errors beside their field, the editor's Exportación section offered for
a customer abroad only, and the invoice page in the invoice's currency."""

from __future__ import annotations

import re

from fixtures.einvoicing_api import configure, dian_accepts, ok, resolution_body
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role


def _error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert found, f"no error beside {field}"
    return found[1]


FOREIGN_FORM = {
    "tipo_persona": "",
    "tipo_documento": "NIT_EXTRANJERO",
    "numero": "98-0578756",
    "razon_social": "Acme Trading Inc.",
    "direccion": "1200 Brickell Avenue, Suite 300",
    "pais": "US",
    "ciudad_exterior": "Miami",
    "region_exterior": "Florida",
    "tributo": "ZZ",
}


def test_the_customer_form_records_a_buyer_abroad_and_says_what_is_wrong_in_spanish(app, tenant, client):
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    form = browser.get("/app/clientes/nuevo").text
    assert (
        '<option value="CO" selected>Colombia</option>' in form and '<option value="US">Estados Unidos</option>' in form
    )
    for label in ("País", "En el exterior", "Ciudad", "Estado, provincia o región"):
        assert f">{label}<" in form, label
    assert '<option value="SIN_ID_EXTERIOR">Sin identificación del exterior</option>' in form
    token = csrf_of(form)
    # "Sin identificación del exterior" in Colombia: refused, beside the field, in Spanish.
    wrong = browser.post(
        "/app/clientes/nuevo",
        data={**FOREIGN_FORM, "csrf_token": token, "pais": "CO", "tipo_documento": "SIN_ID_EXTERIOR"},
    )
    assert wrong.status_code in (400, 422), wrong.status_code
    assert _error(wrong.text, "tipo_documento").startswith("«Sin identificación del exterior» es solo para un cliente")
    assert ok(client.get("/billing/customers", headers=tenant.headers())) == []
    # The form shows the address group of the country chosen; what the hidden group holds is not sent.
    assert 'class="solo-colombia"' in form and 'class="solo-exterior"' in form
    form_with_both = {**FOREIGN_FORM, "csrf_token": token, "municipio": "11001", "codigo_postal": "110231"}
    created = browser.post("/app/clientes/nuevo", data=form_with_both)
    assert created.status_code == 303, created.text
    page = browser.get(created.headers["location"]).text
    for shown in ("Estados Unidos", "Miami, Florida", "NIT de otro país"):
        assert shown in page, shown
    # Its history says so in Spanish.
    assert "País: — → Estados Unidos" in page and "Ciudad (exterior): — → Miami" in page
    [stored] = ok(client.get("/billing/customers", headers=tenant.headers()))
    assert (stored["paisCodigo"], stored["ciudadExterior"], stored["tipoPersona"]) == ("US", "Miami", "JURIDICA")
    assert (stored["municipioCodigo"], stored["codigoPostal"]) == (None, None)
    edit = browser.get(f"/app/clientes/{stored['id']}/editar").text
    assert '<option value="US" selected>' in edit and 'value="Miami"' in edit


def _setup(client, tenant) -> tuple[dict, dict, dict]:
    headers = tenant.headers()
    configure(client, headers)
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    abroad = ok(
        client.post(
            "/billing/customers",
            headers=headers,
            json={
                "razonSocial": "Acme Trading Inc.",
                "tipoDocumento": "NIT_EXTRANJERO",
                "nit": "980578756",
                "paisCodigo": "US",
                "ciudadExterior": "Miami",
                "direccion": "1200 Brickell Avenue",
            },
        ),
        201,
    )
    local = ok(
        client.post(
            "/billing/customers",
            headers=headers,
            json={"razonSocial": "Ferretería Antioqueña S.A.S.", "nit": "901555333", "municipioCodigo": "05001"},
        ),
        201,
    )
    return resolution, abroad, local


def _editor_form(resolution: dict, customer: dict, token: str, **changes) -> dict:
    return {
        "csrf_token": token,
        "lineas": "1",
        "customer_id": customer["id"],
        "resolution_id": resolution["id"],
        "plazo": "0",
        "medio_pago": "TRANSFERENCIA",
        "exportacion": "1",
        "moneda": "USD",
        "tasa_cambio": "3.912,45",
        "descripcion_0": "Café verde excelso, saco de 70 kg",
        "cantidad_0": "20",
        "precio_0": "310,55",
        "descuento_0": "0",
        "iva_0": "0",
        "marca_0": "Nítida Café",
        "modelo_0": "Excelso EP 70",
        "accion": "borrador",
        **changes,
    }


def test_the_editor_offers_the_export_invoice_for_a_customer_abroad_only(app, tenant, client):
    resolution, abroad, local = _setup(client, tenant)
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    assert "Exportación" not in browser.get("/app/facturas/nueva", params={"cliente": local["id"]}).text
    editor = browser.get("/app/facturas/nueva", params={"cliente": abroad["id"]}).text
    assert "<legend>Exportación</legend>" in editor and "El cliente está en Estados Unidos." in editor
    assert '<option value="USD" selected>USD · Dólar estadounidense</option>' in editor
    assert 'aria-label="Marca, línea 1"' in editor
    # Choosing another customer re-reads the section (htmx).
    fragment = browser.get("/app/facturas/exportacion", params={"customer_id": abroad["id"]}).text
    assert "Factura de exportación" in fragment
    assert browser.get("/app/facturas/exportacion", params={"customer_id": local["id"]}).text.strip() == ""
    # The live totals speak the currency.
    token = csrf_of(editor)
    totals = browser.post("/app/facturas/totales", data=_editor_form(resolution, abroad, token)).text
    assert "USD 6.211,00" in totals
    # A line added to an export invoice is exempt by default.
    added = browser.post(
        "/app/facturas/nueva", data=_editor_form(resolution, abroad, token, accion="agregar_linea")
    ).text
    assert re.search(r'<select name="iva_1"[^>]*>.*?<option value="0" selected>', added, re.S)
    assert re.search(r'id="total_linea_0"[^>]*>USD [\d.]+,\d\d</output>', added)  # a line's total in its currency
    # Errors in Spanish beside their field, nothing saved.
    taxed = browser.post("/app/facturas/nueva", data=_editor_form(resolution, abroad, token, iva_0="19"))
    assert "Una exportación está exenta de IVA: usa IVA 0 % y sin INC (línea 1)." in taxed.text
    no_rate = browser.post("/app/facturas/nueva", data=_editor_form(resolution, abroad, token, tasa_cambio=""))
    assert (
        _error(no_rate.text, "tasa_cambio") == "Escribe la tasa de cambio: cuántos pesos vale una unidad de la moneda."
    )
    to_local = browser.post("/app/facturas/nueva", data=_editor_form(resolution, local, token))
    assert "Una factura de exportación es para un cliente en el exterior" in to_local.text
    assert ok(client.get("/billing/invoices", headers=tenant.headers())) == []
    # Saved, then issued: the page is in dollars, with the rate.
    saved = browser.post("/app/facturas/nueva", data=_editor_form(resolution, abroad, token, accion="emitir"))
    assert saved.status_code == 303, saved.text
    page = browser.get(saved.headers["location"]).text
    assert "Factura emitida." in page  # the one-shot notice (web/notices.py), no longer in the address
    assert "Factura de exportación SETP990000000" in page
    for shown in ("USD 6.211,00", "Tasa de cambio", "1 USD = $ 3.912,45", "Dólar estadounidense", "Marca: Nítida Café"):
        assert shown in page, shown
    assert "$ 6.211,00" not in page
    # Lists say the currency too.
    assert "USD 6.211,00" in browser.get("/app/facturas").text
    assert "USD 6.211,00" in browser.get(f"/app/clientes/{abroad['id']}").text
    [invoice] = ok(client.get("/billing/invoices", headers=tenant.headers()))
    assert (invoice["currency"], invoice["total"]) == ("USD", "6211.00")
    # A credit note's page (main's note pages) shows the invoice's lines in its currency.
    dian_accepts(client, tenant.headers(), invoice)
    note_form = browser.get(f"/app/facturas/{invoice['id']}/nota-credito").text
    assert "× USD 310,55" in note_form and "$ 310,55" not in note_form
    # The draft's editor shows what was chosen (a copy: Duplicar keeps the currency, the rate and the brands).
    copy = browser.post(f"/app/facturas/{invoice['id']}/duplicar", data={"csrf_token": token})
    assert copy.status_code == 303
    edit = browser.get(copy.headers["location"]).text
    assert 'id="exportacion_si" name="exportacion" value="1" checked' in edit
    assert 'value="3912,45"' in edit and 'value="Nítida Café"' in edit
