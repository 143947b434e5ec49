"""The DIAN web-service client against the local fake DIAN, which checks WS-Security and replays the real answers."""

from __future__ import annotations

import base64
import datetime as dt
import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from fixtures import dian as answers
from fixtures.einvoicing import CERT_PASSWORD, demo_certificate
from nitida.devtools.fake_dian import FakeDian, Fault
from nitida.dian import client as dian_client
from nitida.dian import files, wssecurity
from nitida.dian.client import DianClient, DianRefused, DianUnavailable
from nitida.dian.responses import Outcome
from nitida.einvoicing import certificates
from nitida.einvoicing.documents import DocumentKind
from nitida.vocabulary.kinds import Environment

CUFE = "840ca7a4606904acb5d979db78257876f7c987261cb499e9b4a4c4fd18864db9a7c54c1b15affb68997550889cffd4f7"
NS = {
    "soap": wssecurity.SOAP,
    "wsa": wssecurity.WSA,
    "wsse": wssecurity.WSSE,
    "wsu": wssecurity.WSU,
    "ds": wssecurity.DS,
    "ec": wssecurity.EXC_C14N,
}


@pytest.fixture
def fake():
    with FakeDian(stall_seconds=10) as server:
        yield server


@pytest.fixture
def client(fake):
    with DianClient(demo_certificate(), fake.url, timeout=2, connect_timeout=1) as c:
        yield c


def packaged(xml: bytes = b"<Invoice>firmada</Invoice>"):
    names = files.document_file_names(DocumentKind.INVOICE, "900123456", 2026, 1)
    return names, files.zip_single(names.xml, xml)


# --- the envelope the DIAN asks for ---


