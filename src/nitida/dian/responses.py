"""The DIAN's answers as typed results, parsed from the SOAP envelopes WcfDianCustomerServices returns.

Elements are found by local name inside the operation's result: the DIAN (WCF data contracts)
declares them in per-type namespaces (``…/2004/07/DianResponse``, ``…/UploadDocumentResponse``…)
whose prefixes vary. A rule rejection is an answer, not an error; an answer that does not have the
shape of the operation's result raises ``MalformedAnswer``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import re
from dataclasses import dataclass

from lxml import etree

from nitida.core.clock import BOGOTA

SOAP = "http://www.w3.org/2003/05/soap-envelope"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class MalformedAnswer(ValueError):
    """The HTTP answer is not the SOAP answer of the operation; the message says what is off."""


@dataclass(frozen=True, slots=True)
class SoapFault:
    code: str  # "Sender" or "Receiver" (SOAP 1.2), local name
    subcode: str | None  # e.g. "InvalidSecurity"
    reason: str

    @property
    def is_sender_fault(self) -> bool:
        """The request itself was refused (security, shape): sending it again will not help."""
        return self.code == "Sender"


class Outcome(enum.StrEnum):
    ACCEPTED = "ACCEPTED"  # StatusCode 00 and IsValid: the ApplicationResponse is the DIAN's acceptance
    REJECTED = "REJECTED"  # StatusCode 99 (or not valid with "Rechazo" rules): fix the data, do not resend as is
    NOT_FOUND = "NOT_FOUND"  # 66 / 90: the DIAN has no such track id or document key
    PENDING = "PENDING"  # anything else, e.g. "Batch en proceso de validación." while a test set is processed


_RULE = re.compile(r"^\s*Regla:\s*(?P<rule>[^,]+),\s*(?P<kind>[^:]+):\s*(?P<text>.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class RuleMessage:
    rule: str  # "FAJ26"
    kind: str  # "Rechazo" | "Notificación"
    text: str


def parse_rule(message: str) -> RuleMessage | None:
    """Split "Regla: FAJ26, Rechazo: Responsabilidad …" into its parts (None for other messages)."""
    match = _RULE.match(message)
    if not match:
        return None
    return RuleMessage(match["rule"].strip(), match["kind"].strip(), match["text"].strip())


@dataclass(frozen=True, slots=True)
class DianResponse:
    """One ``DianResponse`` (SendBillSync, GetStatus, and each item of GetStatusZip)."""

    is_valid: bool
    status_code: str  # "00" processed, "99" errors in mandatory fields, "66"/"90" not found, "" in process
    status_description: str
    status_message: str | None
    error_messages: tuple[str, ...]  # "Regla: …, Rechazo: …" as the DIAN wrote them (outer whitespace trimmed)
    document_key: str | None  # XmlDocumentKey: the CUFE/CUDE
    file_name: str | None  # XmlFileName
    application_response: bytes | None  # XmlBase64Bytes decoded: the DIAN's ApplicationResponse XML

    @property
    def outcome(self) -> Outcome:
        if self.is_valid and self.status_code == "00":
            return Outcome.ACCEPTED
        if self.status_code in ("66", "90"):
            return Outcome.NOT_FOUND
        if self.status_code == "99" or any(r and r.kind == "Rechazo" for r in self.rules):
            return Outcome.REJECTED
        return Outcome.PENDING

    @property
    def rules(self) -> tuple[RuleMessage | None, ...]:
        return tuple(parse_rule(m) for m in self.error_messages)

    @property
    def rejections(self) -> tuple[str, ...]:
        """The messages that reject the document (notifications left out)."""
        return tuple(m for m, r in zip(self.error_messages, self.rules) if r is not None and r.kind == "Rechazo")


@dataclass(frozen=True, slots=True)
class UploadError:
    document_key: str | None
    message: str  # ProcessedMessage
    file_name: str | None
    success: bool


@dataclass(frozen=True, slots=True)
class UploadResult:
    """SendTestSetAsync (and SendBillAsync): a ZipKey to poll with GetStatusZip, or the upload's errors."""

    zip_key: str | None
    errors: tuple[UploadError, ...]

    @property
    def accepted_for_processing(self) -> bool:
        return self.zip_key is not None


@dataclass(frozen=True, slots=True)
class NumberingRange:
    resolution_number: str
    resolution_date: str
    prefix: str
    from_number: int
    to_number: int
    valid_from: str
    valid_to: str
    technical_key: str | None


@dataclass(frozen=True, slots=True)
class NumberingRangeResult:
    operation_code: str  # "100" when the ranges were found; e.g. "401" not authorised
    operation_description: str
    ranges: tuple[NumberingRange, ...]

    @property
    def ok(self) -> bool:
        return self.operation_code == "100"


# --- parsing ---


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for node in parent:
        if isinstance(node.tag, str) and _local(node) == name:
            return node
    return None


def _text(parent: etree._Element, name: str) -> str | None:
    node = _child(parent, name)
    if node is None or node.get(XSI_NIL) == "true":
        return None
    return (node.text or "").strip()


