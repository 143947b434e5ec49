"""Pages without a session: "¿Olvidaste tu contraseña?" and the one-time link that sets a password
(an invitation's or a reset's). The link's page signs the user in through the one login path
(``auth.service.login``, what ``/auth/login`` and the sign-in form await: its admission limit, throttles and
security events) with the password just set."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from nitida.auth import service as auth
from nitida.auth.dependencies import client_info
from nitida.core import bounds, passwords
from nitida.core.errors import AppError, ServiceUnavailable, TooManyRequests, Unauthorized
from nitida.delivery import accounts
from nitida.users import links
from nitida.web import messages, sessions
from nitida.web.deps import LOGIN_PATH, same_origin
from nitida.web.forms import FormErrors
from nitida.web.pages_auth import secure_cookies, signed_in
from nitida.web.rendering import render_text

router = APIRouter(include_in_schema=False)

# Double-submit token of these forms (no session yet to hold one), as the sign-in form's.
CSRF_COOKIE = "nitida_csrf_cuenta"
SENT = (
    "Si el correo corresponde a un usuario activo, le enviamos un enlace para elegir una contraseña nueva. "
    f"El enlace sirve una sola vez y vence en {links.RESET_MINUTES} minutos. Revisa también el correo no deseado."
)
INVALID_LINK = (
    "Este enlace no sirve: ya se usó, venció o se envió uno más reciente. "
    "Pide otro en «¿Olvidaste tu contraseña?» o pide a un administrador que te invite de nuevo."
)


def _html(template: str, token: str, status: int = 200, **context: object) -> HTMLResponse:
    html = render_text(
        template,
        ctx=None,
        csrf_token=token,
        max=bounds,
        rule=messages.PASSWORD_RULE,
        lengths=(passwords.MIN_LENGTH, passwords.MAX_LENGTH),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _with_cookie(response: Response, request: Request, token: str) -> Response:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=secure_cookies(request), path="/app")
    return response


def _csrf_ok(request: Request, given: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return (
        bool(cookie) and isinstance(given, str) and sessions.csrf_matches(cookie or "", given) and same_origin(request)
    )


def _token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)


def _base_url(request: Request) -> str:
    return str(request.base_url)


@router.get("/app/olvide")
def forgot_form(request: Request) -> Response:
    token = _token(request)
    return _with_cookie(_html("cuenta/olvide.html", token, email="", notice=None, error=None), request, token)


@router.post("/app/olvide")
async def forgot(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("correo", ""))[: bounds.EMAIL + 10]
    if not _csrf_ok(request, form.get("csrf_token")):
        token = secrets.token_urlsafe(32)
        page = _html(
            "cuenta/olvide.html",
            token,
            403,
            email=email,
            notice=None,
            error="El formulario venció. Inténtalo de nuevo.",
        )
        return _with_cookie(page, request, token)
    token = _token(request)
    if "@" not in email or len(email.strip()) > bounds.EMAIL:
        return _html(
            "cuenta/olvide.html",
            token,
            422,
            email=email,
            notice=None,
            error="Escribe el correo electrónico con el que ingresas (p. ej. nombre@empresa.com).",
        )
    await run_in_threadpool(
        accounts.request_reset,
        request.app.state.db,
        request.app.state.settings,
        email,
        base_url=_base_url(request),
        client=client_info(request),
    )
    # The same answer whether or not the address is a user's.
    return _html("cuenta/olvide.html", token, email="", notice=SENT, error=None)


def _link_page(request: Request, link: str, *, errors: FormErrors | None = None, status: int = 200) -> Response:
    token = _token(request)
    try:
        user = accounts.check_link(request.app.state.db, link)
    except links.LinkNotValid:
        return _with_cookie(_html("cuenta/enlace_invalido.html", token, 410, problem=INVALID_LINK), request, token)
    page = _html(
        "cuenta/contrasena.html",
        token,
        status,
        link=link,
        email=user.email,
        user_name=user.name,
        errors=errors or FormErrors(),
    )
    return _with_cookie(page, request, token)


@router.get("/app/contrasena/{link}")
def password_form(request: Request, link: str) -> Response:
    return _link_page(request, link[:200])


@router.post("/app/contrasena/{link}")
async def set_password(request: Request, link: str) -> Response:
    link = link[:200]
    form = await request.form()
    password = str(form.get("contrasena", ""))[: bounds.LOGIN_PASSWORD]
    confirm = str(form.get("confirmacion", ""))[: bounds.LOGIN_PASSWORD]
    if not _csrf_ok(request, form.get("csrf_token")):
        return _link_page(
            request, link, errors=FormErrors(general="El formulario venció. Inténtalo de nuevo."), status=403
        )
    if not password:
        return _link_page(
            request, link, errors=FormErrors(fields={"contrasena": "Este campo es obligatorio."}), status=422
        )
    if password != confirm:
        errors = FormErrors(
            fields={"confirmacion": "No coincide con la contraseña nueva: escríbela igual las dos veces."}
        )
        return _link_page(request, link, errors=errors, status=422)
    db, settings = request.app.state.db, request.app.state.settings
    try:
        _tenant, email = await run_in_threadpool(accounts.set_password, db, link, password, client=client_info(request))
    except links.LinkNotValid:
        token = _token(request)
        return _with_cookie(_html("cuenta/enlace_invalido.html", token, 410, problem=INVALID_LINK), request, token)
    except ValidationError as exc:
        fields = messages.of_validation_error(exc, {"password": "contrasena"})
        return _link_page(
            request, link, errors=FormErrors(fields=messages.password_errors(fields, "contrasena")), status=422
        )
    except AppError as exc:
        fields, general = messages.of_app_error(exc)
        fields = {("contrasena" if k == "password" else k): v for k, v in fields.items()}
        return _link_page(
            request,
            link,
            errors=FormErrors(fields=messages.password_errors(fields, "contrasena"), general=general),
            status=422,
        )
    # Signed in through the one login path, with the password just set (its throttling and events included).
    try:
        access_token, _lifetime = await auth.login(
            db, settings, request.app.state.password_checks, email, password, client_info(request)
        )
    except (Unauthorized, TooManyRequests, ServiceUnavailable):
        return RedirectResponse(LOGIN_PATH, status_code=303)  # the password is set: Ingresar says the rest
    cookie = await run_in_threadpool(sessions.open_session, db, settings, access_token)
    response = signed_in(request, cookie, "/app")
    response.delete_cookie(CSRF_COOKIE, path="/app")
    return response
