"""The DIAN simulada of the demo: the habilitación web service answered inside the service, never the real DIAN.

A demo tenant (``einvoicing_settings.simulated``, set only by ``nitida demo`` and only in habilitación) sends
its documents here instead of to the DIAN's host: the same SOAP 1.2 calls, signed by the tenant's certificate
(the WS-Security header is checked as the DIAN checks it), over an in-process httpx transport, so nothing listens
on a port and nothing can reach the real DIAN by accident. It validates what the real habilitación service is
known to validate with what it knows of the issuer, the DIAN's public habilitación data:

- the numbering range of the test set (resolution 18760000001, its technical key): an invoice's CUFE is
  recomputed with it (rule FAD06), so an invoice under any other resolution is rejected, as the DIAN rejects a
  range it did not authorise;
- the sample software (SoftwareID and PIN of the DIAN's samples): SoftwareSecurityCode (FAB27b) and a note's
  CUDE (CAD06 / DAD06) are recomputed with its PIN.

The rejection messages are the DIAN's own ("Regla: FAD06, Rechazo: …", as its GetStatusZip answers carry them).
Uploads get a ZipKey and are answered by GetStatusZip, documents by GetStatus with their CUFE/CUDE; what the
simulator received lives as long as its process (a worker restarted mid-delivery sees "TrackId no encontrado",
and a resend uploads again, as with the DIAN after a lost upload).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import threading
import uuid
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
from lxml import etree

from nitida.core.clock import BOGOTA
from nitida.dian import wssecurity
from nitida.dian.responses import soap_fault
from nitida.einvoicing import cufe

URL = "https://dian-simulada.invalid/WcfDianCustomerServices.svc"
LABEL = "DIAN simulada (demo)"

# The DIAN's public habilitación data (Anexo Técnico's worked examples and its sample documents).
TEST_SET_TECHNICAL_KEYS = {"18760000001": "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"}
SAMPLE_SOFTWARE = {"56f2ae4e-9812-4fad-9255-08fcfcd5ccb0": "20191"}  # SoftwareID -> PIN

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
}
STS = (
    "dian:gov:co:facturaelectronica:Structures-2-1",
    "http://www.dian.gov.co/contratos/facturaelectronica/v1/Structures",
)
SOAP = "http://www.w3.org/2003/05/soap-envelope"
WCF = "http://wcf.dian.colombia"
DIAN_RESPONSE = "http://schemas.datacontract.org/2004/07/DianResponse"
UPLOAD_RESPONSE = "http://schemas.datacontract.org/2004/07/UploadDocumentResponse"
KEY_RULE = {"Invoice": "FAD06", "CreditNote": "CAD06", "DebitNote": "DAD06"}
KEY_NAME = {"Invoice": "CUFE", "CreditNote": "CUDE", "DebitNote": "CUDE"}
KIND_NAME = {"Invoice": "La Factura electrónica", "CreditNote": "La Nota crédito", "DebitNote": "La Nota débito"}


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # Invoice, CreditNote, DebitNote
    number: str
    key: str
    file_name: str
    messages: tuple[str, ...]  # the DIAN's rejection rules; empty when accepted
    application_response: bytes | None

    @property
    def accepted(self) -> bool:
        return not self.messages


def _sts(root: etree._Element, path: str) -> str | None:
    for namespace in STS:
        found = root.findtext(f".//{{{namespace}}}{path}")
        if found is not None:
            return found.strip()
    return None


def validate(file_name: str, xml: bytes, *, now: dt.datetime | None = None) -> Verdict:
    """What the DIAN's habilitación service says of one signed document."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    kind = etree.QName(root).localname
    number = (root.findtext("cbc:ID", namespaces=NS) or "").strip()
    key = (root.findtext("cbc:UUID", namespaces=NS) or "").strip()
    messages = []
    software_id = _sts(root, "SoftwareID") or ""
    pin = SAMPLE_SOFTWARE.get(software_id)
    if pin is None or _sts(root, "SoftwareSecurityCode") != cufe.software_security_code(software_id, pin, number):
        messages.append("Regla: FAB27b, Rechazo: Huella no corresponde a un software autorizado para este OFE.")
    secret = TEST_SET_TECHNICAL_KEYS.get(_sts(root, "InvoiceAuthorization") or "") if kind == "Invoice" else pin
    try:
        expected = cufe.sha384_hex(cufe.key_input_from_xml(root).string(secret)) if secret else None
    except ValueError:
        expected = None
    if kind in KEY_RULE and expected != key:
        messages.append(
            f"Regla: {KEY_RULE[kind]}, Rechazo: Valor del {KEY_NAME[kind]} no está calculado correctamente."
        )
    if kind not in KEY_RULE:
        kind = "Invoice"  # answered as the DIAN answers what it cannot read: a rejection
        messages.append("Regla: 99, Rechazo: El documento no es una factura ni una nota de la DIAN.")
    response = None if messages else application_response(root, kind, number, key, now or dt.datetime.now(dt.UTC))
    return Verdict(kind, number, key, file_name, tuple(messages), response)


