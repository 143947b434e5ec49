"""The building blocks together against the fake DIAN and a real SMTP server: SIGNED -> SENT -> ACCEPTED -> the
buyer's ZIP; a rejection with its messages; an ambiguous failure resolved by asking for the CUFE's status."""

from __future__ import annotations

import io
import zipfile
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from fixtures import dian as answers
from fixtures.einvoicing import assert_schema_valid, demo_certificate, make_document
from fixtures.processes import free_port
from nitida.devtools.fake_dian import FakeDian, Fault
from nitida.dian import attached, files, mail, pdf, transmission
from nitida.dian.client import DianClient, DianUnavailable
from nitida.dian.responses import Outcome
from nitida.einvoicing import emit, signing
from nitida.einvoicing.documents import DocumentKind, Software
from nitida.vocabulary.kinds import ElectronicStatus, Environment

TEST_SET = "e6784f41-2aba-4ed3-bcb6-d045ab217e72"


@pytest.fixture
def fake():
    with FakeDian(stall_seconds=5) as server:
        yield server


def issued(environment: Environment = Environment.HABILITACION):
    software = Software("56f2ae4e-9812-4fad-9255-08fcfcd5ccb0", "20191", environment, "900123456", "8")
    doc = make_document(software=software)
    return doc, emit.emit(doc, demo_certificate())


def test_habilitacion_sent_then_polled_to_acceptance_then_mailed(fake):
    dian = answers.StatefulDian(pending_polls=1).install(fake)
    doc, emitted = issued()
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 1)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        sent = transmission.submit(
            client, Environment.HABILITACION, pkg, document_key=emitted.document_key, test_set_id=TEST_SET
        )
        assert sent.status is ElectronicStatus.SENT and sent.track_id in dian.by_zip_key
        assert fake.requests[0].checked.params["testSetId"] == TEST_SET
        assert fake.requests[0].files == {"fv09001234560002600000001.xml": emitted.xml}
        first = transmission.status(
            client, Environment.HABILITACION, track_id=sent.track_id, document_key=emitted.document_key
        )
        assert first.outcome is Outcome.PENDING and transmission.status_of(first) is None
        second = transmission.status(
            client, Environment.HABILITACION, track_id=sent.track_id, document_key=emitted.document_key
        )
    assert transmission.status_of(second) is ElectronicStatus.ACCEPTED
    assert fake.operations() == ["SendTestSetAsync", "GetStatusZip", "GetStatusZip"]

    container = attached.attached_document(emitted.xml, second.application_response, demo_certificate())
    assert_schema_valid(container)
    printed = pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data))
    names = files.document_file_names("attached", "900123456", 2026, 1)
    inbox: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            inbox.append(envelope.original_content)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        built = mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co")
        mail.send(mail.message(built), mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    finally:
        controller.stop()
    [raw] = inbox
    [attachment] = list(message_from_bytes(raw, policy=policy.default).iter_attachments())
    with zipfile.ZipFile(io.BytesIO(attachment.get_content())) as archive:
        received = archive.read(names.xml)
    assert signing.verify(received)
    document, response = attached.embedded_documents(received)
    assert document == emitted.xml and response == second.application_response


def test_produccion_answers_at_once(fake):
    answers.StatefulDian().install(fake)
    doc, emitted = issued(Environment.PRODUCCION)
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 2)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        sent = transmission.submit(client, Environment.PRODUCCION, pkg, document_key=emitted.document_key)
        assert sent.status is ElectronicStatus.ACCEPTED and sent.track_id == emitted.document_key
        assert sent.response.application_response
        again = transmission.status(
            client, Environment.PRODUCCION, track_id=sent.track_id, document_key=emitted.document_key
        )
    assert transmission.status_of(again) is ElectronicStatus.ACCEPTED
    assert fake.operations() == ["SendBillSync", "GetStatus"]


def test_a_rejection_keeps_every_dian_message(fake):
    answers.StatefulDian(reject=True).install(fake)
    _, emitted = issued()
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 3)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        sent = transmission.submit(
            client, Environment.HABILITACION, pkg, document_key=emitted.document_key, test_set_id=TEST_SET
        )
        answer = transmission.status(
            client, Environment.HABILITACION, track_id=sent.track_id, document_key=emitted.document_key
        )
    assert transmission.status_of(answer) is ElectronicStatus.REJECTED
    assert len(answer.rejections) == 21
    assert answer.error_messages[-1] == "Regla: FAN02, Rechazo: Método de pago inválido"


def test_an_upload_the_dian_refuses_is_rejected_with_its_message(fake):
    fake.replies["SendTestSetAsync"] = answers.send_test_set_error()
    _, emitted = issued()
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 4)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        sent = transmission.submit(
            client, Environment.HABILITACION, pkg, document_key=emitted.document_key, test_set_id=TEST_SET
        )
    assert sent.status is ElectronicStatus.REJECTED
    assert sent.messages == ("Error al parsear xml. Namespace prefix 'ds' is not defined.",)


@pytest.mark.parametrize("fault", [Fault.TIMEOUT, Fault.HTTP_500, Fault.HUNG])
def test_after_an_ambiguous_failure_the_cufe_status_says_the_dian_has_it(fake, fault):
    answers.StatefulDian().install(fake)
    _, emitted = issued(Environment.PRODUCCION)
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 5)
    with DianClient(demo_certificate(), fake.url, timeout=0.5, connect_timeout=0.5) as client:
        fake.fault = fault
        with pytest.raises(DianUnavailable):
            transmission.submit(client, Environment.PRODUCCION, pkg, document_key=emitted.document_key)
        fake.fault = Fault.NONE
        # The job retries by asking first: the DIAN did receive it, so it is not sent twice.
        answer = transmission.status(client, Environment.PRODUCCION, track_id=None, document_key=emitted.document_key)
    assert transmission.status_of(answer) is ElectronicStatus.ACCEPTED
    assert fake.operations() == ["SendBillSync", "GetStatus"]


def test_a_document_the_dian_never_received_is_not_found(fake):
    answers.StatefulDian().install(fake)
    _, emitted = issued(Environment.PRODUCCION)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        answer = transmission.status(client, Environment.PRODUCCION, track_id=None, document_key=emitted.document_key)
    assert answer.outcome is Outcome.NOT_FOUND and transmission.status_of(answer) is None


def test_habilitacion_needs_the_test_set_id(fake):
    _, emitted = issued()
    pkg = transmission.package(emitted.xml, DocumentKind.INVOICE, "900123456", 2026, 6)
    with DianClient(demo_certificate(), fake.url, timeout=3) as client:
        with pytest.raises(ValueError, match="test-set id"):
            transmission.submit(client, Environment.HABILITACION, pkg, document_key=emitted.document_key)
    assert fake.requests == []
