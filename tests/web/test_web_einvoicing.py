"""The back office's electronic-invoicing pages: the customer's fiscal fields, the business's fiscal data and
e-invoicing settings, and the invoice's CUFE, QR, XML, PDF and credit notes. SQLite and PostgreSQL (``app``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from lxml import etree

from fixtures.common import random_nit
from fixtures.einvoicing import CERT_PASSWORD, SOFTWARE_ID, SOFTWARE_PIN, demo_p12
from fixtures.einvoicing_api import configure, customer_body, dian_accepts, issued_invoice, ok, resolution_body
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CUFE = re.compile(r'id="cufe">([0-9a-f]{96})<')


def _keep_png(data: bytes, tmp_path: Path, name: str) -> str | None:
    """The PDF's first page beside the browser screenshots (git-ignored), to look at, and its text;
    None without poppler (pdftoppm, pdftotext)."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        return None
    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(source), str(tmp_path / "page")], check=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "page.png", SCREENSHOTS / f"{name}.png")
    return subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True).stdout.decode()


def _error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert found, f"no error beside {field}"
    return found[1]


# --- customers -------------------------------------------------------------------------------------


def test_the_customer_form_has_the_fiscal_fields_and_stores_them(app, tenant, client):
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    form = browser.get("/app/clientes/nuevo").text
    for label in ("Tipo de persona", "Municipio", "Responsabilidades fiscales", "Tributo", "Código postal"):
        assert f">{label}<" in form, label
    for code in ("O-13", "O-15", "O-23", "O-47", "R-99-PN"):
        assert f'name="responsabilidades" value="{code}"' in form
    assert re.search(r'value="R-99-PN" checked', form)  # the DIAN's "none applies", ticked by default
    # The typeahead offers municipalities by name, accents and case ignored, with their DANE code.
    options = browser.get("/app/clientes/municipios", params={"municipio": "medellin"}).text
    assert '<option value="05001 · Medellín (Antioquia)">' in options
    token = csrf_of(form)
    nit = random_nit()
    created = browser.post(
        "/app/clientes/nuevo",
        data={
            "csrf_token": token,
            "tipo_persona": "JURIDICA",
            "tipo_documento": "NIT",
            "numero": nit,
            "razon_social": "Distribuidora Antioqueña S.A.S.",
            "direccion": "Calle 10 # 43-12",
            "municipio": "05001 · Medellín (Antioquia)",  # the typeahead's choice
            "codigo_postal": "050021",
            "responsabilidades": ["O-13", "O-23"],
            "tributo": "01",
        },
    )
    assert created.status_code == 303, created.text
    page = browser.get(created.headers["location"]).text
    for shown in ("Medellín (Antioquia) · DANE 05001", "050021", "Persona jurídica", "O-13, O-23", "01 · IVA"):
        assert shown in page, shown
    customer_id = created.headers["location"].split("/")[-1].split("?")[0]
    stored = ok(client.get(f"/billing/customers/{customer_id}", headers=tenant.headers()))
    assert stored["municipioCodigo"] == "05001" and stored["responsabilidadesFiscales"] == ["O-13", "O-23"]
    assert stored["tipoPersona"] == "JURIDICA" and stored["tributo"] == "01" and stored["codigoPostal"] == "050021"

    # Without JavaScript a person types the name (or the code) and submits: it stores the DANE code.
    edit = browser.get(f"/app/clientes/{customer_id}/editar").text
    assert 'value="05001 · Medellín (Antioquia)"' in edit and 'value="O-13" checked' in edit
    saved = browser.post(
        f"/app/clientes/{customer_id}/editar",
        data={
            "csrf_token": token,
            "tipo_documento": "NIT",
            "numero": nit,
            "razon_social": "Distribuidora Antioqueña S.A.S.",
            "municipio": "bogota",
            "tributo": "ZZ",
        },
    )
    assert saved.status_code == 303
    stored = ok(client.get(f"/billing/customers/{customer_id}", headers=tenant.headers()))
    assert stored["municipioCodigo"] == "11001"
    assert stored["responsabilidadesFiscales"] == ["R-99-PN"]  # nothing ticked: none applies
    history = browser.get(f"/app/clientes/{customer_id}").text
    assert "Municipio: Medellín (Antioquia) → Bogotá, D.C. (Bogotá)" in history
    assert "Responsabilidades fiscales: O-13, O-23 → R-99-PN" in history
    assert "Tributo: 01 · IVA → ZZ · No aplica" in history


