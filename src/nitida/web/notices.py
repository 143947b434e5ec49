"""One-shot notices ("Factura emitida.", "Pago registrado."): shown once, never again on reload or Back.

A page action answers with a redirect whose query names its notice, ``/app/facturas/<id>?aviso=emitida``
(and, for a refusal, ``&motivo=<slug>``): that is how every page module says what to announce. This
middleware takes ``aviso`` and ``motivo`` out of the redirect's address into a short-lived cookie, bound
to the page the redirect leads to, so the address the browser shows, reloads and keeps in its history
carries no notice. The next full page load of that address hands them back to the page as its query
(the handlers read ``aviso`` as before) and deletes the cookie in the same answer; any other page load
deletes it unread. No script rewrites the address (a history.replaceState raced the browser tests).
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nitida.web.pages_auth import secure_cookies

COOKIE = "nitida_aviso"
PARAMS = ("aviso", "motivo")
MAX_AGE = 60  # seconds: the redirect is followed at once
REDIRECTS = (301, 302, 303, 307, 308)


def _is_page(path: str) -> bool:
    return (path == "/app" or path.startswith("/app/")) and not path.startswith("/app/static/")


def _cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header carries no notice
                continue
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _set_cookie(value: str, max_age: int, secure: bool) -> str:
    flags = "; Secure" if secure else ""
    return f"{COOKIE}={value}; Path=/app; Max-Age={max_age}; HttpOnly; SameSite=Lax{flags}"


def take_notice(location: str) -> tuple[str, str | None]:
    """A redirect's address without its notice, and the cookie value that carries it (None: no notice)."""
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    notice = [(k, v) for k, v in query if k in PARAMS]
    if not any(k == "aviso" and v for k, v in notice):
        return location, None
    kept = [(k, v) for k, v in query if k not in PARAMS]
    address = urlunsplit(parts._replace(query=urlencode(kept)))
    target = urlunsplit(("", "", parts.path, urlencode(kept), ""))
    return address, urlencode([("a", target), *notice])


class NoticesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_page(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        secure = secure_cookies(Request(scope))  # the session cookie's rule (production, or TLS by a trusted proxy)
        consumed = False
        raw_headers = list(scope.get("headers", []))
        carried = _cookie(raw_headers)
        is_htmx = any(name == b"hx-request" for name, _value in raw_headers)
        if carried is not None and scope.get("method") == "GET" and not is_htmx:
            consumed = True
            fields = parse_qsl(carried, keep_blank_values=True)
            target = next((v for k, v in fields if k == "a"), "")
            here = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
            if target == here:
                query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                query += [(k, v) for k, v in fields if k in PARAMS]
                scope = {**scope, "query_string": urlencode(query).encode("latin-1")}

        async def send_with_notice(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                cookie = None
                if message["status"] in REDIRECTS and "location" in headers:
                    address, value = take_notice(headers["location"])
                    if value is not None:
                        headers["location"] = address
                        cookie = _set_cookie(value, MAX_AGE, secure)
                if cookie is None and consumed:
                    cookie = _set_cookie("", 0, secure)
                if cookie is not None:
                    headers.append("set-cookie", cookie)
                message["headers"] = headers.raw
            await send(message)

        await self.app(scope, receive, send_with_notice)
