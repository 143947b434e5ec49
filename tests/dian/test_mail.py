"""The e-mail to the buyer, delivered to a real SMTP server in-process (aiosmtpd): subject, body, the ZIP's contents,
STARTTLS, implicit TLS and authentication, and failures that retry or not."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import ssl
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from fixtures.dian import application_response
from fixtures.einvoicing import CUSTOMER_FINAL, demo_certificate, make_document
from fixtures.processes import free_port
from nitida.dian import attached, files, mail, pdf
from nitida.einvoicing import emit, signing
from nitida.einvoicing.documents import DocumentKind

USER, PASSWORD = "facturacion@nitida.co", "clave smtp con espacios & %/:@"


class Inbox:
    def __init__(self, data_reply: str | None = None) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.data_reply = data_reply

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or b""))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235 / 535 itself


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context trusting it)."""
    folder: Path = tmp_path_factory.mktemp("smtp-tls")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def smtp_server(inbox: Inbox, **kwargs) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


@pytest.fixture(scope="module")
def accepted():
    """An accepted invoice: the document, its container and its PDF."""
    doc = make_document()
    emitted = emit.emit(doc, demo_certificate())
    container = attached.attached_document(
        emitted.xml, application_response(doc.number, emitted.document_key), demo_certificate()
    )
    printed = pdf.render(pdf.Printable(doc, emitted.document_key, emitted.qr_data))
    names = files.document_file_names("attached", doc.supplier.id_number, 2026, 7)
    return doc, container, printed, names


def test_subject_follows_the_annex():
    assert mail.subject("900123456", "Papelería Nítida S.A.S.", "SETP990000101", "01", "Papelería Nítida") == (
        "900123456;Papelería Nítida S.A.S.;SETP990000101;01;Papelería Nítida"
    )
    # Without nombre comercial the razón social repeats; a ";" inside a name would shift the fields.
    assert mail.subject("900123456", "Pérez; Hijos S.A.S.", "NC1", "91", None, "Papelería") == (
        "900123456;Pérez, Hijos S.A.S.;NC1;91;Pérez, Hijos S.A.S.;Papelería"
    )


def test_mail_goes_to_the_customer_with_one_zip_holding_the_container_and_the_pdf(accepted):
    doc, container, printed, names = accepted
    built = mail.delivery_mail(doc, container, printed, names, sender_address="no-responder@nitida.co")
    assert built.to == "facturacion@ferreteriaeldorado.com.co"
    assert built.subject == "900123456;Papelería Nítida S.A.S.;SETP990000101;01;Papelería Nítida"
    assert built.zip_name == "z09001234560002600000007.zip"
    with zipfile.ZipFile(io.BytesIO(built.zip_bytes)) as archive:
        assert sorted(archive.namelist()) == ["ad09001234560002600000007.pdf", "ad09001234560002600000007.xml"]


def test_a_customer_without_email_is_a_clear_error(accepted):
    _, container, printed, names = accepted
    doc = make_document(customer=CUSTOMER_FINAL)
    with pytest.raises(ValueError, match="no e-mail address"):
        mail.delivery_mail(doc, container, printed, names, sender_address="no-responder@nitida.co")