def application_response(root: etree._Element, kind: str, number: str, key: str, now: dt.datetime) -> bytes:
    """The DIAN's ApplicationResponse of an accepted document (code 02: "Documento validado por la DIAN")."""
    local = now.astimezone(BOGOTA)
    offset = local.strftime("%z")
    supplier = root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", NS)
    supplier_name = supplier.findtext("cbc:RegistrationName", namespaces=NS) if supplier is not None else ""
    supplier_nit = supplier.findtext("cbc:CompanyID", namespaces=NS) if supplier is not None else ""
    scheme = "CUFE-SHA384" if kind == "Invoice" else "CUDE-SHA384"
    response_id = uuid.uuid4().hex[:10]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ApplicationResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2" \
xmlns:cbc="{NS["cbc"]}" xmlns:cac="{NS["cac"]}">
  <cbc:UBLVersionID>UBL 2.1</cbc:UBLVersionID>
  <cbc:CustomizationID>1</cbc:CustomizationID>
  <cbc:ProfileID>DIAN 2.1</cbc:ProfileID>
  <cbc:ProfileExecutionID>2</cbc:ProfileExecutionID>
  <cbc:ID>{response_id}</cbc:ID>
  <cbc:UUID schemeName="CUDE-SHA384">{cufe.sha384_hex(response_id + key)}</cbc:UUID>
  <cbc:IssueDate>{local:%Y-%m-%d}</cbc:IssueDate>
  <cbc:IssueTime>{local:%H:%M:%S}{offset[:3]}:{offset[3:]}</cbc:IssueTime>
  <cac:SenderParty><cac:PartyTaxScheme><cbc:RegistrationName>Unidad Especial Dirección de Impuestos y Aduanas \
Nacionales</cbc:RegistrationName><cbc:CompanyID schemeAgencyID="195" schemeID="4" schemeName="31">800197268\
</cbc:CompanyID><cac:TaxScheme><cbc:ID>01</cbc:ID><cbc:Name>IVA</cbc:Name></cac:TaxScheme></cac:PartyTaxScheme>\
</cac:SenderParty>
  <cac:ReceiverParty><cac:PartyTaxScheme><cbc:RegistrationName>{escape(supplier_name or "")}</cbc:RegistrationName>\
<cbc:CompanyID schemeAgencyID="195" schemeName="31">{escape(supplier_nit or "")}</cbc:CompanyID><cac:TaxScheme>\
<cbc:ID>01</cbc:ID><cbc:Name>IVA</cbc:Name></cac:TaxScheme></cac:PartyTaxScheme></cac:ReceiverParty>
  <cac:DocumentResponse>
    <cac:Response><cbc:ResponseCode>02</cbc:ResponseCode><cbc:Description>Documento validado por la DIAN\
</cbc:Description></cac:Response>
    <cac:DocumentReference><cbc:ID>{escape(number)}</cbc:ID><cbc:UUID schemeName="{scheme}">{key}</cbc:UUID>\
</cac:DocumentReference>
  </cac:DocumentResponse>
