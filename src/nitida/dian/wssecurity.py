"""The SOAP 1.2 envelope of the DIAN's WcfDianCustomerServices, signed with WS-Security as the DIAN asks.

Header: ``wsse:Security`` (``wsu:Timestamp``, the certificate as ``wsse:BinarySecurityToken`` and a
``ds:Signature``), ``wsa:Action`` and ``wsa:To``. The signature is RSA-SHA256 with exclusive
canonicalisation (InclusiveNamespaces ``wsa soap wcf``) and one SHA-256 reference, to ``wsa:To``; its
KeyInfo points at the token through ``wsse:SecurityTokenReference``. signxml does the canonicalisation,
digest and RSA. The one adaptation: signxml builds a detached signature outside the document, but the
DIAN canonicalises SignedInfo where it sits (inside the envelope, with the ``wsa``/``soap``/``wcf``
declarations in scope), so the signature is built in a placeholder already in the envelope.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.signer import SignatureReference

from nitida.einvoicing.certificates import Certificate

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WCF = "http://wcf.dian.colombia"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
ACTION_BASE = "http://wcf.dian.colombia/IWcfDianCustomerServices/"

SIGNED_INFO_PREFIXES = ["wsa", "soap", "wcf"]
REFERENCE_PREFIXES = ["soap", "wcf"]
DEFAULT_LIFETIME = dt.timedelta(seconds=60)


def action(operation: str) -> str:
    return ACTION_BASE + operation


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _InPlaceDetachedSigner(XMLSigner):
    """signxml's detached signer, building the Signature in the envelope's placeholder (see module doc)."""

    def _unpack(self, data: Any, references: Any) -> Any:
        _, doc_root, c14n_inputs, references = super()._unpack(data, references)
        placeholder = doc_root.find(f".//{{{DS}}}Signature[@Id='placeholder']")
        if placeholder is None:
            raise InvalidInput("the envelope has no signature placeholder")
        placeholder.set("Id", f"SIG-{uuid.uuid4().hex}")
        return placeholder, doc_root, c14n_inputs, references


def envelope(
    operation: str,
    params: Sequence[tuple[str, str]],
    *,
    to: str,
    certificate: Certificate,
    now: dt.datetime | None = None,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> bytes:
    """The signed SOAP 1.2 request for ``operation`` with body parameters ``params`` (name, text), in order."""
    moment = now or dt.datetime.now(dt.UTC)
    ids = uuid.uuid4().hex
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "wcf": WCF})
    header = etree.SubElement(root, f"{{{SOAP}}}Header", nsmap={"wsa": WSA})
    security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    security.set(f"{{{SOAP}}}mustUnderstand", "true")
    stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
    stamp.set(f"{{{WSU}}}Id", f"TS-{ids}")
    etree.SubElement(stamp, f"{{{WSU}}}Created").text = _timestamp(moment)
    etree.SubElement(stamp, f"{{{WSU}}}Expires").text = _timestamp(moment + lifetime)
    token = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", EncodingType=BASE64_BINARY, ValueType=X509V3)
    token.set(f"{{{WSU}}}Id", f"X509-{ids}")
    token.text = base64.b64encode(certificate.certificate.public_bytes(serialization.Encoding.DER)).decode()
    etree.SubElement(security, f"{{{DS}}}Signature", Id="placeholder", nsmap={"ds": DS})
    etree.SubElement(header, f"{{{WSA}}}Action").text = action(operation)
    to_node = etree.SubElement(header, f"{{{WSA}}}To", nsmap={"wsu": WSU})
    to_node.set(f"{{{WSU}}}Id", f"ID-{ids}")
    to_node.text = to
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    call = etree.SubElement(body, f"{{{WCF}}}{operation}")
    for name, value in params:
        etree.SubElement(call, f"{{{WCF}}}{name}").text = value

    key_info = etree.Element(f"{{{DS}}}KeyInfo", Id=f"KI-{ids}", nsmap={"ds": DS})
    reference = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference", nsmap={"wsse": WSSE, "wsu": WSU})
    reference.set(f"{{{WSU}}}Id", f"STR-{ids}")
    etree.SubElement(reference, f"{{{WSSE}}}Reference", URI=f"#X509-{ids}", ValueType=X509V3)

    signer = _InPlaceDetachedSigner(
        method=SignatureConstructionMethod.detached,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signature = signer.sign(
        root,
        key=certificate.private_key,
        reference_uri=[SignatureReference(URI=f"#ID-{ids}", inclusive_ns_prefixes=REFERENCE_PREFIXES)],
        key_info=key_info,
        inclusive_ns_prefixes=SIGNED_INFO_PREFIXES,
    )
    return etree.tostring(signature.getroottree().getroot(), xml_declaration=True, encoding="UTF-8")


# --- checking an envelope: what the DIAN does on its side, and what the fake DIAN does in tests ---


class SecurityInvalid(ValueError):
    """The request's WS-Security header does not hold; the message says what failed."""


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    operation: str  # the body's element name, e.g. "SendBillSync"
    action: str
    to: str
    created: dt.datetime
    expires: dt.datetime
    certificate: x509.Certificate
    params: dict[str, str]  # the operation's parameters by local name


