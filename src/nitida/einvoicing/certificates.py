"""The tenant's signing certificate: a PKCS#12 file opened with ``cryptography``.

Errors are ValueError subclasses whose message says which problem it is, so the
settings endpoint can answer a 400 that a person understands.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


class CertificateError(ValueError):
    """The certificate cannot be used; the message says why."""


class CertificateUnreadable(CertificateError):
    pass


class CertificateExpired(CertificateError):
    pass


class CertificateWithoutKey(CertificateError):
    pass


@dataclass(frozen=True, slots=True)
class Certificate:
    """A usable signing identity: the key, its certificate and the chain above it."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def serial_number(self) -> str:
        return str(self.certificate.serial_number)

    @property
    def not_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc


def _p12_bytes(data: bytes | str) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CertificateUnreadable("the certificate is not valid base64") from None


def load_p12(data: bytes | str, password: str | bytes | None, *, now: dt.datetime | None = None) -> Certificate:
    """Open a PKCS#12 file (bytes, or base64 text) with its password.

    Raises CertificateUnreadable (not PKCS#12, or wrong password), CertificateWithoutKey,
    or CertificateExpired (not valid at ``now``, default the current time).
    """
    raw = _p12_bytes(data)
    secret = password.encode("utf-8") if isinstance(password, str) else password
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(raw, secret or None)
    except ValueError:
        raise CertificateUnreadable(
            "the certificate cannot be opened: it is not a PKCS#12 (.p12/.pfx) file or the password is wrong"
        ) from None
    if key is None:
        # A file without a key lists its certificates as "additional" ones: say what is missing.
        raise CertificateWithoutKey("the PKCS#12 file has no private key: export the certificate with its key")
    if cert is None:
        raise CertificateUnreadable("the PKCS#12 file holds no certificate")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateUnreadable("the certificate's key is not RSA, which the DIAN signature (RSA-SHA256) needs")
    moment = now or dt.datetime.now(dt.UTC)
    if moment > cert.not_valid_after_utc:
        raise CertificateExpired(f"the certificate expired on {cert.not_valid_after_utc.date().isoformat()}")
    if moment < cert.not_valid_before_utc:
        raise CertificateExpired(f"the certificate is not valid before {cert.not_valid_before_utc.date().isoformat()}")
    return Certificate(private_key=key, certificate=cert, chain=tuple(extra or ()))


def generate_self_signed_p12(
    common_name: str,
    nit: str,
    password: str,
    days: int = 365,
    *,
    not_before: dt.datetime | None = None,
) -> bytes:
    """A self-signed RSA-2048 certificate in a PKCS#12 file, for the demo tenant and tests (never for the DIAN)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, nit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name=common_name.encode("utf-8"),
        key=key,
        cert=cert,
        cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