def test_the_fiscal_fields_errors_are_in_spanish_beside_their_field(app, tenant):
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    token = csrf_of(browser.get("/app/clientes/nuevo").text)
    base = {"csrf_token": token, "tipo_documento": "NIT", "numero": random_nit(), "razon_social": "Tienda La 14"}
    bad = browser.post(
        "/app/clientes/nuevo",
        data={**base, "municipio": "99999", "codigo_postal": "1102", "tributo": "XX", "tipo_persona": "OTRA"},
    )
    assert bad.status_code == 422
    assert _error(bad.text, "municipio") == "No es un código DANE de municipio (5 dígitos, p. ej. 11001)."
    assert _error(bad.text, "codigo_postal") == "Un código postal colombiano tiene 6 dígitos (p. ej. 110231)."
    assert _error(bad.text, "tributo") == "Elige un tributo de la lista."
    assert _error(bad.text, "tipo_persona") == "Elige una opción válida."
    assert 'aria-invalid="true" aria-describedby="codigo_postal-error"' in bad.text
    ambiguous = browser.post("/app/clientes/nuevo", data={**base, "municipio": "San Juan"})
    assert ambiguous.status_code == 422
    assert _error(ambiguous.text, "municipio").startswith("Hay varios municipios con ese nombre")
    unknown = browser.post("/app/clientes/nuevo", data={**base, "municipio": "Gotham"})
    assert _error(unknown.text, "municipio").startswith("No encontramos ese municipio")
    wrong_code = browser.post("/app/clientes/nuevo", data={**base, "responsabilidades": ["O-99"]})
    assert _error(wrong_code.text, "responsabilidades") == "No está en la lista de la DIAN."


# --- Configuración -----------------------------------------------------------------------------------


def test_an_admin_sets_the_fiscal_data_and_electronic_invoicing_from_the_settings_page(app, tenant, client):
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    html = browser.get("/app/configuracion").text
    assert "Pendiente" not in html
    assert "Datos fiscales de la empresa" in html and "Facturación electrónica" in html
    assert "Aún no está configurada" in html
    token = csrf_of(html)
    issuer = {
        "csrf_token": token,
        "emisor_razon_social": "Papelería Nítida S.A.S.",
        "emisor_nombre_comercial": "Papelería Nítida",
        "emisor_nit": "900.123.456-8",
        "tipo_persona": "JURIDICA",
        "responsabilidades": ["O-13", "O-23"],
        "tributo": "01",
        "actividad_economica": "4761, 4762",
        "emisor_direccion": "Carrera 7 # 71-21 Oficina 502",
        "municipio": "11001",
        "codigo_postal": "110231",
        "emisor_correo": "facturacion@nitida.co",
        "emisor_telefono": "6015550101",
    }
    bad = browser.post(
        "/app/configuracion/emisor", data={**issuer, "emisor_nit": "900.123.456-3", "actividad_economica": "47"}
    )
    assert bad.status_code == 422
    assert _error(bad.text, "emisor_nit") == "El dígito de verificación (DV) del NIT 900123456 es 8, no 3."
    assert _error(bad.text, "actividad_economica").startswith("Cada código CIIU tiene 4 dígitos")
    saved = browser.post("/app/configuracion/emisor", data=issuer)
    assert saved.status_code == 303
    stored = ok(client.get("/billing/issuer", headers=tenant.headers()))
    assert stored["nit"] == "900123456" and stored["dv"] == "8" and stored["actividadEconomica"] == ["4761", "4762"]
    assert stored["municipio"] is not None and stored["responsabilidadesFiscales"] == ["O-13", "O-23"]
    page = browser.get(saved.headers["location"]).text
    assert "Datos fiscales guardados." in page and 'value="900.123.456-8"' in page

    settings = {
        "csrf_token": token,
        "ambiente": "HABILITACION",
        "software_id": SOFTWARE_ID,
        "software_pin": SOFTWARE_PIN,
        "test_set_id": "3b7a1f7c-0d5e-4d62-9c55-1b1f0b1f6e2a",
        "certificado_clave": CERT_PASSWORD,
        "prefijo_nc": "NC",
        "prefijo_nd": "ND",
    }
    p12 = {"certificado": ("firma.p12", demo_p12(), "application/x-pkcs12")}
    missing = browser.post("/app/configuracion/facturacion-electronica", data=settings)
    assert missing.status_code == 422
    assert _error(missing.text, "certificado").startswith("Obligatorio la primera vez")
    wrong = browser.post(
        "/app/configuracion/facturacion-electronica", data={**settings, "certificado_clave": "no es"}, files=p12
    )
    assert wrong.status_code == 422 and _error(wrong.text, "certificado").startswith("No se pudo abrir el certificado")
    configured = browser.post("/app/configuracion/facturacion-electronica", data=settings, files=p12)
    assert configured.status_code == 303, configured.text
    page = browser.get(configured.headers["location"]).text
    api = ok(client.get("/billing/electronic-invoicing", headers=tenant.headers()))
    assert api["softwareId"] == SOFTWARE_ID and api["environment"] == "HABILITACION"
    shown = re.search(r'<dl class="datos" id="certificado-actual">(.*?)</dl>', page, re.S)[1]
    assert api["certificate"]["serialNumber"] in shown and api["certificate"]["subject"] in shown
    # Secrets are never shown back.
    assert SOFTWARE_PIN not in page and CERT_PASSWORD not in page
    # Blank secrets keep the stored ones: changing the environment alone needs no new upload.
    kept = browser.post(
        "/app/configuracion/facturacion-electronica",
        data={**settings, "software_pin": "", "certificado_clave": "", "ambiente": "PRODUCCION"},
    )
    assert kept.status_code == 303
    assert ok(client.get("/billing/electronic-invoicing", headers=tenant.headers()))["environment"] == "PRODUCCION"