def parse_envelope(body: bytes) -> etree._Element:
    """The soap:Body of an answer. Raises MalformedAnswer when it is not a SOAP 1.2 envelope."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise MalformedAnswer(f"the answer is not XML: {exc}") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise MalformedAnswer(f"the answer is not a SOAP 1.2 envelope but {root.tag!r}")
    soap_body = root.find(f"{{{SOAP}}}Body")
    if soap_body is None:
        raise MalformedAnswer("the answer has no soap:Body")
    return soap_body


def fault(soap_body: etree._Element) -> SoapFault | None:
    node = soap_body.find(f"{{{SOAP}}}Fault")
    if node is None:
        return None
    code = (node.findtext(f"{{{SOAP}}}Code/{{{SOAP}}}Value") or "").strip()
    subcode = node.findtext(f"{{{SOAP}}}Code/{{{SOAP}}}Subcode/{{{SOAP}}}Value")
    reason = (node.findtext(f"{{{SOAP}}}Reason/{{{SOAP}}}Text") or "").strip()
    return SoapFault(
        code=code.split(":")[-1], subcode=subcode.strip().split(":")[-1] if subcode else None, reason=reason
    )


def result_node(soap_body: etree._Element, operation: str) -> etree._Element:
    response = _child(soap_body, f"{operation}Response")
    if response is None:
        raise MalformedAnswer(f"the answer has no {operation}Response")
    result = _child(response, f"{operation}Result")
    if result is None:
        raise MalformedAnswer(f"the answer has no {operation}Result")
    return result


def _decode_base64(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        # The DIAN has sent truncated values with errors; the messages are what matters then.
        return None


def dian_response(node: etree._Element) -> DianResponse:
    is_valid = _text(node, "IsValid")
    if is_valid not in ("true", "false"):
        raise MalformedAnswer(f"DianResponse has no IsValid true/false (got {is_valid!r})")
    errors_node = _child(node, "ErrorMessage")
    messages: tuple[str, ...] = ()
    if errors_node is not None and errors_node.get(XSI_NIL) != "true":
        messages = tuple((s.text or "").strip() for s in errors_node if isinstance(s.tag, str))
    return DianResponse(
        is_valid=is_valid == "true",
        status_code=_text(node, "StatusCode") or "",
        status_description=_text(node, "StatusDescription") or "",
        status_message=_text(node, "StatusMessage"),
        error_messages=messages,
        document_key=_text(node, "XmlDocumentKey"),
        file_name=_text(node, "XmlFileName"),
        application_response=_decode_base64(_text(node, "XmlBase64Bytes")),
    )


def dian_responses(node: etree._Element) -> tuple[DianResponse, ...]:
    """GetStatusZip: the list of DianResponse under the result."""
    return tuple(dian_response(n) for n in node if isinstance(n.tag, str) and _local(n) == "DianResponse")


def upload_result(node: etree._Element) -> UploadResult:
    errors = []
    error_list = _child(node, "ErrorMessageList")
    if error_list is not None and error_list.get(XSI_NIL) != "true":
        for item in error_list:
            if not isinstance(item.tag, str):
                continue
            errors.append(
                UploadError(
                    document_key=_text(item, "DocumentKey"),
                    message=_text(item, "ProcessedMessage") or "",
                    file_name=_text(item, "XmlFileName"),
                    success=_text(item, "Success") == "true",
                )
            )
    zip_key = _text(node, "ZipKey")
    if zip_key is None and not errors:
        raise MalformedAnswer("the upload answer has neither a ZipKey nor errors")
    return UploadResult(zip_key=zip_key or None, errors=tuple(errors))


def numbering_range_result(node: etree._Element) -> NumberingRangeResult:
    code = _text(node, "OperationCode")
    if code is None:
        raise MalformedAnswer("the numbering-range answer has no OperationCode")
    ranges = []
    response_list = _child(node, "ResponseList")
    if response_list is not None and response_list.get(XSI_NIL) != "true":
        for item in response_list:
            if not isinstance(item.tag, str):
                continue
            try:
                ranges.append(
                    NumberingRange(
                        resolution_number=_text(item, "ResolutionNumber") or "",
                        resolution_date=_text(item, "ResolutionDate") or "",
                        prefix=_text(item, "Prefix") or "",
                        from_number=int(_text(item, "FromNumber") or ""),
                        to_number=int(_text(item, "ToNumber") or ""),
                        valid_from=_text(item, "ValidDateFrom") or "",
                        valid_to=_text(item, "ValidDateTo") or "",
                        technical_key=_text(item, "TechnicalKey"),
                    )
                )
            except ValueError:
                raise MalformedAnswer("a numbering range has no numeric FromNumber/ToNumber") from None
    return NumberingRangeResult(
        operation_code=code,
        operation_description=" ".join((_text(node, "OperationDescription") or "").split()),
        ranges=tuple(ranges),
    )


# --- what a service answers when it refuses a request (the DIAN simulada, the tests' fake DIAN) ---


def soap_fault(code: str, subcode: str | None, reason: str) -> bytes:
    sub = (
        f'<s:Subcode><s:Value xmlns:a="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        f"a:{subcode}</s:Value></s:Subcode>"
        if subcode
        else ""
    )
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        f"<s:Code><s:Value>s:{code}</s:Value>{sub}</s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        "</s:Fault></s:Body></s:Envelope>"
    ).encode()


def validated_at(application_response: bytes | None) -> dt.datetime | None:
    """When the DIAN validated a document: its ApplicationResponse's own ``IssueDate`` and ``IssueTime``
    (issue 25: the printed validation date is the DIAN's, not when our poll happened to read the answer).
    A time without offset is Bogotá's; None when the answer is missing or has no such dates."""
    if not application_response:
        return None
    try:
        root = etree.fromstring(application_response)
    except etree.XMLSyntaxError:
        return None
    cbc = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
    day, time = root.findtext(f"{cbc}IssueDate"), root.findtext(f"{cbc}IssueTime")
    if not day or not time:
        return None
    try:
        moment = dt.datetime.fromisoformat(f"{day.strip()}T{time.strip()}")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BOGOTA)
