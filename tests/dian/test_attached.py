"""The AttachedDocument: valid against the DIAN's XSD, holding the signed document and the ApplicationResponse,
signed by the issuer, and refused when the DIAN's answer is about another document."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from fixtures.dian import application_response
from fixtures.einvoicing import assert_schema_valid, demo_certificate, make_document
from nitida.dian import attached
from nitida.einvoicing import emit, signing
from nitida.einvoicing.documents import DocumentKind

CREATED_AT = dt.datetime(2026, 11, 25, 14, 35, 0, tzinfo=dt.UTC)
NS = {
    "cac": attached.CAC,
    "cbc": attached.CBC,
    "ext": attached.EXT,
    "ds": attached.DS,
    "a": attached.NS_ATTACHED,
}


@pytest.fixture(scope="module")
def invoice():
    return emit.emit(make_document(), demo_certificate())


@pytest.fixture(scope="module")
def container(invoice) -> bytes:
    app = application_response("SETP990000101", invoice.document_key)
    return attached.attached_document(invoice.xml, app, demo_certificate(), created_at=CREATED_AT)


def test_container_is_valid_against_the_dian_xsd_and_its_signature_verifies(container):
    assert_schema_valid(container)
    assert signing.verify_or_raise(container) == demo_certificate().certificate


def test_container_embeds_the_signed_invoice_and_the_application_response_verbatim(invoice, container):
    app = application_response("SETP990000101", invoice.document_key)
    document, response = attached.embedded_documents(container)
    assert document == invoice.xml
    assert response == app
    # Both travel as CDATA, as the DIAN's containers carry them; the embedded invoice still verifies on its own.
    assert container.count(b"<![CDATA[") == 2
    assert signing.verify(document)


def test_container_header_and_parties_come_from_the_invoice(invoice, container):
    root = etree.fromstring(container)
    assert root.findtext("cbc:UBLVersionID", namespaces=NS) == "UBL 2.1"
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == "Documentos adjuntos"
    assert root.findtext("cbc:ProfileID", namespaces=NS) == "Factura Electrónica de Venta"
    assert root.findtext("cbc:ProfileExecutionID", namespaces=NS) == "2"
    assert root.findtext("cbc:IssueDate", namespaces=NS) == "2026-11-25"
    assert root.findtext("cbc:IssueTime", namespaces=NS) == "09:35:00-05:00"
    assert root.findtext("cbc:DocumentType", namespaces=NS) == "Contenedor de Factura Electrónica"
    assert root.findtext("cbc:ParentDocumentID", namespaces=NS) == "SETP990000101"
    sender = root.find("cac:SenderParty/cac:PartyTaxScheme", NS)
    assert sender.findtext("cbc:RegistrationName", namespaces=NS) == "Papelería Nítida S.A.S."
    company = sender.find("cbc:CompanyID", NS)
    assert (company.text, company.get("schemeID"), company.get("schemeName")) == ("900123456", "8", "31")
    assert sender.findtext("cbc:TaxLevelCode", namespaces=NS) == "O-13;O-23"
    receiver = root.find("cac:ReceiverParty/cac:PartyTaxScheme", NS)
    assert receiver.findtext("cbc:RegistrationName", namespaces=NS) == "Ferretería El Dorado S.A.S."
    assert receiver.findtext("cbc:CompanyID", namespaces=NS) == "901555333"
    ref = root.find("cac:ParentDocumentLineReference/cac:DocumentReference", NS)
    assert root.findtext("cac:ParentDocumentLineReference/cbc:LineID", namespaces=NS) == "1"
    assert ref.findtext("cbc:ID", namespaces=NS) == "SETP990000101"
    uuid = ref.find("cbc:UUID", NS)
    assert (uuid.text, uuid.get("schemeName")) == (invoice.document_key, "CUFE-SHA384")
    assert ref.findtext("cbc:IssueDate", namespaces=NS) == "2026-11-25"
    assert ref.findtext("cbc:DocumentType", namespaces=NS) == "ApplicationResponse"
    verification = ref.find("cac:ResultOfVerification", NS)
    assert verification.findtext("cbc:ValidatorID", namespaces=NS) == (
        "Unidad Especial Dirección de Impuestos y Aduanas Nacionales"
    )
    assert verification.findtext("cbc:ValidationResultCode", namespaces=NS) == "02"
    assert verification.findtext("cbc:ValidationDate", namespaces=NS) == "2026-11-25"
    assert verification.findtext("cbc:ValidationTime", namespaces=NS) == "09:31:02-05:00"
    attachment = root.find("cac:Attachment/cac:ExternalReference", NS)
    assert attachment.findtext("cbc:MimeCode", namespaces=NS) == "text/xml"
    assert attachment.findtext("cbc:EncodingCode", namespaces=NS) == "UTF-8"


def test_one_extension_holding_the_issuers_xades_signature(container):
    root = etree.fromstring(container)
    contents = root.findall("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent", NS)
    assert len(contents) == 1
    assert [etree.QName(c).localname for c in contents[0]] == ["Signature"]
    props = contents[0].find(".//{http://uri.etsi.org/01903/v1.3.2#}SignedSignatureProperties")
    assert props.findtext("{http://uri.etsi.org/01903/v1.3.2#}SigningTime") == "2026-11-25T09:35:00.000-05:00"
    policy = props.find(
        ".//{http://uri.etsi.org/01903/v1.3.2#}SigPolicyId/{http://uri.etsi.org/01903/v1.3.2#}Identifier"
    )
    assert policy.text == signing.POLICY_URL


def test_changing_the_embedded_invoice_breaks_the_containers_signature(container):
    tampered = container.replace(b"Resma papel carta 75 g", b"Resma papel oficio 75 g", 1)
    assert tampered != container
    assert not signing.verify(tampered)


def test_credit_note_container_names_its_cude():
    note = emit.emit(make_document(DocumentKind.CREDIT_NOTE, number="NC1"), demo_certificate())
    container = attached.attached_document(
        note.xml, application_response("NC1", note.document_key), demo_certificate(), created_at=CREATED_AT
    )
    assert_schema_valid(container)
    uuid = etree.fromstring(container).find("cac:ParentDocumentLineReference/cac:DocumentReference/cbc:UUID", NS)
    assert (uuid.text, uuid.get("schemeName")) == (note.document_key, "CUDE-SHA384")


def test_an_application_response_about_another_document_is_refused(invoice):
    other = application_response("SETP990000102", "f" * 96)
    with pytest.raises(attached.AttachedDocumentError, match="not about document SETP990000101"):
        attached.attached_document(invoice.xml, other, demo_certificate())


def test_unreadable_inputs_are_refused(invoice):
    with pytest.raises(attached.AttachedDocumentError, match="not well-formed"):
        attached.build(invoice.xml, b"<ApplicationResponse")
    with pytest.raises(attached.AttachedDocumentError, match="not an ApplicationResponse"):
        attached.build(invoice.xml, b"<Invoice/>")
    with pytest.raises(attached.AttachedDocumentError, match="not AttachedDocument|not Foo"):
        attached.build(b"<Foo/>", application_response("X", "y"))
