"""Notas crédito y débito from the invoice's page (issues 25 and 26): the clerk picks lines and units (or an
amount), sees the note's totals before issuing, issues it; the invoice lists its notes with their PDF and XML.
SQLite and PostgreSQL (``app``)."""

from __future__ import annotations

import re
from decimal import Decimal

from fixtures.einvoicing_api import LINES, accepted_invoice, configure, ok
from fixtures.web import csrf_of, signed_in
from nitida.users.models import Role


def _error(html: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert found, f"no error beside {field}"
    return found[1]


def _invoice(client, tenant) -> dict:
    configure(client, tenant.headers())
    return accepted_invoice(client, tenant.headers())  # 5 lines; line 1: 10 × 11 900.00 + IVA 19 %


def _form(token: str, **fields) -> dict:
    body = {"csrf_token": token, "concepto": "", "descripcion": "", "valor_descuento": ""}
    for n in range(1, len(LINES) + 1):
        body[f"cantidad_{n}"] = ""
        body[f"valor_{n}"] = ""
    body.update(fields)
    return body


def test_a_partial_return_from_the_page_credits_only_the_units_chosen(app, tenant, client):
    invoice = _invoice(client, tenant)
    browser = signed_in(app, tenant.users[Role.OPERADOR].email)
    path = f"/app/facturas/{invoice['id']}"
    html = browser.get(path).text
    assert f'href="{path}/nota-credito"' in html and f'href="{path}/nota-debito"' in html
    assert "Sin notas crédito ni débito." in html
    form = browser.get(f"{path}/nota-credito").text
    assert "Nota crédito de la factura" in form and "Queda por acreditar: 10 unidades" in form
    assert "2 · Anulación" not in form  # voiding is Anular's
    token = csrf_of(form)
    # the preview: what would be issued, as the service computes it
    preview = browser.post(
        f"{path}/nota-credito/vista-previa",
        data=_form(token, concepto="1", descripcion="Devolución", cantidad_1="2"),
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert 'id="nota-total">$ 28.322,00<' in preview.text and "Línea 1: Resma papel carta 75 g" in preview.text
    # too many units: said in Spanish, naming the line, in the preview and on issuing
    too_many = browser.post(
        f"{path}/nota-credito/vista-previa",
        data=_form(token, concepto="1", descripcion="Devolución", cantidad_1="11"),
        headers={"HX-Request": "true"},
    )
    assert "De la línea 1 quedan 10 por acreditar; pediste 11." in too_many.text
    refused = browser.post(
        f"{path}/nota-credito", data=_form(token, concepto="1", descripcion="Devolución", cantidad_1="11")
    )
    assert refused.status_code == 409
    assert _error(refused.text, "cantidad_1") == "De la línea 1 quedan 10 por acreditar; pediste 11."
    # "devolución parcial" with nothing chosen never credits the whole invoice
    nothing = browser.post(f"{path}/nota-credito", data=_form(token, concepto="1", descripcion="Devolución"))
    assert nothing.status_code == 422 and "Indica qué líneas y cuánto, o un valor." in nothing.text
    # a return given as a value: Spanish, beside the field
    value = browser.post(
        f"{path}/nota-credito", data=_form(token, concepto="1", descripcion="Devolución", valor_1="100")
    )
    assert value.status_code == 422
    assert _error(value.text, "valor_1") == "Una devolución indica las unidades devueltas, no un valor."
    missing = browser.post(f"{path}/nota-credito", data=_form(token, concepto="", descripcion="", cantidad_1="2"))
    assert missing.status_code == 422 and _error(missing.text, "descripcion") == "Este campo es obligatorio."
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))["creditedTotal"] == "0.00"
    made = browser.post(
        f"{path}/nota-credito", data=_form(token, concepto="1", descripcion="Devolución de 2 resmas", cantidad_1="2")
    )
    assert made.status_code == 303, made.text
    page = browser.get(made.headers["location"]).text
    assert "Nota crédito emitida." in page and "NC1" in page and "Devolución de 2 resmas" in page
    after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))
    assert after["creditedTotal"] == "28322.00"
    assert Decimal(after["balance"]) == Decimal(invoice["total"]) - Decimal("28322.00")
    [note] = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=tenant.headers()))
    assert [(ln["invoiceLine"], ln["quantity"]) for ln in note["lines"]] == [(1, "2")]
    # its files are the API's
    pdf = browser.get(f"/app/notas/{note['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    api_pdf = client.get(f"/billing/credit-notes/{note['id']}/pdf", headers=tenant.headers()).content
    assert len(pdf.content) == len(api_pdf)  # the same document (only its creation moment differs)
    xml = browser.get(f"/app/notas/{note['id']}/xml")
    assert xml.content == client.get(f"/billing/credit-notes/{note['id']}/xml", headers=tenant.headers()).content
    assert f'href="/app/notas/{note["id"]}/pdf"' in page and f'href="/app/notas/{note["id"]}/xml"' in page
    # the next form knows what is left
    assert "Queda por acreditar: 8 unidades" in browser.get(f"{path}/nota-credito").text


def test_a_discount_and_a_debit_note_from_the_page(app, tenant, client):
    invoice = _invoice(client, tenant)
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    path = f"/app/facturas/{invoice['id']}"
    token = csrf_of(browser.get(f"{path}/nota-credito").text)
    made = browser.post(
        f"{path}/nota-credito", data=_form(token, concepto="5", descripcion="Pronto pago", valor_descuento="1.000,00")
    )
    assert made.status_code == 303, made.text
    [discount] = ok(client.get(f"/billing/credit-notes?invoiceId={invoice['id']}", headers=tenant.headers()))
    assert discount["subtotal"] == "1000.00" and discount["concept"] == "5"
    form = browser.get(f"{path}/nota-debito").text
    assert "Nota débito de la factura" in form and "1 · Intereses" in form
    debited = browser.post(
        f"{path}/nota-debito", data=_form(csrf_of(form), concepto="3", descripcion="Cambio del valor", cantidad_3="1")
    )
    assert debited.status_code == 303, debited.text
    assert "Nota débito emitida." in browser.get(debited.headers["location"]).text
    [note] = ok(client.get(f"/billing/debit-notes?invoiceId={invoice['id']}", headers=tenant.headers()))
    assert note["total"] == "45000.00" and note["lines"][0]["invoiceLine"] == 3  # IVA 0 %: the line's
    assert browser.get(f"/app/notas/{note['id']}/xml").status_code == 200


def test_consulta_neither_sees_nor_forges_a_note(app, tenant, client, other_tenant):
    invoice = _invoice(client, tenant)
    browser = signed_in(app, tenant.users[Role.CONSULTA].email)
    path = f"/app/facturas/{invoice['id']}"
    html = browser.get(path).text
    assert "nota-credito" not in html
    token = csrf_of(html)
    assert browser.get(f"{path}/nota-credito").status_code == 403
    refused = browser.post(f"{path}/nota-credito", data=_form(token, concepto="1", descripcion="x", cantidad_1="1"))
    assert refused.status_code == 403
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))["creditedTotal"] == "0.00"
    # another business's invoice and notes are the 404 page
    note = ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/credit-notes",
            headers=tenant.headers(),
            json={"concept": 1, "description": "Devolución", "items": [{"line": 1, "quantity": "1"}]},
        ),
        201,
    )
    theirs = signed_in(app, other_tenant.users[Role.ADMIN].email)
    assert theirs.get(f"{path}/nota-credito").status_code == 404
    assert theirs.get(f"/app/notas/{note['id']}/pdf").status_code == 404
    assert theirs.get("/app/notas/no-es-un-id/xml").status_code == 404


def test_odd_input_in_a_notes_form_is_a_spanish_error_never_a_500(app, tenant, client):
    invoice = _invoice(client, tenant)
    browser = signed_in(app, tenant.users[Role.ADMIN].email)
    path = f"/app/facturas/{invoice['id']}"
    token = csrf_of(browser.get(f"{path}/nota-credito").text)
    for odd in ("²", "9" * 5000, "1e999999", "NaN", "-1", "0", "1,2,3"):
        for field in ("cantidad_1", "valor_2", "valor_descuento"):
            body = _form(token, concepto="3", descripcion="Prueba", **{field: odd})
            preview = browser.post(f"{path}/nota-credito/vista-previa", data=body, headers={"HX-Request": "true"})
            assert preview.status_code == 200, (odd, field, preview.text[:300])
            refused = browser.post(f"{path}/nota-credito", data=body)
            assert refused.status_code in (409, 422), (odd, field, refused.status_code)
            assert f'id="{field}-error"' in refused.text or 'class="problema" role="alert"' in refused.text
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))["creditedTotal"] == "0.00"
