"""Configuración (ADMIN): the business's fiscal data (issuer), the electronic-invoicing
settings (software, PIN, certificate), numbering resolutions and users — each through
the same service as its API endpoint."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nitida import flows
from nitida.auth.dependencies import client_info
from nitida.core import bounds, passwords
from nitida.core.clock import bogota_today
from nitida.delivery import accounts
from nitida.einvoicing import configuration
from nitida.einvoicing.access import ELECTRONIC_INVOICING, ISSUER
from nitida.einvoicing.schemas import ElectronicInvoicingWrite, IssuerWrite
from nitida.invoices import numbering
from nitida.invoices.access import RESOLUTIONS
from nitida.invoices.schemas import ResolutionCreate
from nitida.security_events import service as events
from nitida.users import links
from nitida.users import service as users
from nitida.users.access import USERS
from nitida.users.models import Role, UserStatus
from nitida.users.schemas import UserCreate, UserUpdate
from nitida.vocabulary import fiscal
from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise
from nitida.vocabulary.kinds import Environment, PersonType
from nitida.web import fiscal_form, formatting, messages, sessions
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
    "environment": "ambiente_resolucion",
}
ISSUER_FIELDS = {
    "razonSocial": "emisor_razon_social",
    "nombreComercial": "emisor_nombre_comercial",
    "nit": "emisor_nit",
    "tipoPersona": "tipo_persona",
    "responsabilidadesFiscales": "responsabilidades",
    "tributo": "tributo",
    "actividadEconomica": "actividad_economica",
    "direccion": "emisor_direccion",
    "municipioCodigo": "municipio",
    "codigoPostal": "codigo_postal",
    "email": "emisor_correo",
    "telefono": "emisor_telefono",
}
SETTINGS_FIELDS = {
    "environment": "ambiente",
    "softwareId": "software_id",
    "softwarePin": "software_pin",
    "testSetId": "test_set_id",
    "certificateP12": "certificado",
    "certificatePassword": "certificado_clave",
    "creditNotePrefix": "prefijo_nc",
    "debitNotePrefix": "prefijo_nd",
}
SECRET_FIELDS = ("software_pin", "certificado", "certificado_clave")
USER_FIELDS = {"email": "correo", "name": "nombre", "password": "contrasena", "role": "rol", "status": "estado"}
NOTICES = {
    "resolucion": "Resolución registrada.",
    "usuario": "Usuario creado: comparte con él su correo y su contraseña inicial.",
    "invitado": (
        f"Invitación enviada: el usuario recibe un correo con un enlace para elegir su contraseña "
        f"(sirve una vez y vence en {links.INVITATION_DAYS} días)."
    ),
    "rol": "Rol actualizado.",
    "inactivado": "Usuario desactivado: sus sesiones se cerraron.",
    "activado": "Usuario activado.",
    "emisor": "Datos fiscales guardados.",
    "facturacion": "Facturación electrónica configurada: las facturas que emitas desde ahora se firman.",
}


def _render(
    request: Request,
    ctx: WebContext,
    *,
    resolution_values: dict[str, str] | None = None,
    resolution_errors: FormErrors | None = None,
    user_values: dict[str, str] | None = None,
    user_errors: FormErrors | None = None,
    issuer_values: dict[str, Any] | None = None,
    issuer_errors: FormErrors | None = None,
    settings_values: dict[str, str] | None = None,
    settings_errors: FormErrors | None = None,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = bogota_today()
    row = configuration.find_settings(ctx.session)
    user_rows = users.list_users(ctx.session)
    active_admins = [u.id for u in user_rows if u.role is Role.ADMIN and u.status is UserStatus.ACTIVE]
    settings = configuration.settings_read(row) if row else None
    return page(
        request,
        ctx,
        "configuracion/index.html",
        nav="configuracion",
        resolutions=[resolution_info(r, today) for r in numbering.list_resolutions(ctx.session)],
        users=user_rows,
        # The last active ADMIN is neither demoted nor deactivated (users.service refuses it): not offered.
        sole_admin_id=active_admins[0] if len(active_admins) == 1 else None,
        password_rule=messages.PASSWORD_RULE,
        password_lengths=(passwords.MIN_LENGTH, passwords.MAX_LENGTH),
        can_mail=accounts.can_mail(ctx.session, request.app.state.settings),
        roles=list(Role),
        resolution_values=resolution_values
        or {"ambiente_resolucion": (row.environment if row else Environment.HABILITACION).value},
        resolution_errors=resolution_errors or FormErrors(),
        user_values=user_values or {"rol": Role.OPERADOR.value},
        user_errors=user_errors or FormErrors(),
        issuer_values=issuer_values or _issuer_values(ctx),
        issuer_errors=issuer_errors or FormErrors(),
        settings=settings,
        settings_values=settings_values or _settings_values(settings),
        settings_errors=settings_errors or FormErrors(),
        personas=list(PersonType),
        environments=list(Environment),
        responsabilidades=fiscal_form.responsabilidades_options(),
        tributos=fiscal_form.tributo_options(),
        notice=notice,
        problem=problem,
        status_code=status_code,
    )


def _issuer_values(ctx: WebContext) -> dict[str, Any]:
    issuer = configuration.find_issuer(ctx.session)
    if issuer is None:
        return {name: "" for name in ISSUER_FIELDS.values()} | {
            "tributo": fiscal.DEFAULT_TRIBUTO,
            "responsabilidades": fiscal.default_responsabilidades(),
        }
    read = configuration.issuer_read(issuer)
    return {
        "emisor_razon_social": read.razon_social,
        "emisor_nombre_comercial": read.nombre_comercial or "",
        "emisor_nit": formatting.document(read.nit, read.dv),
        "tipo_persona": read.tipo_persona.value,
        "responsabilidades": read.responsabilidades_fiscales,
        "tributo": read.tributo,
        "actividad_economica": ", ".join(read.actividad_economica),
        "emisor_direccion": read.direccion,
        "municipio": fiscal_form.municipio_text(read.municipio_codigo),
        "codigo_postal": read.codigo_postal or "",
        "emisor_correo": read.email or "",
        "emisor_telefono": read.telefono or "",
    }


def _settings_values(settings: Any) -> dict[str, str]:
    if settings is None:
        return {"ambiente": Environment.HABILITACION.value, "software_id": "", "test_set_id": ""} | {
            "prefijo_nc": "NC",
            "prefijo_nd": "ND",
        }
    return {
        "ambiente": settings.environment.value,
        "software_id": settings.software_id,
        "test_set_id": settings.test_set_id or "",
        "prefijo_nc": settings.credit_note_prefix,
        "prefijo_nd": settings.debit_note_prefix,
    }


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
        attempt(ctx.session, RESOLUTION_FIELDS, lambda: flows.register_resolution(ctx.session, ctx.principal, data))
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
        # Empty: the user is invited to choose their own (an e-mail with a one-time link).
        "password": values["contrasena"] or None,
        "role": values["rol"],
    }
    settings = request.app.state.settings
    try:
        data = validate(UserCreate, body, USER_FIELDS)
        attempt(
            ctx.session,
            USER_FIELDS,
            lambda: flows.invite_user(
                ctx.session, settings, ctx.principal, data, base_url=str(request.base_url), client=client_info(request)
            ),
        )
    except FormInvalid as exc:
        values["contrasena"] = ""
        errors = FormErrors(messages.password_errors(exc.errors.fields, "contrasena"), exc.errors.general)
        return _render(request, ctx, user_values=values, user_errors=errors, status_code=422)
    notice = "usuario" if data.password is not None else "invitado"
    return RedirectResponse(f"/app/configuracion?aviso={notice}#usuarios", status_code=303)


@router.post("/app/configuracion/usuarios/{user_id}/invitacion")
def resend_invitation(request: Request, ctx: Web, user_id: str) -> Response:
    user = users.get_user(ctx.session, user_id)
    _require_admin(ctx)
    settings = request.app.state.settings
    try:
        attempt(
            ctx.session,
            USER_FIELDS,
            lambda: accounts.send_invitation(
                ctx.session, settings, ctx.principal, user, base_url=str(request.base_url), client=client_info(request)
            ),
        )
    except FormInvalid as exc:
        problem = exc.errors.general or next(iter(exc.errors.fields.values()), "No se pudo enviar la invitación.")
        return _render(request, ctx, problem=problem, status_code=409)
    return RedirectResponse("/app/configuracion?aviso=invitado#usuarios", status_code=303)


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
    role_before, status_before = user.role, user.status
    try:
        data = validate(UserUpdate, change, USER_FIELDS)
        attempt(ctx.session, USER_FIELDS, lambda: users.update_user(ctx.session, user, data))
    except FormInvalid as exc:
        return _render(request, ctx, problem=exc.errors.general or "No se pudo cambiar el usuario.", status_code=409)
    # The same security events as the API's PATCH /users/{id}.
    events.record_user_changes(
        ctx.session,
        ctx.principal,
        client_info(request),
        user,
        role_before=role_before,
        status_before=status_before,
        password_changed=False,
    )
    if user.status is UserStatus.INACTIVE:
        # token_version already ends them; deleting the rows frees the table at once.
        sessions.end_sessions_of(ctx.session, user.id)
        notice = "inactivado"
    else:
        notice = "activado" if "status" in change and "role" not in change else "rol"
    return RedirectResponse(f"/app/configuracion?aviso={notice}", status_code=303)


@router.post("/app/configuracion/emisor")
def put_issuer(request: Request, ctx: Web) -> Response:
    ctx.require(ISSUER, "manage")
    values: dict[str, Any] = {name: ctx.field(name) for name in ISSUER_FIELDS.values()}
    values["responsabilidades"] = fiscal_form.checked(ctx.form, "responsabilidades")
    body: dict[str, Any] = {api: values[form] for api, form in ISSUER_FIELDS.items()}
    body["tipoPersona"] = values["tipo_persona"] or None
    body["responsabilidadesFiscales"] = values["responsabilidades"] or fiscal.default_responsabilidades()
    body["actividadEconomica"] = [c.strip() for c in values["actividad_economica"].split(",") if c.strip()]
    body["municipioCodigo"] = fiscal_form.municipio_code(values["municipio"]) or ""
    try:
        data = validate(IssuerWrite, body, ISSUER_FIELDS)
        attempt(ctx.session, ISSUER_FIELDS, lambda: configuration.put_issuer(ctx.session, ctx.principal, data))
    except FormInvalid as exc:
        if "emisor_nit" not in exc.errors.fields:
            # Checked by the service after the schema: say it now too, so every wrong field shows at once.
            try:
                normalise(TipoDocumento.NIT, values["emisor_nit"])
            except InvalidIdentity as error:
                exc.errors.fields["emisor_nit"] = messages.spanish(str(error))
        message = fiscal_form.municipio_error(values["municipio"])
        if message and "municipio" in exc.errors.fields:
            exc.errors.fields["municipio"] = message
        return _render(request, ctx, issuer_values=values, issuer_errors=exc.errors, status_code=422)
    return RedirectResponse("/app/configuracion?aviso=emisor#empresa", status_code=303)


def _uploaded_p12(ctx: WebContext) -> str | None:
    """The uploaded .p12 as the API takes it (base64); None when no file was chosen."""
    upload = ctx.form.get("certificado")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    raw = upload.file.read(bounds.CERTIFICATE_P12_BASE64 * 3 // 4 + 4)
    return base64.b64encode(raw).decode("ascii") if raw else None


@router.post("/app/configuracion/facturacion-electronica")
def put_electronic_invoicing(request: Request, ctx: Web) -> Response:
    ctx.require(ELECTRONIC_INVOICING, "configure")
    values = {name: ctx.field(name) for name in SETTINGS_FIELDS.values() if name not in SECRET_FIELDS}
    pin, password = ctx.field("software_pin"), ctx.field("certificado_clave")
    p12 = _uploaded_p12(ctx)
    body: dict[str, Any] = {
        "environment": values["ambiente"],
        "softwareId": values["software_id"],
        "testSetId": values["test_set_id"],
        "creditNotePrefix": values["prefijo_nc"] or "NC",
        "debitNotePrefix": values["prefijo_nd"] or "ND",
        # Blank secrets are kept as stored (the service requires them the first time).
        "softwarePin": pin or None,
        "certificateP12": p12,
        "certificatePassword": password if p12 is not None else None,
    }
    secret_key = request.app.state.settings.secret_key
    try:
        data = validate(ElectronicInvoicingWrite, body, SETTINGS_FIELDS)
        attempt(
            ctx.session,
            SETTINGS_FIELDS,
            lambda: configuration.put_settings(ctx.session, ctx.principal, data, secret_key=secret_key),
        )
    except FormInvalid as exc:
        return _render(request, ctx, settings_values=values, settings_errors=exc.errors, status_code=422)
    return RedirectResponse("/app/configuracion?aviso=facturacion#fe", status_code=303)
