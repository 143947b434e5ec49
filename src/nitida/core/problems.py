"""Every failure as an RFC 9457 problem response: the web layer of core.errors.

Handlers turn every failure — ours, FastAPI's validation, Starlette's routing,
the database's — into ``application/problem+json``. No stack trace, SQL or
driver message ever reaches a client.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from nitida.core.errors import PROBLEM_BASE, PROBLEM_JSON, AppError, FieldError, Problem
from nitida.core.request_context import current_request_id

log = logging.getLogger("nitida")


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    request_id = current_request_id()
    if request_id:
        body["requestId"] = request_id
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "lines", 0, "quantity") -> "lines[0].quantity"; ("query", "limit") -> "limit"
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += ("." if name else "") + str(part)
    return name or "body"


def _validation_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "Unknown field."
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if kind == "missing":
        return "This field is required."
    msg = str(err.get("msg", "Invalid value."))
    # Pydantic prefixes messages raised by our own validators.
    return msg.removeprefix("Value error, ")


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        FieldError(field=_field_name(tuple(e.get("loc", ()))), message=_validation_message(e)) for e in exc.errors()
    ]
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem_response(400, f"Invalid input. {summary}", slug="validation-error", errors=errors)


async def _on_app_error(_request: Request, exc: AppError) -> JSONResponse:
    return problem_response(exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers)


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = "Not found."
    return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


# SQLSTATE classes worth a retry: connection exceptions, operator intervention
# (shutdown), insufficient resources, transaction rollback (deadlock, serialization).
_RETRYABLE_SQLSTATES = ("08", "57P", "53", "40")


def _is_unavailable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    # No SQLSTATE: the server never answered (refused, reset), or SQLite is busy.
    return sqlstate is None or sqlstate.startswith(_RETRYABLE_SQLSTATES)


def _unavailable() -> JSONResponse:
    return problem_response(
        503,
        "The database is unavailable. Please retry in a few seconds.",
        slug="service-unavailable",
        headers={"Retry-After": "5"},
    )


async def _on_database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    if _is_unavailable(exc):
        log.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return _unavailable()
    if isinstance(exc, DataError):
        # A value the database cannot hold that validation let through; never
        # the driver's words, which may quote other data.
        log.warning("data error request_id=%s: %s", current_request_id(), type(exc.orig).__name__)
        return problem_response(400, "A value is out of range or too long for its field.", slug="invalid-request")
    return await _on_unexpected_error(request, exc)


async def _on_pool_timeout(_request: Request, _exc: PoolTimeout) -> JSONResponse:
    log.error("database connection pool exhausted request_id=%s", current_request_id())
    return _unavailable()


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error request_id=%s %s %s",
        current_request_id(),
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return internal_error_response()


def internal_error_response() -> JSONResponse:
    return problem_response(
        500,
        "An unexpected error occurred. Quote the request id when reporting it.",
        slug="internal-error",
    )


def install_error_handlers(app: FastAPI) -> None:
    # Starlette types every handler as taking Exception; each of ours takes the class it is registered for.
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(AppError, _on_app_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _on_database_error)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)  # type: ignore[arg-type]
    # Anything else is caught by RequestContextMiddleware, which still knows
    # the request id (Starlette's own 500 handler runs outside of it).


# Documented on every operation so the OpenAPI document tells the truth about errors.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
