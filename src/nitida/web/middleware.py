"""Security headers on the back office's answers, and friendly Spanish error
pages in place of any problem+json that would reach a browser under /app.

Pure ASGI, outermost: it sees every answer under /app, those of the error
handlers and of the request-id middleware's last-resort 500 included, so no
JSON and no trace reaches a page whatever failed. The API (outside /app) is
untouched and keeps its problem+json.
"""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nitida.web.rendering import render_text

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

ERRORS = {
    400: ("Solicitud no válida", "Revisa los datos enviados e inténtalo de nuevo."),
    403: ("No tienes permiso", "Tu rol no permite esta acción. Si la necesitas, pídesela a un administrador."),
    404: ("Página no encontrada", "Lo que buscas no existe o no pertenece a tu empresa."),
    405: ("Página no encontrada", "Lo que buscas no existe o no pertenece a tu empresa."),
    409: ("No se pudo completar", "La acción no es posible en el estado actual. Vuelve atrás y revisa."),
    413: ("Envío demasiado grande", "Lo enviado supera el tamaño permitido."),
    429: ("Demasiados intentos", "Espera unos minutos e inténtalo de nuevo."),
    500: ("Algo salió mal", "Ocurrió un error inesperado. Inténtalo de nuevo en un momento."),
    503: ("Servicio no disponible", "La base de datos no responde en este momento. Inténtalo en unos segundos."),
}
BY_SLUG = {
    "csrf": (
        "El formulario venció",
        "Por seguridad no aceptamos este envío. Vuelve a la página, recárgala e inténtalo de nuevo.",
    ),
}


def error_page(status: int, slug: str | None, request_id: str | None) -> str:
    title, message = BY_SLUG.get(slug or "") or ERRORS.get(status) or ERRORS[500 if status >= 500 else 400]
    return render_text("error.html", status=status, title=title, message=message, request_id=request_id)


def is_page_path(path: str) -> bool:
    return path == "/app" or path.startswith("/app/")


class WebPagesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        held: dict[str, Message] = {}
        body = bytearray()

        async def send_page(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"  # billing data stays out of shared caches
                message["headers"] = headers.raw
                content_type = headers.get("content-type", "")
                if content_type.startswith(("application/problem+json", "application/json")):
                    held["start"] = message  # replaced by the error page once the body is read
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and "start" in held:
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._send_error_page(held["start"], bytes(body), send)
                return
            await send(message)

        await self.app(scope, receive, send_page)

    async def _send_error_page(self, start: Message, body: bytes, send: Send) -> None:
        status = start["status"]
        headers = MutableHeaders(raw=list(start["headers"]))
        try:
            problem = json.loads(body)
        except ValueError:
            problem = {}
        slug = str(problem.get("type", "")).rsplit("/", 1)[-1] if isinstance(problem, dict) else None
        html = error_page(status, slug, headers.get("x-request-id")).encode()
        headers["Content-Type"] = "text/html; charset=utf-8"
        headers["Content-Length"] = str(len(html))
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": html})