</ApplicationResponse>
""".encode()


# --- the SOAP answers, shaped as WcfDianCustomerServices sends them ---------------------------------------------


def _envelope(operation: str, result: str, namespace: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP}" '
        'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{WCF}/IWcfDianCustomerServices/{operation}Response</a:Action>'
        f'</s:Header><s:Body><{operation}Response xmlns="{WCF}"><{operation}Result xmlns:b="{namespace}" '
        f'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">{result}</{operation}Result></{operation}Response>'
        "</s:Body></s:Envelope>"
    ).encode()


def _dian_response(
    *, valid: bool, code: str, description: str, message: str | None, errors: tuple[str, ...], verdict: Verdict | None
) -> str:
    items = "".join(f"<c:string>{escape(e)}</c:string>" for e in errors)
    app = verdict.application_response if verdict is not None else None
    return (
        '<b:ErrorMessage xmlns:c="http://schemas.microsoft.com/2003/10/Serialization/Arrays">'
        f"{items}</b:ErrorMessage><b:IsValid>{'true' if valid else 'false'}</b:IsValid>"
        f"<b:StatusCode>{code}</b:StatusCode><b:StatusDescription>{escape(description)}</b:StatusDescription>"
        + (f"<b:StatusMessage>{escape(message)}</b:StatusMessage>" if message else '<b:StatusMessage i:nil="true"/>')
        + (f"<b:XmlBase64Bytes>{base64.b64encode(app).decode()}</b:XmlBase64Bytes>" if app else "<b:XmlBase64Bytes/>")
        + '<b:XmlBytes i:nil="true"/>'
        + f"<b:XmlDocumentKey>{verdict.key if verdict else ''}</b:XmlDocumentKey>"
        + f"<b:XmlFileName>{escape(verdict.file_name) if verdict else ''}</b:XmlFileName>"
    )


def _verdict_answer(verdict: Verdict) -> str:
    if verdict.accepted:
        return _dian_response(
            valid=True,
            code="00",
            description="Procesado Correctamente.",
            message=f"{KIND_NAME[verdict.kind]} {verdict.number}, ha sido autorizada.",
            errors=(),
            verdict=verdict,
        )
    return _dian_response(
        valid=False,
        code="99",
        description="Validación contiene errores en campos mandatorios.",
        message=None,
        errors=verdict.messages,
        verdict=verdict,
    )


def _not_found(what: str) -> str:
    return _dian_response(valid=False, code="66", description=what, message=None, errors=(), verdict=None)


class SimulatedDian:
    """One simulated service per process; ``transport()`` hands it to a DianClient."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_zip_key: dict[str, list[Verdict]] = {}
        self._by_key: dict[str, Verdict] = {}

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) != URL:
            return httpx.Response(404, text="Not Found")
        try:
            checked = wssecurity.check(request.read(), expected_to=URL)
        except wssecurity.SecurityInvalid:
            return httpx.Response(
                500,
                content=soap_fault(
                    "Sender", "InvalidSecurity", "An error occurred when verifying security for the message."
                ),
                headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            )
        body = self._answer(checked.operation, checked.params)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/soap+xml; charset=utf-8"})

    def _answer(self, operation: str, params: dict[str, str]) -> bytes:
        if operation == "SendTestSetAsync":
            zip_key = str(uuid.uuid4())
            verdicts = [validate(name, xml) for name, xml in _unzip(params.get("contentFile", ""))]
            with self._lock:
                self._by_zip_key[zip_key] = verdicts
                for verdict in verdicts:
                    known = self._by_key.get(verdict.key)
                    if known is None or not known.accepted:  # an accepted document stays accepted
                        self._by_key[verdict.key] = verdict
            result = f'<b:ErrorMessageList i:nil="true"/><b:ZipKey>{zip_key}</b:ZipKey>'
            return _envelope(operation, result, UPLOAD_RESPONSE)
        if operation == "GetStatusZip":
            with self._lock:
                found = self._by_zip_key.get(params.get("trackId", ""))
            if found is None:
                answer = _not_found("TrackId no encontrado.")
                return _envelope(operation, f"<b:DianResponse>{answer}</b:DianResponse>", DIAN_RESPONSE)
            items = "".join(f"<b:DianResponse>{_verdict_answer(v)}</b:DianResponse>" for v in found)
            return _envelope(operation, items, DIAN_RESPONSE)
        if operation == "GetStatus":
            with self._lock:
                known = self._by_key.get(params.get("trackId", ""))
            answer = _verdict_answer(known) if known else _not_found("Documento no encontrado en los registros.")
            return _envelope(operation, answer, DIAN_RESPONSE)
        return soap_fault("Sender", "ActionNotSupported", f"La DIAN simulada no atiende {operation}.")


def _unzip(content: str) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(content))) as archive:
        return [(name.rsplit(".", 1)[0], archive.read(name)) for name in archive.namelist()]


SERVICE = SimulatedDian()
