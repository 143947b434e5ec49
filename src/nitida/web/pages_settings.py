"""Configuración (ADMIN): numbering resolutions and users. The business's fiscal
data and electronic-invoicing settings wait on their API (issue 10)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nitida.invoices import numbering
from nitida.invoices.access import RESOLUTIONS
from nitida.invoices.schemas import ResolutionCreate
from nitida.invoices.service import bogota_today
from nitida.users import service as users
from nitida.users.access import USERS
from nitida.users.models import Role, UserStatus
from nitida.users.schemas import UserCreate, UserUpdate
from nitida.web import sessions
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, attempt, validate
from nitida.web.pages_invoices import resolution_info
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)

RESOLUTION_FIELDS = {
    "resolutionNumber": "numero_resolucion",
    "prefix": "prefijo",
    "rangeFrom": "desde",
    "rangeTo": "hasta",
    "validFrom": "vigente_desde",
    "validTo": "vigente_hasta",
    "technicalKey": "clave_tecnica",
}
USER_FIELDS = {"email": "correo", "name": "nombre", "password": "contrasena", "role": "rol", "status": "estado"}
NOTICES = {
    "resolucion": "Resolución registrada.",
    "usuario": "Usuario creado: comparte con él su correo y su contraseña inicial.",
    "rol": "Rol actualizado.",
    "inactivado": "Usuario desactivado: sus sesiones se cerraron.",
    "activado": "Usuario activado.",
}


def _render(
    request: Request,
    ctx: WebContext,
    *,
    resolution_values: dict[str, str] | None = None,
    resolution_errors: FormErrors | None = None,
    user_values: dict[str, str] | None = None,
    user_errors: FormErrors | None = None,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = bogota_today()
    return page(
        request,
        ctx,
        "configuracion/index.html",
        nav="configuracion",
        resolutions=[resolution_info(r, today) for r in numbering.list_resolutions(ctx.session)],
        users=users.list_users(ctx.session),
        roles=list(Role),
        resolution_values=resolution_values or {},
        resolution_errors=resolution_errors or FormErrors(),
        user_values=user_values or {"rol": Role.OPERADOR.value},
        user_errors=user_errors or FormErrors(),
        notice=notice,
        problem=problem,
        status_code=status_code,
    )


def _require_admin(ctx: WebContext) -> None:
    ctx.require(USERS, "manage")


@router.get("/app/configuracion")
def settings_page(request: Request, ctx: Web, aviso: str = "") -> HTMLResponse:
    _require_admin(ctx)
    return _render(request, ctx, notice=NOTICES.get(aviso))


@router.post("/app/configuracion/resoluciones")
def create_resolution(request: Request, ctx: Web) -> Response:
    ctx.require(RESOLUTIONS, "manage")
    values = {name: ctx.field(name) for name in RESOLUTION_FIELDS.values()}
    body: dict[str, Any] = {api: values[form] or None for api, form in RESOLUTION_FIELDS.items()}
    try:
        data = validate(ResolutionCreate, body, RESOLUTION_FIELDS)
        attempt(ctx.session, RESOLUTION_FIELDS, lambda: numbering.create_resolution(ctx.session, ctx.principal, data))
    except FormInvalid as exc:
        return _render(request, ctx, resolution_values=values, resolution_errors=exc.errors, status_code=422)
    return RedirectResponse("/app/configuracion?aviso=resolucion", status_code=303)


@router.post("/app/configuracion/usuarios")
def invite_user(request: Request, ctx: Web) -> Response:
    _require_admin(ctx)
    values = {name: ctx.field(name) for name in USER_FIELDS.values() if name != "estado"}
    body = {
        "email": values["correo"],
        "name": values["nombre"],
        "password": values["contrasena"],
        "role": values["rol"],
    }
    try:
        data = validate(UserCreate, body, USER_FIELDS)
        attempt(ctx.session, USER_FIELDS, lambda: users.create_user(ctx.session, data))
    except FormInvalid as exc:
        values["contrasena"] = ""
        return _render(request, ctx, user_values=values, user_errors=exc.errors, status_code=422)
    return RedirectResponse("/app/configuracion?aviso=usuario", status_code=303)


@router.post("/app/configuracion/usuarios/{user_id}")
def change_user(request: Request, ctx: Web, user_id: str) -> Response:
    user = users.get_user(ctx.session, user_id)
    _require_admin(ctx)
    role, status = ctx.field("rol"), ctx.field("estado")
    change: dict[str, Any] = {}
    if role in Role.__members__:
        change["role"] = role
    if status in UserStatus.__members__:
        change["status"] = status
    try:
        data = validate(UserUpdate, change, USER_FIELDS)
        attempt(ctx.session, USER_FIELDS, lambda: users.update_user(ctx.session, user, data))
    except FormInvalid as exc:
        return _render(request, ctx, problem=exc.errors.general or "No se pudo cambiar el usuario.", status_code=409)
    if user.status is UserStatus.INACTIVE:
        # token_version already ends them; deleting the rows frees the table at once.
        sessions.end_sessions_of(ctx.session, user.id)
        notice = "inactivado"
    else:
        notice = "activado" if "status" in change and "role" not in change else "rol"
    return RedirectResponse(f"/app/configuracion?aviso={notice}", status_code=303)
