"""An issued invoice reaches the DIAN (a fake one on 127.0.0.1) and the buyer (an in-process SMTP server)
through the job queue, on both engines: SIGNED -> SENT -> ACCEPTED, rejections with their messages,
retries after DIAN failures without a second upload, a failing mail server, a customer without e-mail."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import uuid
import zipfile
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from fixtures import dian as answers
from fixtures.common import SECRET, assert_problem
from fixtures.einvoicing_api import configure, customer_body, dian_accepts, issued_invoice, ok
from fixtures.processes import free_port
from nitida.core.settings import Settings
from nitida.delivery.models import Delivery
from nitida.devtools.fake_dian import FakeDian, Fault
from nitida.dian import attached, transmission
from nitida.einvoicing import signing
from nitida.jobs.models import Job
from nitida.jobs.worker import Worker
from nitida.users.models import Role


def text_of(data: bytes, tmp_path) -> str:
    """What a reader sees in a PDF (pdftotext, poppler-utils): missing, skip; under CI, fail."""
    if not shutil.which("pdftotext"):
        message = "poppler-utils (pdftotext) is not installed: apt-get install poppler-utils"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    source = tmp_path / "doc.pdf"
    source.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True).stdout.decode()


@pytest.fixture
def fake():
    with FakeDian(stall_seconds=3) as server:
        yield server


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.url = ""

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}?timeout=2"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def worker(database, settings):
    def make(tenant, fake, smtp_url: str, *, backoff: float = 0.0) -> Worker:
        return _worker(database, settings.database_url, tenant, fake, smtp_url, backoff=backoff)

    return make


def _worker(database, database_url: str, tenant, fake, smtp_url: str, *, backoff: float = 0.0) -> Worker:
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,
        dian_url=fake.url,
        dian_timeout_seconds=0.5,
        smtp_url=smtp_url,
        job_backoff_seconds=backoff,
        job_backoff_cap_seconds=max(backoff, 1),
    )
    return Worker(database, only_tenant=tenant.id, settings=settings, name=f"delivery-test-{tenant.id.hex[:6]}")


def invoice_of(client, tenant, **kwargs) -> dict:
    headers = tenant.headers()
    configure(client, headers)
    return issued_invoice(client, headers, **kwargs)


def delivery_of(client, tenant, invoice_id: str, role: Role = Role.ADMIN) -> dict:
    return ok(client.get(f"/billing/invoices/{invoice_id}/dian-messages", headers=tenant.headers(role)))


def history_actions(client, tenant, invoice_id: str) -> list[str]:
    events = ok(client.get(f"/billing/invoices/{invoice_id}/history", headers=tenant.headers()))
    return [e["action"] for e in events]


def the_zip(raw: bytes) -> tuple[str, zipfile.ZipFile, EmailMessage]:
    msg = message_from_bytes(raw, policy=policy.default)
    [attachment] = list(msg.iter_attachments())
    return msg["Subject"], zipfile.ZipFile(io.BytesIO(attachment.get_content())), msg


def test_issued_invoice_is_sent_accepted_and_mailed(client, tenant, worker, fake, smtp, tmp_path):
    dian = answers.StatefulDian(pending_polls=1).install(fake)
    invoice = invoice_of(client, tenant)
    assert invoice["electronicStatus"] == "SIGNED"
    before = delivery_of(client, tenant, invoice["id"], Role.CONSULTA)
    assert before["electronicStatus"] == "SIGNED" and before["sendJob"]["status"] == "QUEUED"
    assert_problem(client.get(f"/billing/invoices/{invoice['id']}/attached-document", headers=tenant.headers()), 409)

    worker(tenant, fake, smtp.url).run_until_idle()

    # One upload, a first poll "in process" (retried), a second poll with the answer.
    assert fake.operations() == ["SendTestSetAsync", "GetStatusZip", "GetStatusZip"]
    [upload] = fake.requests[:1]
    assert upload.checked.params["testSetId"] == "3b7a1f7c-0d5e-4d62-9c55-1b1f0b1f6e2a"
    [(file_name, sent_xml)] = upload.files.items()
    assert file_name == "fv09001234560002600000001.xml"
    shown = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=tenant.headers()))
    assert shown["electronicStatus"] == "ACCEPTED"
    state = delivery_of(client, tenant, invoice["id"])
    assert state["trackId"] in dian.by_zip_key and state["statusCode"] == "00"
    assert state["mailStatus"] == "SENT" and state["mailTo"] == "facturacion@ferreteriaeldorado.com.co"

    response = client.get(f"/billing/invoices/{invoice['id']}/attached-document", headers=tenant.headers(Role.CONSULTA))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    container = response.content
    assert signing.verify(container)
    document, app_response = attached.embedded_documents(container)
    assert document == sent_xml and b"Documento validado por la DIAN" in app_response

    [raw] = smtp.messages
    subject, archive, msg = the_zip(raw)
    assert subject == f"900123456;Papelería Nítida S.A.S.;{invoice['number']};01;Papelería Nítida"
    assert msg["To"] == "facturacion@ferreteriaeldorado.com.co"
    names = sorted(archive.namelist())
    assert names == ["ad09001234560002600000001.pdf", "ad09001234560002600000001.xml"]
    assert archive.read(names[1]) == container
    printed = text_of(archive.read(names[0]), tmp_path)
    assert invoice["number"] in printed and "Representación gráfica" in printed
    assert history_actions(client, tenant, invoice["id"])[-3:] == ["SENT_TO_DIAN", "ACCEPTED_BY_DIAN", "EMAILED"]


def test_a_rejection_stores_and_shows_every_dian_message(client, tenant, worker, fake, smtp):
    answers.StatefulDian(reject=True).install(fake)
    invoice = invoice_of(client, tenant)
    worker(tenant, fake, smtp.url).run_until_idle()

    state = delivery_of(client, tenant, invoice["id"], Role.CONSULTA)
    assert state["electronicStatus"] == "REJECTED"
    assert len(state["messages"]) == 21
    assert state["messages"][-1] == "Regla: FAN02, Rechazo: Método de pago inválido"
    assert state["mailStatus"] == "NOT_YET" and smtp.messages == []
    assert history_actions(client, tenant, invoice["id"])[-2:] == ["SENT_TO_DIAN", "REJECTED_BY_DIAN"]
    assert_problem(client.get(f"/billing/invoices/{invoice['id']}/attached-document", headers=tenant.headers()), 409)

    # A resend asks for the CUFE's status first: the DIAN has it (rejected), so nothing is uploaded again.
    assert_problem(client.post(f"/billing/invoices/{invoice['id']}/resend", headers=tenant.headers(Role.OPERADOR)), 403)
    ok(client.post(f"/billing/invoices/{invoice['id']}/resend", headers=tenant.headers()), 202)
    worker(tenant, fake, smtp.url).run_until_idle()
    assert fake.operations().count("SendTestSetAsync") == 1 and fake.operations()[-1] == "GetStatus"
    assert delivery_of(client, tenant, invoice["id"])["electronicStatus"] == "REJECTED"


def test_an_upload_the_dian_never_took_is_resent_after_the_fix(client, tenant, worker, fake, smtp):
    dian = answers.StatefulDian().install(fake)
    fake.replies["SendTestSetAsync"] = answers.send_test_set_error()
    invoice = invoice_of(client, tenant)
    worker(tenant, fake, smtp.url).run_until_idle()
    state = delivery_of(client, tenant, invoice["id"])
    assert state["electronicStatus"] == "REJECTED"
    assert state["messages"] == ["Error al parsear xml. Namespace prefix 'ds' is not defined."]

    dian.install(fake)
    ok(client.post(f"/billing/invoices/{invoice['id']}/resend", headers=tenant.headers()), 202)
    # While the resend is queued, a second one is refused: one document, one send at a time.
    assert_problem(client.post(f"/billing/invoices/{invoice['id']}/resend", headers=tenant.headers()), 409)
    worker(tenant, fake, smtp.url).run_until_idle()
    # The DIAN did not know the CUFE, so it was uploaded again (same file name: the counter is kept).
    assert fake.operations() == ["SendTestSetAsync", "GetStatus", "SendTestSetAsync", "GetStatusZip"]
    assert list(fake.requests[2].files) == list(fake.requests[0].files)
    assert delivery_of(client, tenant, invoice["id"])["electronicStatus"] == "ACCEPTED"
    assert len(smtp.messages) == 1


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.TIMEOUT])
def test_a_dian_failure_is_retried_with_backoff_without_a_second_upload(client, tenant, worker, fake, smtp, fault):
    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant)
    runner = worker(tenant, fake, smtp.url, backoff=0.3)
    fake.fault = fault
    runner.run_once()
    fake.fault = Fault.NONE
    state = delivery_of(client, tenant, invoice["id"])
    assert state["electronicStatus"] == "SIGNED"
    assert state["sendJob"]["status"] == "QUEUED" and state["sendJob"]["attempts"] == 1
    assert "DianUnavailable" in state["sendJob"]["lastError"]
    assert runner.run_once() is None  # backing off: not due yet
    time.sleep(0.35)
    runner.run_until_idle()
    # The DIAN had received it: the retry asked for the CUFE's status and did not upload it again.
    assert fake.operations() == ["SendTestSetAsync", "GetStatus"]
    assert delivery_of(client, tenant, invoice["id"])["electronicStatus"] == "ACCEPTED"
    assert len(smtp.messages) == 1


def test_a_failing_mail_server_ends_in_a_visible_failed_job(client, tenant, worker, fake):
    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant)
    nobody_listens = f"smtp://127.0.0.1:{free_port()}?timeout=1"
    started = time.monotonic()
    worker(tenant, fake, nobody_listens).run_until_idle()
    assert time.monotonic() - started < 30
    state = delivery_of(client, tenant, invoice["id"])
    assert state["electronicStatus"] == "ACCEPTED"
    assert state["mailStatus"] == "FAILED"
    assert state["mailJob"]["status"] == "FAILED" and state["mailJob"]["attempts"] == 8
    assert "MailUnavailable" in state["mailJob"]["lastError"]
    failed = ok(client.get("/jobs?status=FAILED", headers=tenant.headers()))
    assert [j["kind"] for j in failed] == ["delivery.mail"]
    # The API goes on: the invoice reads, and an OPERADOR may ask for the mail again.
    ok(client.post(f"/billing/invoices/{invoice['id']}/email", headers=tenant.headers(Role.OPERADOR)), 202)


def test_a_customer_without_email_gets_a_clear_status(client, tenant, worker, fake, smtp):
    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant, customer=customer_body(email=""))
    worker(tenant, fake, smtp.url).run_until_idle()
    state = delivery_of(client, tenant, invoice["id"])
    assert state["electronicStatus"] == "ACCEPTED"
    assert state["mailStatus"] == "NO_EMAIL" and state["mailJob"]["status"] == "SUCCEEDED"
    assert smtp.messages == []
    assert history_actions(client, tenant, invoice["id"])[-1] == "EMAIL_NOT_SENT"

    # Mailed on request to another address.
    body = {"to": "compras@eldorado.com.co"}
    ok(client.post(f"/billing/invoices/{invoice['id']}/email", headers=tenant.headers(), json=body), 202)
    worker(tenant, fake, smtp.url).run_until_idle()
    [raw] = smtp.messages
    assert the_zip(raw)[2]["To"] == "compras@eldorado.com.co"
    state = delivery_of(client, tenant, invoice["id"])
    assert state["mailStatus"] == "SENT" and state["mailTo"] == "compras@eldorado.com.co"
    assert_problem(
        client.post(f"/billing/invoices/{invoice['id']}/email", headers=tenant.headers(), json={"to": "nope"}),
        400,
        field="to",
    )


def test_a_failed_issue_enqueues_nothing(client, tenant, database, monkeypatch):
    from nitida.invoices import service as invoices

    def broken(*args, **kwargs):
        raise RuntimeError("the audit trail is away")

    headers = tenant.headers()
    configure(client, headers)
    real = invoices._record
    monkeypatch.setattr(
        invoices,
        "_record",
        lambda s, a, i, action, *rest, **kw: broken() if action == "ISSUED" else real(s, a, i, action, *rest, **kw),
    )
    with pytest.raises(AssertionError):
        issued_invoice(client, headers)  # the issue answers 500 after the send job was added
    monkeypatch.undo()
    with database.tenant_session(tenant.id) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_printed_forms_of_a_draft_an_invoice_and_its_notes(client, tenant, tmp_path):
    headers = tenant.headers()
    invoice = invoice_of(client, tenant)
    printed = client.get(f"/billing/invoices/{invoice['id']}/pdf", headers=tenant.headers(Role.CONSULTA))
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    text = text_of(printed.content, tmp_path)
    assert invoice["number"] in text and "Borrador" not in text and "CUFE" in text

    draft = ok(
        client.post(
            "/billing/invoices",
            headers=headers,
            json={
                "customerId": invoice["customerId"],
                "resolutionId": invoice["resolutionId"],
                "paymentForm": "CONTADO",
                "lines": [{"description": "Resma papel carta", "quantity": "1", "unitPrice": "11900.00"}],
            },
        ),
        201,
    )
    preview = client.get(f"/billing/invoices/{draft['id']}/pdf", headers=headers)
    assert preview.status_code == 200
    assert "Borrador — sin validez fiscal" in text_of(preview.content, tmp_path)

    dian_accepts(client, headers, invoice)  # a note references an invoice the DIAN accepted (issue 25)
    note = ok(
        client.post(
            f"/billing/invoices/{invoice['id']}/credit-notes",
            headers=headers,
            json={
                "concept": 3,
                "description": "Descuento",
                "lines": [{"description": "Descuento", "quantity": "1", "unitPrice": "1000.00"}],
            },
        ),
        201,
    )
    note_pdf = client.get(f"/billing/credit-notes/{note['id']}/pdf", headers=headers)
    assert note_pdf.status_code == 200 and note["number"] in text_of(note_pdf.content, tmp_path)
    assert_problem(client.get(f"/billing/debit-notes/{note['id']}/pdf", headers=headers), 404)


def test_a_worker_killed_mid_send_neither_loses_nor_duplicates_the_upload(client, tenant, database, worker, fake, smtp):
    from datetime import timedelta

    from fixtures.einvoicing import demo_certificate
    from nitida.dian.client import DianClient
    from nitida.einvoicing.documents import DocumentKind
    from nitida.jobs import service as jobs
    from nitida.vocabulary.kinds import Environment

    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant)
    xml = client.get(f"/billing/invoices/{invoice['id']}/xml", headers=tenant.headers()).content
    # A worker takes the send job, uploads the document, and dies before recording anything.
    claimed = jobs.claim(database, "doomed", jobs.QueuePolicy(lease=timedelta(seconds=0.3)), only_tenant=tenant.id)
    assert claimed is not None and claimed.kind == "delivery.send"
    with DianClient(demo_certificate(), fake.url, timeout=2) as dian:
        pkg = transmission.package(xml, DocumentKind.INVOICE, "900123456", 2026, 1)
        transmission.submit(
            dian,
            Environment.HABILITACION,
            pkg,
            document_key=invoice["cufe"],
            test_set_id="3b7a1f7c-0d5e-4d62-9c55-1b1f0b1f6e2a",
        )
    assert delivery_of(client, tenant, invoice["id"])["sendJob"]["status"] == "RUNNING"
    time.sleep(0.35)  # its lease runs out: the job is due again

    worker(tenant, fake, smtp.url).run_until_idle()
    assert fake.operations() == ["SendTestSetAsync", "GetStatus"]  # asked, not uploaded again
    state = delivery_of(client, tenant, invoice["id"])
    assert state["electronicStatus"] == "ACCEPTED" and state["sendJob"]["attempts"] == 2
    assert len(smtp.messages) == 1


def test_a_credit_note_is_sent_and_mailed_like_its_invoice(client, tenant, database, worker, fake, smtp):
    answers.StatefulDian().install(fake)
    invoice = invoice_of(client, tenant)
    worker(tenant, fake, smtp.url).run_until_idle()  # a note references an invoice the DIAN accepted (issue 25)
    body = {
        "concept": 3,
        "description": "Descuento",
        "lines": [{"description": "Descuento", "quantity": "1", "unitPrice": "1000.00"}],
    }
    note = ok(client.post(f"/billing/invoices/{invoice['id']}/credit-notes", headers=tenant.headers(), json=body), 201)
    worker(tenant, fake, smtp.url).run_until_idle()

    uploaded = sorted(name for r in fake.requests for name in r.files)
    assert uploaded == ["fv09001234560002600000001.xml", "nc09001234560002600000001.xml"]
    shown = ok(client.get(f"/billing/credit-notes/{note['id']}", headers=tenant.headers()))
    assert shown["electronicStatus"] == "ACCEPTED"
    subjects = sorted(the_zip(raw)[0] for raw in smtp.messages)
    assert subjects == sorted(
        [
            f"900123456;Papelería Nítida S.A.S.;{invoice['number']};01;Papelería Nítida",
            f"900123456;Papelería Nítida S.A.S.;{note['number']};91;Papelería Nítida",
        ]
    )
    from nitida.audit.service import history

    with database.tenant_session(tenant.id) as session:
        events = history(session, entity_type="credit_note", entity_id=uuid.UUID(note["id"]))
        assert [e.action for e in events][-3:] == ["SENT_TO_DIAN", "ACCEPTED_BY_DIAN", "EMAILED"]
