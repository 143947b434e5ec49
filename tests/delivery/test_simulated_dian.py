"""The demo's DIAN simulada and mail catcher, on both engines: what a demo tenant issues is validated as the DIAN's
habilitación service validates it (with the DIAN's public test-set data), accepted or rejected with the DIAN's rule
messages, and mailed into the catcher; the invoice page follows it all by itself, in Spanish; a tenant in
PRODUCCION can never be pointed at the simulation."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from fixtures.common import SECRET
from fixtures.einvoicing_api import accepted_invoice, configure, issued_invoice, ok, resolution_body, settings_body
from fixtures.web import csrf_of, signed_in
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.delivery.models import SimulatedMail
from nitida.dian import simulated
from nitida.einvoicing import configuration
from nitida.einvoicing.models import ElectronicSettings
from nitida.jobs.worker import Worker
from nitida.users.models import Role

POLLING = re.compile(r'id="entrega" hx-get="/app/facturas/[^"]+/entrega" hx-trigger="every \d+s"')


def simulate(database, tenant) -> None:
    """What `nitida demo` does to its tenant."""
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with database.unit_of_work(tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id=str(uuid.uuid4()))


def run_jobs(database, database_url, tenant) -> None:
    # No DIAN URL and no SMTP server: a simulated tenant needs neither (the conftest's DIAN URL is a closed port).
    settings = Settings(database_url=database_url, secret_key=SECRET, smtp_url="", job_backoff_seconds=0)
    Worker(database, only_tenant=tenant.id, settings=settings, name=f"simulated-{tenant.id.hex[:6]}").run_until_idle()


@pytest.fixture
def demo_tenant(client, database, tenant):
    configure(client, tenant.headers())
    simulate(database, tenant)
    return tenant


def test_the_simulated_dian_accepts_a_test_set_invoice_and_the_mail_is_caught(
    client, app, database, database_url, demo_tenant
):
    invoice = issued_invoice(client, demo_tenant.headers())
    browser = signed_in(app, demo_tenant.users[Role.CONSULTA].email)
    path = f"/app/facturas/{invoice['id']}"
    before = browser.get(path).text
    assert "Firmada, pendiente de envío a la DIAN" in before and "DIAN simulada (demo)" in before
    assert POLLING.search(before), "an invoice in flight refreshes its delivery panel"
    run_jobs(database, database_url, demo_tenant)
    state = ok(client.get(f"/billing/invoices/{invoice['id']}/dian-messages", headers=demo_tenant.headers()))
    assert state["electronicStatus"] == "ACCEPTED" and state["statusCode"] == "00" and state["mailStatus"] == "SENT"
    # The fragment htmx polls says so, and stops asking.
    fragment = browser.get(f"{path}/entrega")
    assert fragment.status_code == 200 and "Aceptada por la DIAN" in fragment.text
    assert "Validada por la DIAN" in fragment.text and not POLLING.search(fragment.text)
    assert "Enviado a facturacion@ferreteriaeldorado.com.co" in fragment.text
    # The AttachedDocument was built from the simulated DIAN's ApplicationResponse.
    attached = client.get(f"/billing/invoices/{invoice['id']}/attached-document", headers=demo_tenant.headers())
    assert attached.status_code == 200 and b"Documento validado por la DIAN" in attached.content
    # The buyer's e-mail is in the demo's mailbox, with its ZIP.
    mailbox = browser.get("/app/correo-demo").text
    assert invoice["number"] in mailbox and "facturacion@ferreteriaeldorado.com.co" in mailbox
    [mail_id] = re.findall(r'href="/app/correo-demo/([0-9a-f-]{36})"', mailbox)
    message = browser.get(f"/app/correo-demo/{mail_id}").text
    assert "le envía la factura electrónica de venta" in message and "DIAN simulada (demo)" in message
    attachment = browser.get(f"/app/correo-demo/{mail_id}/adjuntos/0")
    assert attachment.status_code == 200 and attachment.content.startswith(b"PK")
    # Another tenant sees none of it.
    with database.unit_of_work(uuid.uuid4()) as session:
        assert session.scalars(select(SimulatedMail)).all() == []


def test_an_unauthorised_resolution_is_rejected_with_the_dians_rule_and_an_admin_may_resend(
    client, app, database, database_url, demo_tenant
):
    headers = demo_tenant.headers()
    body = {**resolution_body("XNA"), "rangeFrom": 1, "rangeTo": 100, "resolutionNumber": "18760000099"}
    body["technicalKey"] = "0" * 40
    ok(client.post("/billing/resolutions", headers=headers, json=body), 201)
    resolution = next(r for r in ok(client.get("/billing/resolutions", headers=headers)) if r["prefix"] == "XNA")
    invoice = issued_invoice(client, headers, resolutionId=resolution["id"])
    run_jobs(database, database_url, demo_tenant)
    state = ok(client.get(f"/billing/invoices/{invoice['id']}/dian-messages", headers=headers))
    assert state["electronicStatus"] == "REJECTED" and state["statusCode"] == "99"
    assert state["messages"] == ["Regla: FAD06, Rechazo: Valor del CUFE no está calculado correctamente."]
    assert state["mailStatus"] == "NOT_YET"
    path = f"/app/facturas/{invoice['id']}"
    operador = signed_in(app, demo_tenant.users[Role.OPERADOR].email).get(path).text
    assert "Rechazada por la DIAN" in operador and "Valor del CUFE no está calculado correctamente" in operador
    assert "Reenviar a la DIAN" not in operador and not POLLING.search(operador)
    admin = signed_in(app, demo_tenant.users[Role.ADMIN].email)
    page = admin.get(path).text
    assert "Reenviar a la DIAN" in page
    resent = admin.post(f"{path}/reenviar", data={"csrf_token": csrf_of(page)})
    assert resent.status_code == 303
    after = admin.get(resent.headers["location"]).text
    assert "Reenvío a la DIAN en curso." in after and POLLING.search(after)
    # Sent twice, now: the API refuses a third while the job waits, as the page does, in Spanish.
    again = admin.post(f"{path}/reenviar", data={"csrf_token": csrf_of(after)})
    assert again.status_code == 409 and "se está enviando a la DIAN en este momento" in again.text
    run_jobs(database, database_url, demo_tenant)
    assert "Reenvío a la DIAN solicitado" in admin.get(path).text


def test_a_send_that_fails_for_good_says_why_in_spanish_and_offers_reenviar(
    client, app, database, database_url, tenant
):
    """A real (not simulated) tenant in habilitación without its TestSetId: the send job fails at once."""
    configure(client, tenant.headers())
    with database.unit_of_work(tenant.id) as session:
        session.execute(update(ElectronicSettings).values(test_set_id=None))
    invoice = issued_invoice(client, tenant.headers())
    run_jobs(database, database_url, tenant)
    state = ok(client.get(f"/billing/invoices/{invoice['id']}/dian-messages", headers=tenant.headers()))
    assert state["sendJob"]["status"] == "FAILED" and "test-set id" in state["sendJob"]["lastError"]
    page = signed_in(app, tenant.users[Role.ADMIN].email).get(f"/app/facturas/{invoice['id']}").text
    assert "Falta el identificador del set de pruebas (TestSetId)" in page
    assert "Reenviar a la DIAN" in page and not POLLING.search(page) and "DIAN simulada" not in page


def test_inicio_links_waiting_and_rejected_invoices_to_their_list(client, app, database, database_url, demo_tenant):
    invoice = issued_invoice(client, demo_tenant.headers())
    browser = signed_in(app, demo_tenant.users[Role.CONSULTA].email)
    home = browser.get("/app").text
    assert 'href="/app/facturas?dian=esperando"' in home and "DIAN simulada (demo)" in home
    waiting = browser.get("/app/facturas?dian=esperando").text
    assert invoice["number"] in waiting
    run_jobs(database, database_url, demo_tenant)
    assert invoice["number"] not in browser.get("/app/facturas?dian=esperando").text
    assert invoice["number"] in browser.get("/app/facturas?dian=aceptada").text


def test_production_is_never_pointed_at_the_simulation(client, database, demo_tenant):
    headers = demo_tenant.headers()
    assert ok(client.get("/billing/electronic-invoicing", headers=headers))["simulated"] is True
    production = {**settings_body(), "environment": "PRODUCCION"}
    moved = ok(client.put("/billing/electronic-invoicing", headers=headers, json=production))
    assert moved["environment"] == "PRODUCCION" and moved["simulated"] is False
    admin = demo_tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=demo_tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with pytest.raises(Exception, match="habilitación only"), database.unit_of_work(demo_tenant.id) as session:
        configuration.use_simulated_dian(session, actor, test_set_id="x")
    # Nor by a write that skips the service: the database refuses it.
    with pytest.raises(IntegrityError), database.unit_of_work(demo_tenant.id) as session:
        session.execute(update(ElectronicSettings).values(simulated=True))


def test_the_simulation_checks_the_software_and_the_cude_of_notes(client, database, database_url, demo_tenant):
    """A note's CUDE and every document's huella are recomputed with the DIAN's sample software PIN."""
    headers = demo_tenant.headers()
    invoice = accepted_invoice(client, headers)
    note = ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/credit-notes",
            headers=headers,
            json={"concept": 3, "description": "Descuento"},
        ),
        201,
    )
    verdict = simulated.validate("nc", client.get(f"/billing/credit-notes/{note['id']}/xml", headers=headers).content)
    assert verdict.accepted and verdict.kind == "CreditNote" and b"CUDE-SHA384" in verdict.application_response
    xml = client.get(f"/billing/invoices/{invoice['id']}/xml", headers=headers).content
    forged = xml.replace(b"56f2ae4e-9812-4fad-9255-08fcfcd5ccb0", b"11111111-9812-4fad-9255-08fcfcd5ccb0")
    assert simulated.validate("fv", forged).messages == (
        "Regla: FAB27b, Rechazo: Huella no corresponde a un software autorizado para este OFE.",
    )


