"""Client of the DIAN's SOAP 1.2 web service WcfDianCustomerServices.

Each call signs a fresh envelope (``wssecurity.envelope``) with the issuer's certificate, posts it
with httpx under a connect/read timeout and an overall deadline, and returns a typed answer
(``responses``). What may work on a later try raises ``DianUnavailable`` (``retryable = True``):
network errors, timeouts, HTTP 5xx that are not a refusal of the request, answers that are not the
operation's SOAP answer. What will not raises ``DianRefused``: a SOAP Sender fault (e.g. the DIAN
cannot verify the security header) or another HTTP 4xx. A rule rejection is a result, never an error.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any

import httpx

from nitida.dian import responses, wssecurity
from nitida.dian.responses import DianResponse, NumberingRangeResult, SoapFault, UploadResult
from nitida.einvoicing.certificates import Certificate
from nitida.vocabulary.kinds import Environment

SERVICE_URLS = {
    Environment.HABILITACION: "https://vpfe-hab.dian.gov.co/WcfDianCustomerServices.svc",
    Environment.PRODUCCION: "https://vpfe.dian.gov.co/WcfDianCustomerServices.svc",
}
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # the largest answer is a GetStatusZip with ApplicationResponses


def service_url(environment: Environment | str, configured: str | None = None) -> str:
    """``NITIDA_DIAN_URL`` when set (one deployment, one DIAN), else the DIAN's host for the environment."""
    if configured:
        return configured
    return SERVICE_URLS[Environment(environment)]


class DianError(Exception):
    retryable: bool = False


class DianUnavailable(DianError):
    """The DIAN could not be asked or did not answer properly: try again later."""

    retryable = True


class DianRefused(DianError):
    """The DIAN refused the request itself (not the document): sending the same again will not help."""

    retryable = False

    def __init__(self, message: str, fault: SoapFault | None = None) -> None:
        super().__init__(message)
        self.fault = fault


class DianClient:
    def __init__(
        self,
        certificate: Certificate,
        url: str,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.certificate = certificate
        self.url = url
        self.deadline_seconds = timeout
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DianClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- operations ---

    def send_test_set_async(self, file_name: str, zip_bytes: bytes, test_set_id: str) -> UploadResult:
        """Habilitación: the ZIP of one document of the test set; poll ``get_status_zip(zip_key)``."""
        body = self._call(
            "SendTestSetAsync",
            [("fileName", file_name), ("contentFile", _b64(zip_bytes)), ("testSetId", test_set_id)],
        )
        return self._parse(body, "SendTestSetAsync", responses.upload_result)

    def send_bill_sync(self, file_name: str, zip_bytes: bytes) -> DianResponse:
        """Producción: validated at once; ACCEPTED carries the ApplicationResponse."""
        body = self._call("SendBillSync", [("fileName", file_name), ("contentFile", _b64(zip_bytes))])
        return self._parse(body, "SendBillSync", responses.dian_response)

    def get_status_zip(self, track_id: str) -> tuple[DianResponse, ...]:
        """The results of an asynchronous upload (the ZipKey of SendTestSetAsync)."""
        body = self._call("GetStatusZip", [("trackId", track_id)])
        return self._parse(body, "GetStatusZip", responses.dian_responses)

    def get_status(self, track_id: str) -> DianResponse:
        """The status of one document, by its CUFE/CUDE (or track id)."""
        body = self._call("GetStatus", [("trackId", track_id)])
        return self._parse(body, "GetStatus", responses.dian_response)

    def get_numbering_range(self, account_code: str, account_code_t: str, software_code: str) -> NumberingRangeResult:
        """The numbering ranges the DIAN authorised: issuer NIT, provider NIT (own software: the same), software id."""
        body = self._call(
            "GetNumberingRange",
            [("accountCode", account_code), ("accountCodeT", account_code_t), ("softwareCode", software_code)],
        )
        return self._parse(body, "GetNumberingRange", responses.numbering_range_result)

    # --- transport ---

    def _call(self, operation: str, params: Sequence[tuple[str, str]]) -> bytes:
        request = wssecurity.envelope(operation, params, to=self.url, certificate=self.certificate)
        headers = {
            "Content-Type": f'application/soap+xml;charset=UTF-8;action="{wssecurity.action(operation)}"',
            "Accept": "application/soap+xml",
        }
        started = time.monotonic()
        try:
            with self._http.stream("POST", self.url, content=request, headers=headers) as answer:
                chunks: list[bytes] = []
                size = 0
                for chunk in answer.iter_bytes():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise DianUnavailable(f"{operation}: the answer exceeds {MAX_ANSWER_BYTES} bytes")
                    # A server that trickles bytes never trips the read timeout: bound the whole call too.
                    if time.monotonic() - started > self.deadline_seconds:
                        raise DianUnavailable(f"{operation}: no complete answer within {self.deadline_seconds:g} s")
                    chunks.append(chunk)
                status = answer.status_code
        except httpx.TimeoutException as exc:
            raise DianUnavailable(f"{operation}: the DIAN did not answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DianUnavailable(f"{operation}: cannot reach the DIAN at {self.url}: {exc}") from exc
        content = b"".join(chunks)
        if status >= 400:
            self._raise_for_status(operation, status, content)
        return content

    @staticmethod
    def _raise_for_status(operation: str, status: int, content: bytes) -> None:
        soap_fault: SoapFault | None = None
        try:
            soap_fault = responses.fault(responses.parse_envelope(content))
        except responses.MalformedAnswer:
            pass
        if soap_fault is not None and soap_fault.is_sender_fault:
            subcode = f" ({soap_fault.subcode})" if soap_fault.subcode else ""
            raise DianRefused(f"{operation}: the DIAN refused the request{subcode}: {soap_fault.reason}", soap_fault)
        detail = f": {soap_fault.reason}" if soap_fault else ""
        if status >= 500 or status in (408, 429):
            raise DianUnavailable(f"{operation}: the DIAN answered HTTP {status}{detail}")
        raise DianRefused(f"{operation}: the DIAN answered HTTP {status}{detail}", soap_fault)

    @staticmethod
    def _parse(content: bytes, operation: str, parse: Any) -> Any:
        try:
            soap_body = responses.parse_envelope(content)
            soap_fault = responses.fault(soap_body)
            if soap_fault is not None:
                # A fault with HTTP 200 is not what SOAP 1.2 does; classify it as with HTTP 500.
                if soap_fault.is_sender_fault:
                    raise DianRefused(f"{operation}: SOAP fault: {soap_fault.reason}", soap_fault)
                raise DianUnavailable(f"{operation}: SOAP fault: {soap_fault.reason}")
            return parse(responses.result_node(soap_body, operation))
        except responses.MalformedAnswer as exc:
            raise DianUnavailable(f"{operation}: malformed answer: {exc}") from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
