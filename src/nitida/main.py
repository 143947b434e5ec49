"""The FastAPI application: one router per capability over one small core."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import nitida.handlers  # noqa: F401 - every job kind known, so enqueueing can check it
import nitida.migrations.models  # noqa: F401 - every model mapped (tenants too) in a fresh worker process
from nitida.auth.router import router as auth_router
from nitida.core.db import Database
from nitida.core.errors import PROBLEM_JSON, Problem
from nitida.core.middleware import RequestContextMiddleware
from nitida.core.problems import install_error_handlers
from nitida.core.settings import Settings, get_settings
from nitida.customers.router import router as customers_router
from nitida.delivery.router import router as delivery_router
from nitida.einvoicing.router import router as einvoicing_router
from nitida.invoices.router import resolutions_router
from nitida.invoices.router import router as invoices_router
from nitida.jobs.router import router as jobs_router
from nitida.jobs.service import QueuePolicy
from nitida.jobs.worker import Worker
from nitida.users.router import router as users_router
from nitida.web.mount import install_web

DESCRIPTION = """
Billing API of **La Oficina Nítida** for Colombian businesses.

Log in with `POST /auth/login`, then send `Authorization: Bearer <accessToken>`.
Every error is an RFC 9457 problem (`application/problem+json`).
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = database or Database(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        worker = None
        if settings.inprocess_worker:
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
        if database is None:
            db.dispose()

    app = FastAPI(
        title="La Oficina Nítida — Billing API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(customers_router)
    app.include_router(resolutions_router)
    app.include_router(invoices_router)
    app.include_router(einvoicing_router)
    app.include_router(delivery_router)
    app.include_router(jobs_router)
    # The back office in the browser, under /app (after the API's middleware: its own is outermost).
    install_web(app)
    _register_problem_schema(app)
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth about errors.

    Invalid input is answered 400 with a Problem (see core.errors), never
    FastAPI's default 422, so the 422 entries FastAPI adds are replaced.
    """
    original = app.openapi

    def openapi():
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