def test_the_pages_pdf_is_the_apis_document(client, app, database, database_url, demo_tenant, tmp_path):
    """One code path: the back office's PDF of an accepted invoice says "Validada por la DIAN" as the API's does."""
    from delivery.test_delivery_jobs import text_of

    invoice = issued_invoice(client, demo_tenant.headers())
    run_jobs(database, database_url, demo_tenant)
    api = client.get(f"/billing/invoices/{invoice['id']}/pdf", headers=demo_tenant.headers())
    page = signed_in(app, demo_tenant.users[Role.CONSULTA].email).get(f"/app/facturas/{invoice['id']}/pdf")
    assert api.status_code == page.status_code == 200
    assert page.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    printed = text_of(page.content, tmp_path)
    assert "Validada por la DIAN" in printed and printed == text_of(api.content, tmp_path)


def test_an_invoice_signed_before_deliveries_were_recorded_shows_its_page(client, app, database, tenant):
    """A signed invoice without a delivery row (issued before migration 0010) still opens: its status alone."""
    from sqlalchemy import delete

    from nitida.delivery.models import Delivery

    configure(client, tenant.headers())
    invoice = issued_invoice(client, tenant.headers())
    with database.unit_of_work(tenant.id) as session:
        session.execute(delete(Delivery).where(Delivery.invoice_id == uuid.UUID(invoice["id"])))
    page = signed_in(app, tenant.users[Role.CONSULTA].email).get(f"/app/facturas/{invoice['id']}")
    assert page.status_code == 200 and "Firmada, pendiente de envío a la DIAN" in page.text