def test_delivered_over_starttls_with_authentication(accepted, tls):
    doc, container, printed, names = accepted
    server_ctx, client_ctx = tls
    inbox = Inbox()
    controller, port = smtp_server(
        inbox,
        tls_context=server_ctx,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    try:
        settings = mail.SmtpSettings.from_url(
            f"smtp://facturacion%40nitida.co:clave%20smtp%20con%20espacios%20%26%20%25%2F%3A%40@127.0.0.1:{port}?starttls=true"
        )
        assert (settings.username, settings.password) == (USER, PASSWORD)
        built = mail.delivery_mail(
            doc, container, printed, names, sender_address="facturacion@nitida.co", to="otra@ferreteria.co"
        )
        mail.send(mail.message(built), settings, ssl_context=client_ctx)
    finally:
        controller.stop()
    [(mail_from, recipients, raw)] = inbox.messages
    assert mail_from == "facturacion@nitida.co" and recipients == ["otra@ferreteria.co"]
    received = message_from_bytes(raw, policy=policy.default)
    assert received["Subject"] == "900123456;Papelería Nítida S.A.S.;SETP990000101;01;Papelería Nítida"
    [sender] = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Papelería Nítida S.A.S.", "facturacion@nitida.co")
    assert received["Reply-To"] == "facturacion@nitida.co"
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert "Señores «Ferretería El Dorado S.A.S.»:" in body  # the buyer's name, quoted as data
    assert "la factura electrónica de venta No. SETP990000101, validada por la DIAN" in body
    attachments = list(received.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("z09001234560002600000007.zip", "application/zip")
    ]
    with zipfile.ZipFile(io.BytesIO(attachments[0].get_content())) as archive:
        assert archive.read("ad09001234560002600000007.xml") == container
        assert archive.read("ad09001234560002600000007.pdf") == printed
    assert signing.verify(container)


def test_delivered_over_implicit_tls(accepted, tls):
    doc, container, printed, names = accepted
    server_ctx, client_ctx = tls
    inbox = Inbox()
    controller, port = smtp_server(inbox, ssl_context=server_ctx)
    try:
        settings = mail.SmtpSettings.from_url(f"smtps://127.0.0.1:{port}")
        assert settings.implicit_tls and not settings.starttls
        built = mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co")
        mail.send(mail.message(built), settings, ssl_context=client_ctx)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_credit_note_mail_names_its_document_type(accepted):
    _, container, printed, names = accepted
    note = make_document(DocumentKind.CREDIT_NOTE, number="NC3")
    built = mail.delivery_mail(note, container, printed, names, sender_address="facturacion@nitida.co")
    assert built.subject == "900123456;Papelería Nítida S.A.S.;NC3;91;Papelería Nítida"
    assert "la nota crédito electrónica No. NC3" in built.body


def test_wrong_password_is_refused_not_retried(accepted, tls):
    doc, container, printed, names = accepted
    server_ctx, client_ctx = tls
    controller, port = smtp_server(
        Inbox(), tls_context=server_ctx, require_starttls=True, auth_required=True, authenticator=authenticator
    )
    try:
        settings = mail.SmtpSettings.from_url(f"smtp://{USER}:otra@127.0.0.1:{port}?starttls=true")
        built = mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co")
        with pytest.raises(mail.MailRefused, match="credentials") as info:
            mail.send(mail.message(built), settings, ssl_context=client_ctx)
    finally:
        controller.stop()
    assert not info.value.retryable


def test_a_server_that_defers_is_retryable_and_one_that_refuses_is_not(accepted):
    doc, container, printed, names = accepted
    built = mail.message(mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co"))
    controller, port = smtp_server(Inbox(data_reply="451 4.3.0 Mailbox temporarily unavailable"))
    try:
        with pytest.raises(mail.MailUnavailable, match="451") as info:
            mail.send(built, mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
        assert info.value.retryable
    finally:
        controller.stop()
    controller, port = smtp_server(Inbox(data_reply="554 5.7.1 Message rejected"))
    try:
        with pytest.raises(mail.MailRefused, match="554"):
            mail.send(built, mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    finally:
        controller.stop()


def test_no_server_listening_is_retryable(accepted):
    doc, container, printed, names = accepted
    built = mail.message(mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co"))
    with pytest.raises(mail.MailUnavailable, match="cannot deliver") as info:
        mail.send(built, mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    assert info.value.retryable


def test_a_server_without_starttls_when_asked_is_refused(accepted):
    doc, container, printed, names = accepted
    built = mail.message(mail.delivery_mail(doc, container, printed, names, sender_address="facturacion@nitida.co"))
    controller, port = smtp_server(Inbox())
    try:
        with pytest.raises(mail.MailRefused, match="does not support"):
            mail.send(built, mail.SmtpSettings.from_url(f"smtp://127.0.0.1:{port}?starttls=true"))
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.co", ("mail.example.co", 25, False, False, None)),
        ("smtp://u:p@mail.example.co?starttls=true", ("mail.example.co", 587, False, True, "u")),
        ("smtps://u:p@mail.example.co", ("mail.example.co", 465, True, False, "u")),
        ("smtp://mail.example.co:2525?starttls=1", ("mail.example.co", 2525, False, True, None)),
    ],
)
def test_smtp_url(url, expected):
    s = mail.SmtpSettings.from_url(url)
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://mail.example.co",
        "smtps://mail.example.co?starttls=true",
        "smtp://h:notaport",
        "smtp://usuario:contrase%C3%B1a@mail.example.co",  # smtplib authenticates in ASCII only
    ],
)
def test_bad_smtp_urls_say_so(url):
    with pytest.raises(mail.MailNotConfigured):
        mail.SmtpSettings.from_url(url)
