"""XAdES-EPES enveloped signature as the DIAN's signature policy v2 asks, with signxml.

The signature goes in the second ext:UBLExtension/ext:ExtensionContent. It
carries RSA-SHA256 over three SHA-256 references (the document with the
enveloped-signature transform, the KeyInfo, the SignedProperties), and in
SignedProperties: SigningTime, SigningCertificate (CertDigest + IssuerSerial),
SignaturePolicyIdentifier (policy v2 URL and hash) and SignerRole/ClaimedRole
"supplier". signxml does the canonicalisation, digests and RSA; the subclass
only shapes the XAdES properties the way the DIAN's samples show them.
"""

from __future__ import annotations

import base64
import datetime as dt
from base64 import b64encode
from typing import Any

from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    digest_algorithm_implementations,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.util import ds_tag, xades_tag
from signxml.xades import XAdESSignaturePolicy, XAdESSigner

from nitida.core.clock import BOGOTA
from nitida.einvoicing.certificates import Certificate

EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"

POLICY_URL = "https://facturaelectronica.dian.gov.co/politicadefirma/v2/politicadefirmav2.pdf"
POLICY_HASH_SHA256 = "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Y="
POLICY = XAdESSignaturePolicy(
    Identifier=POLICY_URL,
    Description="Política de firma para facturas electrónicas de la República de Colombia",
    DigestMethod=DigestAlgorithm.SHA256,
    DigestValue=POLICY_HASH_SHA256,
)
SIGNER_ROLE = "supplier"


class _DianSigner(XAdESSigner):
    def __init__(self, signing_time: dt.datetime) -> None:
        super().__init__(
            signature_policy=POLICY,
            claimed_roles=[SIGNER_ROLE],
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
        )
        self._signing_time = signing_time

    def add_signing_time(self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any) -> None:
        node = etree.SubElement(signed_signature_properties, xades_tag("SigningTime"), nsmap=self.namespaces)
        node.text = self._signing_time.astimezone(BOGOTA).isoformat(timespec="milliseconds")

    def add_signing_certificate(self, signed_signature_properties: Any, sig_root: Any, signing_settings: Any) -> None:
        # XAdES 1.3.2 SigningCertificate (CertDigest + IssuerSerial), as the DIAN policy and samples use,
        # instead of signxml's SigningCertificateV2.
        signing_cert = etree.SubElement(
            signed_signature_properties, xades_tag("SigningCertificate"), nsmap=self.namespaces
        )
        for cert in signing_settings.cert_chain:
            cert_node = etree.SubElement(signing_cert, xades_tag("Cert"), nsmap=self.namespaces)
            digest_node = etree.SubElement(cert_node, xades_tag("CertDigest"), nsmap=self.namespaces)
            etree.SubElement(
                digest_node, ds_tag("DigestMethod"), nsmap=self.namespaces, Algorithm=self.digest_alg.value
            )
            value = etree.SubElement(digest_node, ds_tag("DigestValue"), nsmap=self.namespaces)
            value.text = b64encode(cert.fingerprint(digest_algorithm_implementations[self.digest_alg]())).decode()
            issuer_serial = etree.SubElement(cert_node, xades_tag("IssuerSerial"), nsmap=self.namespaces)
            issuer = etree.SubElement(issuer_serial, ds_tag("X509IssuerName"), nsmap=self.namespaces)
            issuer.text = cert.issuer.rfc4514_string()
            serial = etree.SubElement(issuer_serial, ds_tag("X509SerialNumber"), nsmap=self.namespaces)
            serial.text = str(cert.serial_number)

    def add_data_object_format(self, signed_data_object_properties: Any, sig_root: Any, signing_settings: Any) -> None:
        # The DIAN's policy asks for no signed data object properties; drop the empty container.
        signed_data_object_properties.getparent().remove(signed_data_object_properties)


def _signature_slot(root: etree._Element) -> etree._Element:
    contents = root.findall(f"{{{EXT}}}UBLExtensions/{{{EXT}}}UBLExtension/{{{EXT}}}ExtensionContent")
    if len(contents) != 2 or len(contents[1]):
        raise ValueError("the document must have two UBLExtensions, the second one empty, to be signed")
    return contents[1]