class _Verifier(XMLVerifier):
    def validate_schema(self, signature: Any) -> None:
        # The xmldsig schema declares CanonicalizationMethod's content strictly and knows no
        # InclusiveNamespaces, which WS-Security (and the DIAN) put there: check the rest.
        trimmed = copy.deepcopy(signature)
        for node in trimmed.findall(f"{{{DS}}}SignedInfo/{{{DS}}}CanonicalizationMethod/{{{EXC_C14N}}}*"):
            node.getparent().remove(node)
        super().validate_schema(trimmed)


def _one(root: etree._Element, path: str, what: str) -> etree._Element:
    nodes = root.findall(path)
    if len(nodes) != 1:
        raise SecurityInvalid(f"expected one {what}, found {len(nodes)}")
    return nodes[0]


def _parse_time(text: str | None, what: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise SecurityInvalid(f"{what} {text!r} is not a timestamp") from None
    if value.tzinfo is None:
        raise SecurityInvalid(f"{what} has no time zone")
    return value


def check(
    body: bytes,
    *,
    expected_to: str | None = None,
    now: dt.datetime | None = None,
    clock_skew: dt.timedelta = dt.timedelta(minutes=5),
) -> CheckedRequest:
    """Verify a signed request: signature by the BinarySecurityToken's certificate over wsa:To, Timestamp live."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise SecurityInvalid(f"not well-formed XML: {exc}") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise SecurityInvalid("not a SOAP 1.2 envelope")
    header = _one(root, f"{{{SOAP}}}Header", "soap:Header")
    security = _one(header, f"{{{WSSE}}}Security", "wsse:Security")
    stamp = _one(security, f"{{{WSU}}}Timestamp", "wsu:Timestamp")
    created = _parse_time(stamp.findtext(f"{{{WSU}}}Created"), "wsu:Created")
    expires = _parse_time(stamp.findtext(f"{{{WSU}}}Expires"), "wsu:Expires")
    moment = now or dt.datetime.now(dt.UTC)
    if expires <= moment:
        raise SecurityInvalid(f"the message expired at {expires.isoformat()}")
    if created > moment + clock_skew:
        raise SecurityInvalid(f"the message was created in the future ({created.isoformat()})")
    token = _one(security, f"{{{WSSE}}}BinarySecurityToken", "wsse:BinarySecurityToken")
    if token.get("ValueType") != X509V3:
        raise SecurityInvalid("the BinarySecurityToken is not an X.509 v3 certificate")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join((token.text or "").split())))
    except ValueError:
        raise SecurityInvalid("the BinarySecurityToken cannot be read as a certificate") from None
    signature = _one(security, f"{{{DS}}}Signature", "ds:Signature")
    token_ref = signature.find(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    if token_ref is None or token_ref.get("URI") != f"#{token.get(f'{{{WSU}}}Id')}":
        raise SecurityInvalid("the signature's KeyInfo does not point at the BinarySecurityToken")
    to_node = _one(header, f"{{{WSA}}}To", "wsa:To")
    action_text = (_one(header, f"{{{WSA}}}Action", "wsa:Action").text or "").strip()
    try:
        result = _Verifier().verify(
            body,
            x509_cert=cert,
            expect_config=SignatureConfiguration(
                expect_references=1,
                location=f"{{{SOAP}}}Header/{{{WSSE}}}Security/",
                signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
            ),
            parser=parser,
        )
    except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput) as exc:
        raise SecurityInvalid(f"the signature does not verify: {exc}") from None
    except etree.DocumentInvalid as exc:
        raise SecurityInvalid(f"the signature is malformed: {exc}") from None
    signed = result.signed_xml if not isinstance(result, list) else None
    if signed is None or signed.tag != f"{{{WSA}}}To" or (signed.text or "") != (to_node.text or ""):
        raise SecurityInvalid("the signature does not cover wsa:To")
    to = (to_node.text or "").strip()
    if expected_to is not None and to != expected_to:
        raise SecurityInvalid(f"wsa:To is {to!r}, this service is {expected_to!r}")
    body_node = _one(root, f"{{{SOAP}}}Body", "soap:Body")
    if len(body_node) != 1 or etree.QName(body_node[0]).namespace != WCF:
        raise SecurityInvalid("the body holds no DIAN operation")
    call = body_node[0]
    operation = etree.QName(call).localname
    if action_text != action(operation):
        raise SecurityInvalid(f"wsa:Action {action_text!r} does not name the body's operation {operation}")
    params = {etree.QName(p).localname: (p.text or "") for p in call}
    return CheckedRequest(operation, action_text, to, created, expires, cert, params)
