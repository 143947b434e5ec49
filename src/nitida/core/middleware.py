"""Pure-ASGI middleware: a request id on every request, and a body size cap."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nitida.core.errors import FieldError
from nitida.core.problems import internal_error_response, problem_response
from nitida.core.request_context import reset_request_id, set_request_id
from nitida.core.schemas import CONTROL_CHARACTERS

log = logging.getLogger("nitida")


class RequestContextMiddleware:
    """Assigns a request id (echoed as X-Request-ID) and caps the body size.

    The cap is checked against Content-Length before anything is read (the
    server holds the body to that length), and by reading ahead a chunked body
    whose length is not declared.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Exact paths with a cap of their own (file uploads).
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        token = set_request_id(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            bad_parameter = _control_character_parameter(scope)
            if bad_parameter is not None:
                await problem_response(
                    400,
                    f"The query parameter {bad_parameter!r} contains control characters.",
                    slug="validation-error",
                    errors=[FieldError(field=bad_parameter, message="must not contain control characters")],
                )(scope, receive, send_with_id)
                return
            limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                await self._too_large(scope, receive, send_with_id, limit)
                return
            if declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
                # Chunked body of unknown length: read it (up to the cap) before
                # the app does, so an oversized one is refused without parsing.
                buffered = await self._read_capped(receive, limit)
                if buffered is None:
                    await self._too_large(scope, receive, send_with_id, limit)
                    return
                receive = _replay(buffered, receive)
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error request_id=%s %s %s", request_id, scope.get("method"), scope.get("path"))
                if started:
                    raise
                await internal_error_response()(scope, receive, send_with_id)
        finally:
            reset_request_id(token)

    async def _read_capped(self, receive: Receive, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            f"The request body exceeds the limit of {limit} bytes.",
            slug="payload-too-large",
        )
        await response(scope, receive, send)


def _control_character_parameter(scope: Scope) -> str | None:
    """The first query parameter with a control character (e.g. NUL, which
    PostgreSQL refuses in text), or None. Checked here once for every route."""
    query = scope.get("query_string", b"")
    if not query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
            return name[:50]
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # e.g. http.disconnect

    return replay


class AllowedHostsMiddleware:
    """Serves only the Host names of NITIDA_ALLOWED_HOSTS ("*" serves any);
    anything else is a 400 problem, never a redirect. Links and redirects are
    never built from a Host header the operator did not list."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.exact = {h.lower() for h in allowed_hosts if not h.startswith("*.")}
        self.suffixes = tuple(h[1:].lower() for h in allowed_hosts if h.startswith("*."))

    def _allowed(self, host: str) -> bool:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.lower()
        return name in self.exact or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any_host or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1")
                break
        if not self._allowed(host):
            await problem_response(400, "This host name is not served here.", slug="invalid-host")(scope, receive, send)
            return
        await self.app(scope, receive, send)


# Paths with pages of their own (the back office under /app sets its own
# Content-Security-Policy; the OpenAPI page runs an inline script).
PAGE_PREFIXES = ("/app", "/docs")
DOCS_ASSETS = "/docs/assets/"
API_CSP = b"default-src 'none'; frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    """Headers every response carries: no caching of tokens and personal data
    (``Cache-Control: no-store`` unless the response chose its own, as static
    assets do), no MIME sniffing, no Referer leaving the service; API responses
    (JSON) also get a CSP that allows nothing, which pages under PAGE_PREFIXES
    are left to set themselves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        is_page = path.startswith(PAGE_PREFIXES)
        # Swagger UI's files are the same for everyone: let browsers keep them.
        cache = b"public, max-age=86400" if path.startswith(DOCS_ASSETS) else b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(b"cache-control", cache), (b"x-content-type-options", b"nosniff")]
                if not is_page:  # pages (the back office, /docs) set their own
                    extra += [
                        (b"referrer-policy", b"no-referrer"),
                        (b"content-security-policy", API_CSP),
                        (b"x-frame-options", b"DENY"),
                    ]
                message["headers"] = headers + [(n, v) for n, v in extra if n not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)