def test_only_an_admin_sees_or_posts_the_fiscal_settings(app, tenant):
    for role in (Role.OPERADOR, Role.CONSULTA):
        browser = signed_in(app, tenant.users[role].email)
        assert browser.get("/app/configuracion").status_code == 403
        token = csrf_of(browser.get("/app/clientes").text)
        for path in ("/app/configuracion/emisor", "/app/configuracion/facturacion-electronica"):
            refused = browser.post(path, data={"csrf_token": token})
            assert refused.status_code == 403 and "text/html" in refused.headers["content-type"], (role, path)


# --- the invoice page ----------------------------------------------------------------------------------


def _configured_invoice(client, tenant, *, accepted: bool = False) -> dict:
    configure(client, tenant.headers())
    invoice = issued_invoice(client, tenant.headers())
    return dian_accepts(client, tenant.headers(), invoice) if accepted else invoice


def test_an_electronic_invoice_shows_its_cufe_qr_status_xml_and_pdf(app, tenant, client):
    invoice = _configured_invoice(client, tenant)
    browser = signed_in(app, tenant.users[Role.CONSULTA].email)
    path = f"/app/facturas/{invoice['id']}"
    html = browser.get(path).text
    assert CUFE.search(html)[1] == invoice["cufe"]
    assert "Firmada, pendiente de envío a la DIAN" in html
    assert f'<img src="{path}/qr.svg"' in html and "Descargar PDF" in html and "Descargar XML" in html
    qr = browser.get(f"{path}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert etree.fromstring(qr.content).tag == "{http://www.w3.org/2000/svg}svg"
    xml = browser.get(f"{path}/xml")
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    assert f'filename="{invoice["number"]}.xml"' in xml.headers["content-disposition"]
    assert xml.content == client.get(f"/billing/invoices/{invoice['id']}/xml", headers=tenant.headers()).content
    document = browser.get(f"{path}/pdf")
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-")
    # CONSULTA reads but issues no notes.
    assert "Nueva nota crédito" not in html


def test_a_draft_prints_as_a_draft_and_has_no_xml(app, tenant, client, tmp_path, engine_name):
    configure(client, tenant.headers())
    headers = tenant.headers()
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={
                "customerId": customer["id"],
                "resolutionId": resolution["id"],
                "paymentForm": "CONTADO",
                "lines": [{"description": "Resma carta", "quantity": "2", "unitPrice": "11900.00"}],
            },
        ),
        201,
    )
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    path = f"/app/facturas/{draft['id']}"
    html = browser.get(path).text
    assert "Descargar PDF" in html and "Descargar XML" not in html and 'id="cufe"' not in html
    document = browser.get(f"{path}/pdf")
    assert document.status_code == 200 and document.content.startswith(b"%PDF-")
    assert 'filename="borrador.pdf"' in document.headers["content-disposition"]
    text = _keep_png(document.content, tmp_path, f"factura-borrador-pdf-{engine_name}")
    assert text is None or "Borrador — sin validez fiscal" in text
    assert browser.get(f"{path}/xml").status_code == 404
    assert browser.get(f"{path}/qr.svg").status_code == 404


def test_without_electronic_invoicing_the_page_says_why_there_is_no_pdf(app, database, tenant, client):
    headers = tenant.headers()
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    body = {
        "customerId": customer["id"],
        "resolutionId": resolution["id"],
        "paymentForm": "CONTADO",
        "lines": [{"description": "Resma carta", "quantity": "2", "unitPrice": "11900.00"}],
    }
    draft = ok(client.post("/billing/invoices", headers=headers, json=body), 201)
    issued = ok(client.post(f"/billing/invoices/{draft['id']}/issue", headers=headers))
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    html = browser.get(f"/app/facturas/{issued['id']}").text
    assert "Descargar PDF" not in html and "Descargar XML" not in html
    assert "se emitió sin facturación electrónica" in html
    assert "No electrónica" in html
    assert browser.get(f"/app/facturas/{issued['id']}/pdf").status_code == 404
    assert browser.get(f"/app/facturas/{issued['id']}/xml").status_code == 404
    other = ok(client.post("/billing/invoices", headers=headers, json=body), 201)
    assert "disponible cuando la empresa tiene sus datos fiscales" in browser.get(f"/app/facturas/{other['id']}").text


