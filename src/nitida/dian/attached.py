"""The AttachedDocument (UBL 2.1): the container the buyer receives, holding the signed document and the DIAN's
ApplicationResponse, signed by the issuer.

Its content comes from the two documents themselves (parties, number, CUFE/CUDE, dates), so the
container says exactly what the DIAN validated: the sender and receiver ``PartyTaxScheme`` are copied
from the document's supplier and customer, the document travels as CDATA in
``cac:Attachment/cac:ExternalReference/cbc:Description`` and the ApplicationResponse in
``cac:ParentDocumentLineReference/cac:DocumentReference/cac:Attachment``, with the DIAN's
``ResultOfVerification``. As in the DIAN's production containers there is one UBLExtension, holding the
issuer's XAdES-EPES signature (the e-invoicing signer, same policy).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from lxml import etree

from nitida.core.clock import BOGOTA
from nitida.einvoicing import signing
from nitida.einvoicing.certificates import Certificate

NS_ATTACHED = "urn:oasis:names:specification:ubl:schema:xsd:AttachedDocument-2"
NS_APP_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"cac": CAC, "cbc": CBC, "ar": NS_APP_RESPONSE}

CUSTOMIZATION_ID = "Documentos adjuntos"
PROFILE_ID = "Factura Electrónica de Venta"
DOCUMENT_TYPE = "Contenedor de Factura Electrónica"
DIAN_VALIDATOR = "Unidad Especial Dirección de Impuestos y Aduanas Nacionales"
KEY_SCHEME = {"Invoice": "CUFE-SHA384", "CreditNote": "CUDE-SHA384", "DebitNote": "CUDE-SHA384"}


class AttachedDocumentError(ValueError):
    """The two documents cannot make a container (wrong kind, not matching, unreadable); the message says why."""


def _parse(data: bytes, what: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise AttachedDocumentError(f"the {what} is not well-formed XML: {exc}") from None


def _text(root: etree._Element, path: str, what: str) -> str:
    node = root.find(path, NS)
    if node is None or not (node.text or "").strip():
        raise AttachedDocumentError(f"the {what} has no {path}")
    return (node.text or "").strip()


def _cdata_text(data: bytes) -> str:
    text = data.decode("utf-8")
    if "]]>" in text:
        raise AttachedDocumentError("the document contains ']]>' and cannot travel as CDATA")
    return text


def _el(parent: etree._Element, ns: str, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{name}", dict(attrs))
    if text is not None:
        node.text = text
    return node


def _party(parent: etree._Element, name: str, source: etree._Element, what: str) -> None:
    scheme = source.find("cac:Party/cac:PartyTaxScheme", NS)
    if scheme is None:
        raise AttachedDocumentError(f"the document's {what} has no PartyTaxScheme")
    party = _el(parent, CAC, name)
    copied = _el(party, CAC, "PartyTaxScheme")
    # RegistrationName, CompanyID (with its DV and type), TaxLevelCode and TaxScheme, as the document states them.
    for child in scheme:
        if etree.QName(child).localname in ("RegistrationName", "CompanyID", "TaxLevelCode", "TaxScheme"):
            copied.append(copy.deepcopy(child))


def _local_time(moment: dt.datetime) -> tuple[str, str]:
    local = moment.astimezone(BOGOTA)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d"), f"{local.strftime('%H:%M:%S')}{offset[:3]}:{offset[3:]}"


def build(
    signed_document: bytes,
    application_response: bytes,
    *,
    created_at: dt.datetime | None = None,
    container_id: str | None = None,
) -> etree._Element:
    """The unsigned AttachedDocument for a signed Invoice/CreditNote/DebitNote and the DIAN's ApplicationResponse.

    Raises AttachedDocumentError when the ApplicationResponse is not about this document.
    """
    doc = _parse(signed_document, "signed document")
    kind = etree.QName(doc).localname
    if kind not in KEY_SCHEME:
        raise AttachedDocumentError(f"a container holds an Invoice, CreditNote or DebitNote, not {kind}")
    response = _parse(application_response, "ApplicationResponse")
    if etree.QName(response).localname != "ApplicationResponse":
        raise AttachedDocumentError("the DIAN's answer is not an ApplicationResponse")
    number = _text(doc, "cbc:ID", "document")
    key = _text(doc, "cbc:UUID", "document")
    referenced = [
        (n.text or "").strip() for n in response.findall("cac:DocumentResponse/cac:DocumentReference/cbc:UUID", NS)
    ]
    if key not in referenced:
        raise AttachedDocumentError(f"the ApplicationResponse is not about document {number} (its CUFE/CUDE)")
    response_code = response.findtext("cac:DocumentResponse/cac:Response/cbc:ResponseCode", namespaces=NS)
    issue_date, issue_time = _local_time(created_at or dt.datetime.now(dt.UTC))

    root = etree.Element(
        f"{{{NS_ATTACHED}}}AttachedDocument",
        nsmap={None: NS_ATTACHED, "cac": CAC, "cbc": CBC, "ext": EXT, "ds": DS},  # type: ignore[dict-item]
    )
    extension = _el(_el(root, EXT, "UBLExtensions"), EXT, "UBLExtension")
    content = _el(extension, EXT, "ExtensionContent")
    etree.SubElement(content, f"{{{DS}}}Signature", Id="placeholder")
    _el(root, CBC, "UBLVersionID", "UBL 2.1")
    _el(root, CBC, "CustomizationID", CUSTOMIZATION_ID)
    _el(root, CBC, "ProfileID", PROFILE_ID)
    _el(root, CBC, "ProfileExecutionID", _text(doc, "cbc:ProfileExecutionID", "document"))
    _el(root, CBC, "ID", container_id or number)
    _el(root, CBC, "IssueDate", issue_date)
    _el(root, CBC, "IssueTime", issue_time)
    _el(root, CBC, "DocumentType", DOCUMENT_TYPE)
    _el(root, CBC, "ParentDocumentID", number)
    _party(root, "SenderParty", _required(doc, "cac:AccountingSupplierParty"), "supplier")
    _party(root, "ReceiverParty", _required(doc, "cac:AccountingCustomerParty"), "customer")

    attachment = _el(_el(root, CAC, "Attachment"), CAC, "ExternalReference")
    _el(attachment, CBC, "MimeCode", "text/xml")
    _el(attachment, CBC, "EncodingCode", "UTF-8")
    _el(attachment, CBC, "Description").text = etree.CDATA(_cdata_text(signed_document))

    line = _el(root, CAC, "ParentDocumentLineReference")
    _el(line, CBC, "LineID", "1")
    reference = _el(line, CAC, "DocumentReference")
    _el(reference, CBC, "ID", number)
    _el(reference, CBC, "UUID", key, schemeName=KEY_SCHEME[kind])
    _el(reference, CBC, "IssueDate", _text(doc, "cbc:IssueDate", "document"))
    _el(reference, CBC, "DocumentType", "ApplicationResponse")
    response_ref = _el(_el(reference, CAC, "Attachment"), CAC, "ExternalReference")
    _el(response_ref, CBC, "MimeCode", "text/xml")
    _el(response_ref, CBC, "EncodingCode", "UTF-8")
    _el(response_ref, CBC, "Description").text = etree.CDATA(_cdata_text(application_response))
    verification = _el(reference, CAC, "ResultOfVerification")
    _el(verification, CBC, "ValidatorID", DIAN_VALIDATOR)
    _el(verification, CBC, "ValidationResultCode", (response_code or "02").strip())
    _el(verification, CBC, "ValidationDate", _text(response, "cbc:IssueDate", "ApplicationResponse"))
    _el(verification, CBC, "ValidationTime", _text(response, "cbc:IssueTime", "ApplicationResponse"))
    return root


def _required(root: etree._Element, path: str) -> etree._Element:
    node = root.find(path, NS)
    if node is None:
        raise AttachedDocumentError(f"the document has no {path}")
    return node


class _ContainerSigner(signing._DianSigner):
    """The e-invoicing XAdES signer (same policy and properties), keeping the CDATA sections signxml would flatten."""

    @property
    def parser(self) -> Any:
        return etree.XMLParser(resolve_entities=False, strip_cdata=False, huge_tree=True)

    def _tostring(self, xml_node: Any, **kwargs: Any) -> Any:
        # Serialised as ASCII, libxml2 writes "&#237;" *inside* CDATA, which changes the embedded text: use UTF-8.
        kwargs.setdefault("encoding", "UTF-8")
        return etree.tostring(xml_node, **kwargs)


def sign(root: etree._Element, certificate: Certificate, signing_time: dt.datetime | None = None) -> bytes:
    """The issuer's XAdES-EPES signature in the container's only UBLExtension; returns the signed bytes."""
    signer = _ContainerSigner(signing_time or dt.datetime.now(dt.UTC))
    signed = signer.sign(
        root,
        key=certificate.private_key,
        cert=[certificate.certificate, *certificate.chain],
        always_add_key_value=False,
    )
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def attached_document(
    signed_document: bytes,
    application_response: bytes,
    certificate: Certificate,
    *,
    created_at: dt.datetime | None = None,
    container_id: str | None = None,
) -> bytes:
    """Build and sign the container: what ``GET …/attached-document`` serves and the e-mail's ZIP holds."""
    moment = created_at or dt.datetime.now(dt.UTC)
    root = build(signed_document, application_response, created_at=moment, container_id=container_id)
    return sign(root, certificate, signing_time=moment)


def embedded_documents(attached: bytes) -> tuple[bytes, bytes]:
    """(signed document, ApplicationResponse) as carried in a container: what a buyer's software reads back."""
    root = _parse(attached, "AttachedDocument")
    document = root.findtext("cac:Attachment/cac:ExternalReference/cbc:Description", namespaces=NS)
    response = root.findtext(
        "cac:ParentDocumentLineReference/cac:DocumentReference/cac:Attachment/cac:ExternalReference/cbc:Description",
        namespaces=NS,
    )
    if document is None or response is None:
        raise AttachedDocumentError("the container does not hold a document and its ApplicationResponse")
    return document.encode("utf-8"), response.encode("utf-8")
