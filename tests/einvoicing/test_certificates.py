"""PKCS#12 certificates: what the settings endpoint shows, and the errors it turns into a 400."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from fixtures.einvoicing import CERT_PASSWORD, demo_certificate, demo_p12
from nitida.einvoicing import certificates


def test_loads_subject_serial_and_expiry():
    cert = certificates.load_p12(demo_p12(), CERT_PASSWORD)
    assert "CN=Papelería Nítida S.A.S." in cert.subject
    assert "900123456" in cert.subject
    assert cert.serial_number == str(cert.certificate.serial_number)
    days_left = cert.not_after - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=29) < days_left <= dt.timedelta(days=30)


def test_loads_base64_text_as_the_api_sends_it():
    text = base64.b64encode(demo_p12()).decode()
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert certificates.load_p12(wrapped, CERT_PASSWORD).serial_number == demo_certificate().serial_number


def test_wrong_password_says_the_certificate_cannot_be_opened():
    with pytest.raises(certificates.CertificateUnreadable, match="cannot be opened.*password is wrong"):
        certificates.load_p12(demo_p12(), "otra clave")


def test_not_a_pkcs12_file():
    with pytest.raises(certificates.CertificateUnreadable, match="not a PKCS#12"):
        certificates.load_p12(b"-----BEGIN CERTIFICATE-----", CERT_PASSWORD)
    with pytest.raises(certificates.CertificateUnreadable, match="base64"):
        certificates.load_p12("esto no es base64 !!!", CERT_PASSWORD)


def test_expired_certificate():
    old = certificates.generate_self_signed_p12(
        "Vencida S.A.S.", "900123456", "x", days=10, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    with pytest.raises(certificates.CertificateExpired, match="expired on 2020-01-11"):
        certificates.load_p12(old, "x")
    # the same file was fine while valid
    assert certificates.load_p12(old, "x", now=dt.datetime(2020, 1, 5, tzinfo=dt.UTC))


def test_certificate_without_private_key():
    only_cert = pkcs12.serialize_key_and_certificates(
        name=b"sin llave",
        key=None,
        cert=demo_certificate().certificate,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(b"x"),
    )
    with pytest.raises(certificates.CertificateWithoutKey, match="no private key"):
        certificates.load_p12(only_cert, "x")


def test_every_certificate_error_is_a_value_error():
    for error in (
        certificates.CertificateUnreadable,
        certificates.CertificateExpired,
        certificates.CertificateWithoutKey,
    ):
        assert issubclass(error, ValueError)
