"""Signing in and out of the back office."""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from nitida.auth import service as auth
from nitida.auth.dependencies import client_info
from nitida.core import bounds
from nitida.core.errors import ServiceUnavailable, TooManyRequests, Unauthorized
from nitida.web import sessions
from nitida.web.deps import LOGIN_PATH, Web, same_origin
from nitida.web.rendering import plural, render_text

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "nitida_csrf_ingreso"


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/app") and not value.startswith("//") and "\\" not in value:
        return value
    return "/app"


def _login_page(
    token: str, *, next_path: str, email: str = "", error: str | None = None, status: int = 200
) -> HTMLResponse:
    html = render_text(
        "ingresar.html", ctx=None, csrf_token=token, siguiente=next_path, email=email, error=error, max=bounds
    )
    response = HTMLResponse(html, status_code=status)
    return response


def secure_cookies(request: Request) -> bool:
    """Cookies go out ``Secure`` always in production, else when the browser came over TLS, by the one
    proxy trust the service has (NITIDA_TRUSTED_PROXIES; core.client)."""
    if request.app.state.settings.env == "production":
        return True
    peer = request.client.host if request.client else None
    return request.app.state.clients.is_https(request.url.scheme, peer, request.scope.get("headers", []))


def _with_login_cookie(response: Response, request: Request, token: str) -> Response:
    # Double-submit token for the sign-in form (no session yet to hold one).
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=LOGIN_PATH,
        max_age=3600,
    )
    return response


@router.get("/app/ingresar")
def login_form(request: Request, siguiente: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return _with_login_cookie(_login_page(token, next_path=_safe_next(siguiente)), request, token)


@router.post("/app/ingresar")
async def login(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("correo", ""))[: bounds.EMAIL + 10]
    password = str(form.get("contrasena", ""))[: bounds.LOGIN_PASSWORD]
    next_path = _safe_next(str(form.get("siguiente", "")))
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE)
    given = form.get("csrf_token")
    if (
        not cookie_token
        or not isinstance(given, str)
        or not sessions.csrf_matches(cookie_token, given)
        or not same_origin(request)
    ):
        token = secrets.token_urlsafe(32)
        page = _login_page(
            token,
            next_path=next_path,
            email=email,
            error="El formulario venció. Inténtalo de nuevo.",
            status=403,
        )
        return _with_login_cookie(page, request, token)
    if not email.strip() or not password:
        page = _login_page(
            cookie_token, next_path=next_path, email=email, error="Escribe tu correo y tu contraseña.", status=400
        )
        return page
    state = request.app.state
    try:
        # The API's own login (auth.service.login): its admission limit, throttles and security events.
        access_token, _lifetime = await auth.login(
            state.db, state.settings, state.password_checks, email, password, client_info(request)
        )
    except ServiceUnavailable as busy:
        page = _login_page(
            cookie_token,
            next_path=next_path,
            email=email,
            error="Hay muchos ingresos en este momento. Inténtalo de nuevo en unos segundos.",
            status=503,
        )
        page.headers["Retry-After"] = (busy.headers or {}).get("Retry-After", "1")
        return page
    except TooManyRequests as exc:
        seconds = int((exc.headers or {}).get("Retry-After", "60"))
        minutes = max(1, math.ceil(seconds / 60))
        page = _login_page(
            cookie_token,
            next_path=next_path,
            email=email,
            error=f"Demasiados intentos fallidos. Inténtalo de nuevo en {plural(minutes, 'minuto', 'minutos')}.",
            status=429,
        )
        page.headers["Retry-After"] = str(seconds)
        return page
    except Unauthorized:
        return _login_page(
            cookie_token, next_path=next_path, email=email, error="Correo o contraseña incorrectos.", status=401
        )
    cookie = await run_in_threadpool(sessions.open_session, state.db, state.settings, access_token)
    response = signed_in(request, cookie, next_path)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


def signed_in(request: Request, cookie: str, next_path: str) -> Response:
    """The redirect that carries a new session's cookie (after sign-in, or a password set through a link)."""
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/app",
        max_age=request.app.state.settings.web_session_minutes * 60,
    )
    return response


@router.post("/app/salir")
def logout(ctx: Web) -> Response:
    sessions.sign_out(ctx.session, ctx.session_id)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/app")
    return response