def test_another_tenants_invoice_files_are_the_404_page(app, tenant, other_tenant, client):
    invoice = _configured_invoice(client, tenant)
    stranger = signed_in(app, other_tenant.users[Role.ADMIN].email)
    for suffix in ("", "/xml", "/pdf", "/qr.svg"):
        response = stranger.get(f"/app/facturas/{invoice['id']}{suffix}")
        assert response.status_code == 404 and "text/html" in response.headers["content-type"], suffix


def test_issuing_from_the_page_signs_for_a_configured_business(app, tenant, client):
    configure(client, tenant.headers())
    headers = tenant.headers()
    resolution = ok(client.post("/billing/resolutions", headers=headers, json=resolution_body()), 201)
    customer = ok(client.post("/billing/customers", headers=headers, json=customer_body()), 201)
    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={
                "customerId": customer["id"],
                "resolutionId": resolution["id"],
                "paymentForm": "CONTADO",
                "lines": [{"description": "Resma carta", "quantity": "2", "unitPrice": "11900.00"}],
            },
        ),
        201,
    )
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    path = f"/app/facturas/{draft['id']}"
    issued = browser.post(f"{path}/emitir", data={"csrf_token": csrf_of(browser.get(path).text)})
    assert issued.status_code == 303, issued.text
    assert CUFE.search(browser.get(path).text)


# Credit and debit notes from the invoice's page: tests/web/test_web_notes.py.


def test_an_admin_voids_an_electronic_invoice_from_its_page_as_the_api_does(app, tenant, client):
    """Anular on the page issues the concept-2 credit note the API's void issues (it answered 500), and the API's
    409s come back as the page's Spanish messages with the same status."""
    invoice = _configured_invoice(client, tenant, accepted=True)
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    path = f"/app/facturas/{invoice['id']}"
    token = csrf_of(browser.get(f"{path}/anular").text)
    voided = browser.post(f"{path}/anular", data={"csrf_token": token, "motivo": "Valor equivocado"})
    assert voided.status_code == 303, voided.text
    page = browser.get(voided.headers["location"]).text
    assert "Factura anulada." in page and "NC1" in page and "Anulación de factura electrónica" in page
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))
    assert after["status"] == "VOID"
    # Voided already: the API answers 409, and so does the page, in Spanish.
    api = client.post(f"/billing/invoices/{invoice['id']}/void", headers=tenant.headers(), json={"reason": "Otra"})
    assert api.status_code == 409
    again = browser.post(f"{path}/anular", data={"csrf_token": token, "motivo": "Otra vez"})
    assert again.status_code == 409
    assert "La factura no está en un estado que permita esta acción." in again.text


def test_an_invoice_with_payments_is_not_voided_from_its_page(app, tenant, client):
    invoice = _configured_invoice(client, tenant)
    headers = tenant.headers()
    ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/payments",
            headers=headers,
            json={"amount": "100.00", "method": "EFECTIVO"},
        ),
        201,
    )
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    path = f"/app/facturas/{invoice['id']}"
    refused = browser.post(f"{path}/anular", data={"csrf_token": csrf_of(browser.get(path).text), "motivo": "Error"})
    assert refused.status_code == 409
    assert "La factura tiene pagos registrados y no se puede anular." in refused.text
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))["status"] == "ISSUED"


def test_the_pages_qr_is_the_printed_one_the_annexs_labelled_block(app, database, tenant, client):
    import io
    import uuid

    import segno

    from nitida.delivery import service as delivery
    from nitida.einvoicing import cufe
    from nitida.invoices import service as invoices

    invoice = _configured_invoice(client, tenant)
    served = signed_in(app, tenant.users[Role.CONSULTA].email).get(f"/app/facturas/{invoice['id']}/qr.svg")
    with database.unit_of_work(tenant.id) as session:
        row = invoices.get_invoice(session, str(uuid.UUID(invoice["id"])))
        text = cufe.qr_text(delivery.invoice_printable_document(session, row), row.cufe, row.qr_data)
    assert text.startswith(f"NumFac: {invoice['number']}\n") and text.endswith(f"QRCode: {invoice['qrData']}")
    expected = io.BytesIO()
    segno.make(text, error="m").save(expected, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    assert served.content == expected.getvalue()
