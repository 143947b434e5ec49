"""Issue 25, the printed form of an issued document, through the API on both engines: it prints what was
signed (not the issuer's settings of today), says when the DIAN has not validated it or rejected it, and
prints the DIAN's own validation time (its ApplicationResponse's), on notes too."""

from __future__ import annotations

from delivery import test_delivery_jobs as delivery_tests
from fixtures import dian as answers
from fixtures.einvoicing_api import ISSUER_BODY, configure, dian_accepts, issued_invoice, ok
from nitida.users.models import Role

# The fake DIAN, the SMTP server and the worker of the delivery tests.
fake, smtp, worker, text_of = delivery_tests.fake, delivery_tests.smtp, delivery_tests.worker, delivery_tests.text_of

NEW_ISSUER = {
    **ISSUER_BODY,
    "razonSocial": "Nítida Papelería y Oficina S.A.S.",
    "nombreComercial": "Nítida Oficina",
    "direccion": "Avenida Carrera 15 # 93-60 Local 2",
    "municipioCodigo": "05001",
    "codigoPostal": "050021",
}


def one_line(text: str) -> str:
    return " ".join(text.split())


def printed(client, headers, path: str, tmp_path) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return one_line(text_of(response.content, tmp_path))


def credit_note(client, headers, invoice_id: str) -> dict:
    return ok(
        client.post(
            f"/billing/invoices/{invoice_id}/credit-notes",
            headers=headers,
            json={
                "concept": 3,
                "description": "Descuento",
                "lines": [{"description": "Descuento", "quantity": "1", "unitPrice": "1000.00"}],
            },
        ),
        201,
    )


def test_an_issued_document_prints_the_issuer_it_was_signed_with(client, tenant, tmp_path):
    headers = tenant.headers()
    configure(client, headers)
    invoice = dian_accepts(client, headers, issued_invoice(client, headers))  # notes: of accepted invoices
    note = credit_note(client, headers, invoice["id"])

    # The business changes its razón social and moves to Medellín.
    ok(client.put("/billing/issuer", headers=headers, json=NEW_ISSUER))

    for path in (f"/billing/invoices/{invoice['id']}/pdf", f"/billing/credit-notes/{note['id']}/pdf"):
        text = printed(client, tenant.headers(Role.CONSULTA), path, tmp_path)
        assert "Papelería Nítida S.A.S." in text and "Carrera 7 # 71-21 Oficina 502" in text, path
        assert "Bogotá, D.C., C.P. 110231" in text, path
        assert "Nítida Papelería y Oficina" not in text and "Avenida Carrera 15" not in text, path

    # A document signed after the change carries the new data, and prints it.
    later = issued_invoice(client, headers)
    text = printed(client, headers, f"/billing/invoices/{later['id']}/pdf", tmp_path)
    assert "Nítida Papelería y Oficina S.A.S." in text and "Avenida Carrera 15 # 93-60 Local 2" in text
    assert "Medellín, Antioquia, C.P. 050021" in text
    assert "Carrera 7 # 71-21" not in text
    dian_accepts(client, headers, later)
    later_note = credit_note(client, headers, later["id"])
    text = printed(client, headers, f"/billing/credit-notes/{later_note['id']}/pdf", tmp_path)
    assert "Nítida Papelería y Oficina S.A.S." in text


def test_a_document_the_dian_has_not_validated_says_so(client, tenant, tmp_path):
    headers = tenant.headers()
    configure(client, headers)
    invoice = issued_invoice(client, headers)
    assert invoice["electronicStatus"] == "SIGNED"
    unvalidated = [f"/billing/invoices/{invoice['id']}/pdf"]
    for path in unvalidated:
        text = printed(client, headers, path, tmp_path)
        assert "Documento no validado por la DIAN" in text, path
    # A note is of an invoice the DIAN accepted (issue 25); the note itself is not validated yet.
    dian_accepts(client, headers, invoice)
    note = credit_note(client, headers, invoice["id"])
    for path in (f"/billing/credit-notes/{note['id']}/pdf",):
        text = printed(client, headers, path, tmp_path)
        assert "Documento no validado por la DIAN" in text, path
        assert "Validada por la DIAN" not in text, path
        assert "CUFE:" in text or "CUDE:" in text, path  # signed: its key and QR are printed all the same


def test_an_accepted_document_prints_the_dians_validation_time_and_a_note_too(
    client, tenant, worker, fake, smtp, tmp_path
):
    headers = tenant.headers()
    answers.StatefulDian().install(fake)
    configure(client, headers)
    invoice = issued_invoice(client, headers)
    worker(tenant, fake, smtp.url).run_until_idle()  # a note is of an invoice the DIAN accepted (issue 25)
    note = credit_note(client, headers, invoice["id"])
    worker(tenant, fake, smtp.url).run_until_idle()
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))["electronicStatus"] == "ACCEPTED"

    for path in (f"/billing/invoices/{invoice['id']}/pdf", f"/billing/credit-notes/{note['id']}/pdf"):
        text = printed(client, headers, path, tmp_path)
        # The fake DIAN's ApplicationResponse is dated 2026-11-25 09:31:02-05:00: that is the validation time,
        # not the moment the worker read the answer.
        assert "Validada por la DIAN 25/11/2026 09:31:02" in text, path
        assert "no validado" not in text and "Rechazada" not in text, path


def test_a_rejected_invoice_says_so_on_its_pdf(client, tenant, worker, fake, smtp, tmp_path):
    headers = tenant.headers()
    answers.StatefulDian(reject=True).install(fake)
    configure(client, headers)
    invoice = issued_invoice(client, headers)
    worker(tenant, fake, smtp.url).run_until_idle()
    assert ok(client.get(f"/billing/invoices/{invoice['id']}", headers=headers))["electronicStatus"] == "REJECTED"
    text = printed(client, headers, f"/billing/invoices/{invoice['id']}/pdf", tmp_path)
    assert "Rechazada por la DIAN" in text and "Validada por la DIAN" not in text
