"""A local stand-in for the DIAN's WcfDianCustomerServices, for tests and demos: never the real DIAN.

It serves HTTP on 127.0.0.1, checks every request's WS-Security header the way the DIAN does
(``wssecurity.check``: the signature verifies with the BinarySecurityToken's certificate, covers
wsa:To, which must name this service, and the Timestamp has not expired) and answers each operation
with the body it was given (``replies``: the DIAN's real answers, read by the caller; nothing here
reads files). A refused security header gets what WCF sends: HTTP 500 with a Sender fault
(InvalidSecurity). ``fault`` switches to the failures a client must survive: a late answer, HTTP 500,
a malformed answer, or a connection that hangs in the middle of the answer.

    with FakeDian({"GetStatus": body}) as dian:
        client = DianClient(certificate, dian.url)
"""

from __future__ import annotations

import base64
import enum
import io
import threading
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nitida.dian import wssecurity
from nitida.dian.responses import soap_fault

SERVICE_PATH = "/WcfDianCustomerServices.svc"

Reply = bytes | Callable[[wssecurity.CheckedRequest], bytes]


class Fault(enum.StrEnum):
    NONE = "NONE"  # answer with the operation's reply
    TIMEOUT = "TIMEOUT"  # process the request, answer only after ``stall_seconds``
    HTTP_500 = "HTTP_500"  # a Receiver fault, as WCF sends for an internal error
    MALFORMED = "MALFORMED"  # HTTP 200 with half of the reply: not XML
    HUNG = "HUNG"  # send the status line, headers and a few bytes, then stall


@dataclass
class ReceivedRequest:
    operation: str
    checked: wssecurity.CheckedRequest
    raw: bytes
    files: dict[str, bytes] = field(default_factory=dict)  # the unzipped contentFile, when there is one


class FakeDian:
    def __init__(
        self,
        replies: Mapping[str, Reply] | None = None,
        *,
        fault: Fault = Fault.NONE,
        stall_seconds: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.replies: dict[str, Reply] = dict(replies or {})
        self.fault = fault
        self.stall_seconds = stall_seconds
        self.requests: list[ReceivedRequest] = []
        self.refused: list[str] = []  # why each refused request was refused
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        return f"http://{host_text}:{port}{SERVICE_PATH}"

    def start(self) -> FakeDian:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-dian", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake stalled handlers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeDian:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def operations(self) -> list[str]:
        with self._lock:
            return [r.operation for r in self.requests]

    # --- serving ---

    def _answer(self, raw: bytes, content_type: str) -> tuple[int, bytes]:
        if not content_type.startswith("application/soap+xml"):
            return 415, b"Cannot process the message because the content type is not application/soap+xml"
        try:
            checked = wssecurity.check(raw, expected_to=self.url)
        except wssecurity.SecurityInvalid as exc:
            with self._lock:
                self.refused.append(str(exc))
            return 500, soap_fault(
                "Sender", "InvalidSecurity", "An error occurred when verifying security for the message."
            )
        if f'action="{checked.action}"' not in content_type:
            return 500, soap_fault("Sender", "ActionMismatch", "The HTTP action does not match wsa:Action.")
        files: dict[str, bytes] = {}
        if "contentFile" in checked.params:
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(checked.params["contentFile"]))) as archive:
                files = {name: archive.read(name) for name in archive.namelist()}
        with self._lock:
            self.requests.append(ReceivedRequest(checked.operation, checked, raw, files))
        reply = self.replies.get(checked.operation)
        if reply is None:
            return 500, soap_fault("Sender", "ActionNotSupported", f"No reply configured for {checked.operation}.")
        return 200, reply(checked) if callable(reply) else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
                pass

            def _send(
                self, status: int, body: bytes, content_type: str = "application/soap+xml; charset=utf-8"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                try:
                    self._post()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): what a late server sees

            def _post(self) -> None:
                if self.path != SERVICE_PATH:
                    self._send(404, b"Not Found", "text/plain")
                    return
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fault = fake.fault
                # The request is processed before any failure: as with the real DIAN, a client that sees a
                # timeout or a broken answer cannot know whether the document arrived.
                status, body = fake._answer(raw, self.headers.get("Content-Type", ""))
                if fault is Fault.TIMEOUT:
                    fake._release.wait(fake.stall_seconds)
                if fault is Fault.HTTP_500:
                    self._send(
                        500,
                        soap_fault("Receiver", "InternalServiceFault", "The server was unable to process the request."),
                    )
                elif fault is Fault.MALFORMED:
                    self._send(200, body[: len(body) // 2])
                elif fault is Fault.HUNG:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[:64])
                    self.wfile.flush()
                    fake._release.wait(fake.stall_seconds)
                    self.close_connection = True
                else:
                    self._send(status, body)

        return Handler