def sign(document: etree._Element | bytes, certificate: Certificate, signing_time: dt.datetime | None = None) -> bytes:
    """The signed document's bytes (UTF-8, with XML declaration). ``document`` is not modified."""
    root = etree.fromstring(document) if isinstance(document, bytes) else etree.fromstring(etree.tostring(document))
    slot = _signature_slot(root)
    etree.SubElement(slot, f"{{{DS}}}Signature", Id="placeholder")
    moment = signing_time or dt.datetime.now(dt.UTC)
    signer = _DianSigner(moment)
    signed = signer.sign(
        root,
        key=certificate.private_key,
        cert=[certificate.certificate, *certificate.chain],
        always_add_key_value=False,
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


class SignatureInvalid(ValueError):
    """The signature does not verify; the message says where it broke."""


def _first(root: etree._Element, path: str) -> etree._Element:
    node = root.find(path, {"ds": DS, "xades": XADES})
    if node is None:
        raise SignatureInvalid(f"the signature has no {path}")
    return node


def verify_or_raise(xml_bytes: bytes) -> x509.Certificate:
    """Check the document's signature: every reference digest, the RSA value, the signing certificate digest.

    Checks integrity with the certificate the signature carries, valid at its own SigningTime; trust in
    the issuing CA and revocation are the DIAN's to judge. Returns the signing certificate.
    """
    try:
        root = etree.fromstring(xml_bytes)
    except etree.XMLSyntaxError as exc:
        raise SignatureInvalid(f"not well-formed XML: {exc}") from None
    signatures = root.findall(f".//{{{DS}}}Signature")
    if len(signatures) != 1:
        raise SignatureInvalid(f"expected one ds:Signature, found {len(signatures)}")
    signature = signatures[0]
    cert_text = _first(signature, "ds:KeyInfo/ds:X509Data/ds:X509Certificate").text or ""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
    except ValueError:
        raise SignatureInvalid("the signature's X509Certificate cannot be read") from None
    signing_time_text = _first(signature, ".//xades:SigningTime").text or ""
    try:
        signing_time = dt.datetime.fromisoformat(signing_time_text.strip())
    except ValueError:
        raise SignatureInvalid(f"SigningTime {signing_time_text!r} is not a date and time") from None
    config = SignatureConfiguration(
        expect_references=3,
        location=".//",
        verification_time=signing_time,
        signature_methods=frozenset(
            {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
        ),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}),
    )
    try:
        results = XMLVerifier().verify(xml_bytes, x509_cert=cert, expect_config=config)
    except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput) as exc:
        raise SignatureInvalid(str(exc)) from None
    # expect_references is not given, so verify() returns a list of results.
    results = results if isinstance(results, list) else [results]
    signed_tags = {etree.QName(r.signed_xml).localname for r in results if r.signed_xml is not None}
    if etree.QName(root).localname not in signed_tags:
        raise SignatureInvalid("the signature does not sign the whole document")
    if "SignedProperties" not in signed_tags:
        raise SignatureInvalid("the signature does not sign its xades:SignedProperties")
    # XAdES: the first Cert of SigningCertificate is the signer's (its digest binds the certificate).
    cert_digest = _first(signature, ".//xades:SigningCertificate/xades:Cert/xades:CertDigest")
    algorithm = DigestAlgorithm(_first(cert_digest, "ds:DigestMethod").get("Algorithm"))
    expected = cert.fingerprint(digest_algorithm_implementations[algorithm]())
    if base64.b64decode(_first(cert_digest, "ds:DigestValue").text or "") != expected:
        raise SignatureInvalid("SigningCertificate does not name the certificate that signed")
    return cert


def verify(xml_bytes: bytes) -> bool:
    """True when the document's XAdES signature verifies (see verify_or_raise)."""
    try:
        verify_or_raise(xml_bytes)
    except SignatureInvalid:
        return False
    return True