def test_envelope_carries_action_to_timestamp_token_and_a_signature_over_to():
    now = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
    raw = wssecurity.envelope(
        "GetStatus",
        [("trackId", CUFE)],
        to="https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc",
        certificate=demo_certificate(),
        now=now,
    )
    root = etree.fromstring(raw)
    header = root.find("soap:Header", NS)
    assert header.findtext("wsa:Action", namespaces=NS) == "http://wcf.dian.colombia/IWcfDianCustomerServices/GetStatus"
    to = header.find("wsa:To", NS)
    assert to.text == "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc"
    security = header.find("wsse:Security", NS)
    assert security.get(f"{{{wssecurity.SOAP}}}mustUnderstand") == "true"
    assert security.findtext("wsu:Timestamp/wsu:Created", namespaces=NS) == "2026-11-25T14:00:00.000Z"
    assert security.findtext("wsu:Timestamp/wsu:Expires", namespaces=NS) == "2026-11-25T14:01:00.000Z"
    token = security.find("wsse:BinarySecurityToken", NS)
    assert token.get("ValueType").endswith("#X509v3")
    signed_info = security.find("ds:Signature/ds:SignedInfo", NS)
    c14n = signed_info.find("ds:CanonicalizationMethod", NS)
    assert c14n.get("Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#"
    assert c14n.find("ec:InclusiveNamespaces", NS).get("PrefixList") == "wsa soap wcf"
    assert signed_info.find("ds:SignatureMethod", NS).get("Algorithm").endswith("#rsa-sha256")
    refs = signed_info.findall("ds:Reference", NS)
    assert [r.get("URI") for r in refs] == [f"#{to.get(f'{{{wssecurity.WSU}}}Id')}"]
    assert refs[0].find("ds:DigestMethod", NS).get("Algorithm").endswith("#sha256")
    str_ref = security.find("ds:Signature/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    assert str_ref.get("URI") == f"#{token.get(f'{{{wssecurity.WSU}}}Id')}"
    assert root.findtext(f"{{{wssecurity.SOAP}}}Body/{{{wssecurity.WCF}}}GetStatus/{{{wssecurity.WCF}}}trackId") == CUFE
    checked = wssecurity.check(raw, now=now + dt.timedelta(seconds=5))
    assert checked.operation == "GetStatus" and checked.params == {"trackId": CUFE}
    assert checked.certificate == demo_certificate().certificate


def _signed(now=None, to="http://127.0.0.1:9/WcfDianCustomerServices.svc"):
    return wssecurity.envelope("GetStatus", [("trackId", CUFE)], to=to, certificate=demo_certificate(), now=now)


def test_check_refuses_a_changed_to_an_expired_timestamp_and_a_foreign_token():
    raw = _signed()
    tampered = raw.replace(b"127.0.0.1:9", b"127.0.0.1:8")
    with pytest.raises(wssecurity.SecurityInvalid, match="does not verify"):
        wssecurity.check(tampered)
    old = _signed(now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
    with pytest.raises(wssecurity.SecurityInvalid, match="expired"):
        wssecurity.check(old)
    with pytest.raises(wssecurity.SecurityInvalid, match="wsa:To"):
        wssecurity.check(raw, expected_to="http://127.0.0.1:7/WcfDianCustomerServices.svc")
    # Another certificate in the token: the signature no longer verifies with it.
    other = certificates.load_p12(
        certificates.generate_self_signed_p12("Otra S.A.S.", "800111222", CERT_PASSWORD), CERT_PASSWORD
    )
    root = etree.fromstring(raw)
    token = root.find(".//wsse:BinarySecurityToken", NS)
    token.text = base64.b64encode(other.certificate.public_bytes(serialization.Encoding.DER)).decode()
    with pytest.raises(wssecurity.SecurityInvalid, match="does not verify"):
        wssecurity.check(etree.tostring(root))


def test_a_changed_body_operation_no_longer_matches_the_signed_action():
    raw = _signed().replace(b"wcf:GetStatus>", b"wcf:GetStatusZip>")
    with pytest.raises(wssecurity.SecurityInvalid, match="wsa:Action"):
        wssecurity.check(raw)


# --- operations against the fake DIAN with its real answers ---


def test_send_test_set_async_uploads_the_named_zip_and_returns_the_zip_key(fake, client):
    fake.replies["SendTestSetAsync"] = answers.send_test_set_ok()
    names, data = packaged()
    result = client.send_test_set_async(names.zip, data, "e6784f41-2aba-4ed3-bcb6-d045ab217e72")
    assert result.zip_key == "ef9998bd-8081-4882-9762-3d7cc53ac497"
    assert result.accepted_for_processing and result.errors == ()
    [received] = fake.requests
    assert received.checked.params["fileName"] == names.zip
    assert received.checked.params["testSetId"] == "e6784f41-2aba-4ed3-bcb6-d045ab217e72"
    assert received.files == {names.xml: b"<Invoice>firmada</Invoice>"}
    assert received.checked.to == fake.url


def test_send_test_set_async_with_upload_errors_is_a_result(fake, client):
    fake.replies["SendTestSetAsync"] = answers.send_test_set_error()
    names, data = packaged()
    result = client.send_test_set_async(names.zip, data, "test-set")
    assert result.zip_key is None and not result.accepted_for_processing
    [error] = result.errors
    assert error.message == "Error al parsear xml. Namespace prefix 'ds' is not defined."
    assert error.document_key == "604128a1bbf0a49098411bbcd6c7b059e4d35cd1"
    assert error.success is False


def test_get_status_zip_with_rule_errors_is_a_rejection_with_every_message_verbatim(fake, client):
    fake.replies["GetStatusZip"] = answers.status_zip_rejected()
    [response] = client.get_status_zip("ef9998bd-8081-4882-9762-3d7cc53ac497")
    assert response.outcome is Outcome.REJECTED
    assert response.is_valid is False and response.status_code == "99"
    assert response.status_description == "Validación contiene errores en campos mandatorios."
    assert len(response.error_messages) == 21
    assert response.error_messages[0] == (
        "Regla: FAJ26, Rechazo: Responsabilidad informada por emisor no valida según lista."
    )
    assert response.error_messages[-1] == "Regla: FAN02, Rechazo: Método de pago inválido"
    assert response.rules[2].rule == "FAD06" and response.rules[2].kind == "Rechazo"
    assert len(response.rejections) == 21
    assert response.document_key == CUFE
    assert response.file_name == "face_f07300448580000000003"
    assert fake.operations() == ["GetStatusZip"]


def test_get_status_zip_accepted_returns_the_application_response(fake, client):
    app = answers.application_response("SETP990000101", CUFE)
    fake.replies["GetStatusZip"] = answers.status_zip_accepted(CUFE, app)
    [response] = client.get_status_zip("ef9998bd")
    assert response.outcome is Outcome.ACCEPTED
    assert response.status_code == "00" and response.error_messages == ()
    assert response.application_response == app
    assert response.document_key == CUFE


def test_send_bill_sync_accepted_and_rejected(fake, client):
    app = answers.application_response("SETP990000101", CUFE)
    fake.replies["SendBillSync"] = answers.dian_response_answer("SendBillSync", key=CUFE, app_response=app)
    names, data = packaged()
    accepted = client.send_bill_sync(names.zip, data)
    assert accepted.outcome is Outcome.ACCEPTED and accepted.application_response == app
    assert set(fake.requests[0].checked.params) == {"fileName", "contentFile"}
    fake.replies["SendBillSync"] = answers.dian_response_answer("SendBillSync", key=CUFE)
    rejected = client.send_bill_sync(names.zip, data)
    assert rejected.outcome is Outcome.REJECTED
    assert (
        "Regla: FAB27b, Rechazo: Huella no corresponde a un software autorizado para este\n"
        in (rejected.error_messages[1])
    )


def test_get_status_by_cufe(fake, client):
    app = answers.application_response("SETP990000101", CUFE)
    fake.replies["GetStatus"] = answers.dian_response_answer("GetStatus", key=CUFE, app_response=app)
    assert client.get_status(CUFE).outcome is Outcome.ACCEPTED
    assert fake.requests[0].checked.params == {"trackId": CUFE}


def test_numbering_range_error_is_a_result(fake, client):
    fake.replies["GetNumberingRange"] = answers.numbering_range_error()
    result = client.get_numbering_range("900123456", "900123456", "56f2ae4e-9812-4fad-9255-08fcfcd5ccb0")
    assert not result.ok
    assert result.operation_code == "401"
    assert result.operation_description == (
        "NIT: 154845 no autorizado para consultar rangos de numeración del NIT: 1111111111111"
    )
    assert result.ranges == ()
    assert fake.requests[0].checked.params == {
        "accountCode": "900123456",
        "accountCodeT": "900123456",
        "softwareCode": "56f2ae4e-9812-4fad-9255-08fcfcd5ccb0",
    }


# --- failures: retryable or not ---


def test_http_500_is_retryable(fake, client):
    fake.replies["GetStatus"] = answers.status_zip_rejected()
    fake.fault = Fault.HTTP_500
    with pytest.raises(DianUnavailable, match="HTTP 500") as info:
        client.get_status(CUFE)
    assert info.value.retryable


def test_malformed_answer_is_retryable(fake, client):
    fake.replies["GetStatusZip"] = answers.status_zip_rejected()
    fake.fault = Fault.MALFORMED
    with pytest.raises(DianUnavailable, match="malformed") as info:
        client.get_status_zip("x")
    assert info.value.retryable


def test_an_answer_of_another_operation_is_malformed(fake, client):
    fake.replies["GetStatus"] = answers.send_test_set_ok()
    with pytest.raises(DianUnavailable, match="no GetStatusResponse"):
        client.get_status(CUFE)


def test_late_answer_times_out_and_is_retryable(fake):
    fake.replies["GetStatus"] = answers.status_zip_rejected()
    fake.fault = Fault.TIMEOUT
    with DianClient(demo_certificate(), fake.url, timeout=0.5, connect_timeout=0.5) as c:
        started = time.monotonic()
        with pytest.raises(DianUnavailable, match="in time") as info:
            c.get_status(CUFE)
    assert time.monotonic() - started < 3
    assert info.value.retryable


def test_hung_connection_mid_answer_is_retryable(fake):
    fake.replies["GetStatusZip"] = answers.status_zip_rejected()
    fake.fault = Fault.HUNG
    with DianClient(demo_certificate(), fake.url, timeout=0.5, connect_timeout=0.5) as c:
        started = time.monotonic()
        with pytest.raises(DianUnavailable) as info:
            c.get_status_zip("x")
    assert time.monotonic() - started < 3
    assert info.value.retryable


def test_nobody_listening_is_retryable():
    from fixtures.processes import free_port

    with DianClient(demo_certificate(), f"http://127.0.0.1:{free_port()}/x", timeout=1, connect_timeout=1) as c:
        with pytest.raises(DianUnavailable, match="cannot reach"):
            c.get_status(CUFE)


def test_a_signature_the_dian_cannot_verify_is_refused_not_retried(fake):
    fake.replies["GetStatus"] = answers.status_zip_rejected()
    # The client signs wsa:To for another address than the one it posts to: the DIAN refuses the security header.
    with DianClient(demo_certificate(), fake.url, timeout=2) as c:
        c.url = fake.url.replace("127.0.0.1", "localhost")
        with pytest.raises(DianRefused, match="InvalidSecurity") as info:
            c.get_status(CUFE)
    assert not info.value.retryable
    assert info.value.fault.subcode == "InvalidSecurity"
    assert "wsa:To" in fake.refused[0]
    assert fake.requests == []


def test_service_url_defaults_per_environment_and_the_setting_wins():
    assert dian_client.service_url(Environment.HABILITACION) == (
        "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc"
    )
    assert dian_client.service_url("PRODUCCION") == "https://vpfe.dian.gov.co/WcfDianCustomerServices.svc"
    assert dian_client.service_url("PRODUCCION", "http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"


def test_round_trip_time_against_the_fake(fake, client, record_property):
    fake.replies["GetStatus"] = answers.dian_response_answer("GetStatus", key=CUFE)
    client.get_status(CUFE)  # warm-up
    started = time.perf_counter()
    for _ in range(10):
        client.get_status(CUFE)
    per_call_ms = (time.perf_counter() - started) * 100
    record_property("soap_round_trip_ms", round(per_call_ms, 1))
    print(f"SOAP round trip against the fake DIAN: {per_call_ms:.1f} ms")
    assert per_call_ms < 1000


def test_httpx_is_what_the_client_speaks():
    # The transport is injectable (jobs may share one); a mock transport sees the SOAP 1.2 content type.
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["content_type"] = request.headers["content-type"]
        return httpx.Response(503, text="Service Unavailable")

    with DianClient(
        demo_certificate(),
        "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc",
        transport=httpx.MockTransport(handler),
    ) as c:
        with pytest.raises(DianUnavailable, match="HTTP 503"):
            c.get_status(CUFE)
    assert seen["content_type"] == (
        'application/soap+xml;charset=UTF-8;action="http://wcf.dian.colombia/IWcfDianCustomerServices/GetStatus"'
    )


def test_settings_read_the_dian_and_smtp_variables(monkeypatch):
    from nitida.core.settings import Settings

    monkeypatch.setenv("NITIDA_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("NITIDA_DIAN_URL", "http://127.0.0.1:9/WcfDianCustomerServices.svc")
    monkeypatch.setenv("NITIDA_SMTP_URL", "smtp://127.0.0.1:2525")
    settings = Settings()
    assert dian_client.service_url(Environment.PRODUCCION, settings.dian_url) == settings.dian_url
    assert settings.smtp_url == "smtp://127.0.0.1:2525" and settings.dian_timeout_seconds == 60
    monkeypatch.delenv("NITIDA_DIAN_URL")
    assert dian_client.service_url(Environment.HABILITACION, Settings().dian_url) == (
        "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc"
    )
