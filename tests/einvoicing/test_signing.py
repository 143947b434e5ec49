"""XAdES-EPES signature: placement, DIAN policy properties, verification, tampering."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from lxml import etree

from fixtures.einvoicing import assert_schema_valid, demo_certificate, make_document, shared_dian
from nitida.einvoicing import signing, ubl
from nitida.einvoicing.documents import DocumentKind

NS = {
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xades": "http://uri.etsi.org/01903/v1.3.2#",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SIGNED_AT = dt.datetime(2026, 11, 25, 14, 30, 16, 250000, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def signed_invoice() -> bytes:
    return signing.sign(ubl.build(make_document()), demo_certificate(), signing_time=SIGNED_AT)


def test_signed_invoice_verifies_and_validates(signed_invoice):
    assert signing.verify(signed_invoice)
    assert_schema_valid(signed_invoice)


def test_unsigned_document_does_not_validate_until_signed():
    # The DIAN's schema needs the second extension's content (README fact): signing completes the document.
    root = ubl.build(make_document())
    schema_root = etree.fromstring(ubl.to_bytes(root))
    from fixtures.einvoicing import schema_for

    assert not schema_for(schema_root).validate(schema_root)


def test_signature_sits_in_the_second_extension(signed_invoice):
    root = etree.fromstring(signed_invoice)
    extensions = root.findall("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent", NS)
    assert len(extensions) == 2
    assert extensions[0].find("{dian:gov:co:facturaelectronica:Structures-2-1}DianExtensions") is not None
    assert [etree.QName(c).localname for c in extensions[1]] == ["Signature"]
    assert len(root.findall(".//ds:Signature", NS)) == 1


def test_signature_follows_the_dian_policy_v2(signed_invoice):
    sig = etree.fromstring(signed_invoice).find(".//ds:Signature", NS)
    info = sig.find("ds:SignedInfo", NS)
    assert info.find("ds:SignatureMethod", NS).get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    refs = info.findall("ds:Reference", NS)
    assert len(refs) == 3
    assert {r.find("ds:DigestMethod", NS).get("Algorithm") for r in refs} == {"http://www.w3.org/2001/04/xmlenc#sha256"}
    whole = [r for r in refs if r.get("URI") == ""]
    assert len(whole) == 1
    transforms = [t.get("Algorithm") for t in whole[0].findall("ds:Transforms/ds:Transform", NS)]
    assert "http://www.w3.org/2000/09/xmldsig#enveloped-signature" in transforms
    assert any(r.get("Type") == "http://uri.etsi.org/01903#SignedProperties" for r in refs)
    props = sig.find(".//xades:SignedSignatureProperties", NS)
    assert props.findtext("xades:SigningTime", namespaces=NS) == "2026-11-25T09:30:16.250-05:00"
    cert = props.find("xades:SigningCertificate/xades:Cert", NS)
    assert cert.find("xades:CertDigest/ds:DigestValue", NS).text
    assert cert.findtext("xades:IssuerSerial/ds:X509SerialNumber", namespaces=NS) == str(
        demo_certificate().certificate.serial_number
    )
    policy = props.find("xades:SignaturePolicyIdentifier/xades:SignaturePolicyId", NS)
    assert policy.findtext("xades:SigPolicyId/xades:Identifier", namespaces=NS) == (
        "https://facturaelectronica.dian.gov.co/politicadefirma/v2/politicadefirmav2.pdf"
    )
    assert policy.findtext("xades:SigPolicyHash/ds:DigestValue", namespaces=NS) == (
        "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Y="
    )
    assert props.findtext("xades:SignerRole/xades:ClaimedRoles/xades:ClaimedRole", namespaces=NS) == "supplier"
    assert sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS) is not None
    assert sig.find("ds:KeyInfo/ds:KeyValue", NS) is None


def _change_payable(xml: bytes, delta_pesos: int) -> bytes:
    root = etree.fromstring(xml)
    node = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS)
    from decimal import Decimal

    node.text = f"{Decimal(node.text) + delta_pesos:.2f}"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_one_peso_more_in_the_payable_amount_breaks_the_signature(signed_invoice):
    tampered = _change_payable(signed_invoice, 1)
    assert tampered != signed_invoice
    assert not signing.verify(tampered)
    with pytest.raises(signing.SignatureInvalid, match="[Dd]igest"):
        signing.verify_or_raise(tampered)


def test_a_changed_signing_time_breaks_the_signature(signed_invoice):
    tampered = re.sub(rb"2026-11-25T09:30:16", b"2026-11-24T09:30:16", signed_invoice)
    assert tampered != signed_invoice
    assert not signing.verify(tampered)


def test_verify_rejects_garbage_and_unsigned_documents():
    assert not signing.verify(b"not xml")
    assert not signing.verify(ubl.to_bytes(ubl.build(make_document())))


@pytest.mark.parametrize("kind", [DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE])
def test_notes_are_signed_the_same_way(kind):
    signed = signing.sign(ubl.build(make_document(kind, number="NC7")), demo_certificate())
    assert signing.verify(signed)
    assert_schema_valid(signed)


def test_signing_does_not_touch_the_built_tree():
    root = ubl.build(make_document())
    before = etree.tostring(root)
    signing.sign(root, demo_certificate())
    assert etree.tostring(root) == before


def test_a_signed_document_cannot_be_signed_twice(signed_invoice):
    with pytest.raises(ValueError, match="second one empty"):
        signing.sign(signed_invoice, demo_certificate())


def test_the_dian_consumidor_final_sample_verifies():
    # Signed by the DIAN with SHA-384 digests and a certificate expired since 2020: checked at its SigningTime.
    sample = (shared_dian() / "samples" / "Consumidor_Final.xml").read_bytes()
    assert signing.verify(sample)
    cert = signing.verify_or_raise(sample)
    assert "Usuario de Pruebas Persona Juridica" in cert.subject.rfc4514_string()


def test_the_dian_sample_fails_once_an_amount_changes():
    sample = (shared_dian() / "samples" / "Consumidor_Final.xml").read_bytes()
    tampered = sample.replace(b">2023060.00</cbc:PayableAmount>", b">2023061.00</cbc:PayableAmount>")
    assert tampered != sample
    assert not signing.verify(tampered)
