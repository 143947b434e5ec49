"""Importar clientes: a CSV or XLSX file, its dry run (each new customer named, each change shown field by
field with its old and new value), then, confirmed, the same import applied (customers.import_apply: one code
path with the API's POST /billing/customers/import)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nitida.core.errors import AppError
from nitida.customers import import_apply, importing
from nitida.customers.access import CUSTOMERS
from nitida.web import labels, messages
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormInvalid, attempt
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)

# A page import holds the file in its confirmation form (no file kept on the server between the dry run and the
# confirmation): up to 512 KB and the rows a request imports itself; bigger files go through the API's job.
MAX_BYTES = 512 * 1024
MAX_ROWS = importing.JOB_THRESHOLD
MODES = {
    import_apply.ImportMode.CREATE.value: "Solo clientes nuevos (un número ya registrado es un error)",
    import_apply.ImportMode.UPSERT.value: "Crear los nuevos y actualizar los ya registrados (por su número)",
}

# The import's own row messages, in Spanish (the others go through web.messages).
_ROW_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^number (\S+) is already registered: (.*) \(id [^)]*\)"),
        "El número {0} ya está registrado: {1}. Elige «Crear los nuevos y actualizar los ya registrados» para "
        "actualizarlo.",
    ),
    (re.compile(r"^number (\S+) is also on row (\d+) of this file"), "El número {0} también está en la fila {1}."),
    (re.compile(r"is not a DIAN document type code"), "No es un código de tipo de documento de la DIAN."),
    (re.compile(r"^Input should be 'ACTIVE' or 'INACTIVE'"), "Debe ser Activo o Inactivo."),
    (re.compile(r"^Input should be"), "No es un valor de la lista."),
]
_FILE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"the header row has no column (.*); found"),
        "La primera fila debe nombrar las columnas y le falta: {0}.",
    ),
    (re.compile(r"the columns '(.*)' and '(.*)' are both"), "Las columnas «{0}» y «{1}» son la misma."),
    (re.compile(r"^is empty"), "El archivo está vacío."),
    (re.compile(r"not a readable XLSX"), "El archivo no es un libro de Excel (XLSX) legible."),
    (re.compile(r"byte order mark"), "El archivo dice ser UTF-8 pero no lo es: guárdalo de nuevo como CSV UTF-8."),
]


def _spanish(message: str, table: list[tuple[re.Pattern[str], str]], default: str) -> str:
    for pattern, template in table:
        found = pattern.search(message)
        if found:
            return (
                template.format(*found.groups())
                .replace("Razón social (razonSocial)", "Razón social")
                .replace("Número de documento (nit)", "Número de documento")
            )
    return default


def row_message(message: str) -> str:
    spanish = messages.spanish(message)
    return _spanish(message, _ROW_MESSAGES, spanish)


def file_message(exc: AppError) -> str:
    if isinstance(exc, importing.FileTooLarge):
        return "El archivo es demasiado grande para importarlo desde la página."
    text = " ".join(e.message for e in exc.errors or []) or exc.detail
    return _spanish(text, _FILE_MESSAGES, "No pudimos leer el archivo: envía un CSV o un XLSX con su fila de títulos.")


def _change_rows(update: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            labels.FIELD.get(c["field"], "DV" if c["field"] == "dv" else c["field"]),
            labels.change_value(c["field"], c["old"]),
            labels.change_value(c["field"], c["new"]),
        )
        for c in update["changes"]
    ]


def _render(
    request: Request,
    ctx: WebContext,
    *,
    report: dict[str, Any] | None = None,
    error: str | None = None,
    mode: str = import_apply.ImportMode.CREATE.value,
    file_name: str = "",
    encoded: str = "",
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    invalid = [
        (e["row"], labels.FIELD.get(e["field"], e["field"]), row_message(e["message"]))
        for e in (report or {}).get("invalidRows", [])
    ]
    updates = [(u, _change_rows(u)) for u in (report or {}).get("updates", [])]
    return page(
        request,
        ctx,
        "clientes/importar.html",
        nav="clientes",
        report=report,
        invalid=invalid,
        updates=updates,
        error=error,
        mode=mode,
        modes=MODES,
        file_name=file_name,
        encoded=encoded,
        notice=notice,
        status_code=status_code,
    )


@router.get("/app/clientes/importar")
def import_form(request: Request, ctx: Web, creados: str = "", modificados: str = "") -> HTMLResponse:
    ctx.require(CUSTOMERS, "import")
    notice = None
    if creados.isdigit() and modificados.isdigit():
        notice = f"Importación aplicada: {_count(int(creados), 'cliente creado', 'clientes creados')} y " + _count(
            int(modificados), "cliente modificado", "clientes modificados"
        )
    return _render(request, ctx, notice=notice)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,}".replace(",", ".") + " " + (one if n == 1 else many)


def _mode(ctx: WebContext) -> import_apply.ImportMode:
    value = ctx.field("modo")
    return import_apply.ImportMode(value) if value in MODES else import_apply.ImportMode.CREATE


def _dry_run(ctx: WebContext, data: bytes, mode: import_apply.ImportMode) -> dict[str, Any]:
    if len(data) > MAX_BYTES:
        raise importing.FileTooLarge("too large for a page")
    if importing.count_rows(data) > MAX_ROWS:
        raise importing.FileTooLarge("too many rows for a page")
    return import_apply.run_import(ctx.session, ctx.principal, data, mode=mode, dry_run=True)


@router.post("/app/clientes/importar")
async def check_file(request: Request, ctx: Web) -> HTMLResponse:
    """The dry run: nothing changes; the report and, when the file is valid, the confirmation."""
    ctx.require(CUSTOMERS, "import")
    mode = _mode(ctx)
    upload = ctx.form.get("archivo")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _render(request, ctx, error="Elige un archivo CSV o XLSX.", mode=mode.value, status_code=422)
    data = await upload.read(MAX_BYTES + 1)
    try:
        report = _dry_run(ctx, data, mode)
    except importing.FileTooLarge:
        error = (
            "El archivo es demasiado grande para importarlo desde la página (hasta 512 KB y "
            f"{_count(MAX_ROWS, 'fila', 'filas')}): divídelo en varios archivos."
        )
        return _render(request, ctx, error=error, mode=mode.value, status_code=422)
    except AppError as exc:
        return _render(request, ctx, error=file_message(exc), mode=mode.value, status_code=422)
    return _render(
        request,
        ctx,
        report=report,
        mode=mode.value,
        file_name=upload.filename,
        encoded=base64.b64encode(data).decode("ascii"),
    )


@router.post("/app/clientes/importar/aplicar")
def apply_file(request: Request, ctx: Web) -> Response:
    """The confirmed import, all or nothing; should the file have become invalid meanwhile (a number registered
    since the dry run), its new report, nothing changed."""
    ctx.require(CUSTOMERS, "import")
    mode = _mode(ctx)
    file_name = ctx.field("nombre")[:200]
    try:
        data = base64.b64decode(ctx.field("archivo"), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        return _render(request, ctx, error="Vuelve a elegir el archivo.", mode=mode.value, status_code=422)
    try:
        report = _dry_run(ctx, data, mode)
    except AppError as exc:
        return _render(request, ctx, error=file_message(exc), mode=mode.value, status_code=422)
    if report["invalid"]:
        error = "El archivo ya no se puede importar tal cual: revisa las filas con errores."
        return _render(request, ctx, report=report, mode=mode.value, file_name=file_name, error=error, status_code=409)
    try:
        attempt(
            ctx.session,
            {},
            lambda: import_apply.run_import(ctx.session, ctx.principal, data, mode=mode, dry_run=False),
        )
    except FormInvalid as exc:
        error = "Otro usuario registró uno de estos números mientras tanto: no se importó nada. Inténtalo de nuevo."
        return _render(request, ctx, error=error, mode=mode.value, status_code=exc.status)
    return RedirectResponse(
        f"/app/clientes/importar?creados={report['new']}&modificados={report['toUpdate']}", status_code=303
    )
