"""The FastAPI application: one router per capability over one small core."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

import nitida.handlers  # noqa: F401 - every job kind known, so enqueueing can check it
import nitida.migrations.models  # noqa: F401 - every model mapped (tenants too) in a fresh worker process
from nitida.auth.router import router as auth_router
from nitida.auth.security_events_router import router as security_events_router
from nitida.auth.users_router import router as users_router
from nitida.core.client import ClientResolver
from nitida.core.cpu_pool import CpuPool
from nitida.core.db import Database
from nitida.core.errors import PROBLEM_JSON, Problem
from nitida.core.host_slots import HostSlots, default_directory
from nitida.core.middleware import AllowedHostsMiddleware, RequestContextMiddleware, SecurityHeadersMiddleware
from nitida.core.problems import install_error_handlers
from nitida.core.replica import ReadAfterWriteMiddleware
from nitida.core.settings import Settings, get_settings
from nitida.customers import importing
from nitida.customers.router import router as customers_router
from nitida.delivery.router import router as delivery_router
from nitida.einvoicing.router import router as einvoicing_router
from nitida.flows.router import resolutions_router as flows_resolutions_router
from nitida.flows.router import router as flows_router
from nitida.flows.router import users_router as user_invitations_router
from nitida.invoices.router import resolutions_router
from nitida.invoices.router import router as invoices_router
from nitida.jobs.router import router as jobs_router
from nitida.jobs.service import QueuePolicy
from nitida.jobs.worker import Worker
from nitida.reports.router import router as reports_router
from nitida.web.mount import install_web

DESCRIPTION = """
Billing API of **La Oficina Nítida** for Colombian businesses.

Log in with `POST /auth/login`, then send `Authorization: Bearer <accessToken>`.
Every error is an RFC 9457 problem (`application/problem+json`).
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(
        settings.database_url,
        secret_key=settings.secret_key,
        pool_size=settings.db_pool_size,
        replica_url=settings.database_replica_url,
        replica_max_lag_seconds=settings.replica_max_lag_seconds,
    )

    password_checks = CpuPool(
        settings.login_concurrency,
        settings.login_queue_seconds,
        # Shared by every worker process serving this database on this host.
        host_slots=HostSlots(default_directory(settings.database_url), settings.login_host_concurrency),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if settings.runs_inprocess_worker:
            # SQLite's one-command demo: the jobs run in a thread of the server.
            worker = Worker(
                db,
                policy=QueuePolicy.from_settings(settings),
                poll_seconds=settings.job_poll_seconds,
                settings=settings,
            )
            worker.start_thread()
        yield
        if worker is not None:
            worker.stop()
        # (The password-check pool is kept: its idle threads cost nothing, and
        # an app may be started again, as tests do.)
        if database is None:
            db.dispose()

    app = FastAPI(
        title="La Oficina Nítida — Billing API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # No redirect built from the request: "/auth/login/" is a 404, not a
        # 307 to whatever host the Host header named.
        redirect_slashes=False,
        # The docs page is served from a package (below), never from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.settings = settings
    app.state.db = db
    # Logins check passwords (argon2) on threads of their own, never on the
    # pool every other endpoint runs on (auth.router).
    app.state.password_checks = password_checks
    app.state.clients = ClientResolver(settings.trusted_proxy_header, settings.trusted_proxy_list)
    install_error_handlers(app)
    # Outermost last: every answer, a refused host's included, carries the headers.
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        path_limits={"/billing/customers/import": importing.MAX_BYTES},
    )
    if db.replica_engine is not None:
        # The caller's write position rides on the answer (core.replica): read-your-writes without server state.
        app.add_middleware(ReadAfterWriteMiddleware, max_age_seconds=int(db.replica_max_lag_seconds) + 60)
    app.add_middleware(AllowedHostsMiddleware, allowed_hosts=settings.allowed_host_list)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.docs:
        _serve_docs(app)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(user_invitations_router)
    app.include_router(customers_router)
    app.include_router(resolutions_router)
    app.include_router(invoices_router)
    app.include_router(einvoicing_router)
    app.include_router(flows_router)
    app.include_router(flows_resolutions_router)
    app.include_router(delivery_router)
    app.include_router(jobs_router)
    app.include_router(reports_router)
    app.include_router(security_events_router)
    # The back office in the browser, under /app (after the API's middleware: its own is outermost).
    install_web(app)
    _register_problem_schema(app)
    return app


def _serve_docs(app: FastAPI) -> None:
    """The OpenAPI page at /docs with Swagger UI's assets from the swagger-ui-py
    package (works without internet; NITIDA_DOCS=false turns it off)."""
    from pathlib import Path

    import swagger_ui
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    static = Path(swagger_ui.__file__).parent / "static"
    app.mount("/docs/assets", StaticFiles(directory=static), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )


def _register_problem_schema(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth about errors.

    Invalid input is answered 400 with a Problem (see core.errors), never
    FastAPI's default 422, so the 422 entries FastAPI adds are replaced.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in problem.pop("$defs", {}).items():
            components.setdefault(name, sub)
        components["Problem"] = problem
        bad_request = {
            "description": "Invalid input",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", bad_request)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents this override


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
# fpdf2 subsets the invoice fonts through fontTools, which narrates every table it prunes at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)
