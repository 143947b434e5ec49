"""Mounting the back office into the application: pages under /app, ``/`` -> ``/app``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from nitida.core.errors import NotFound
from nitida.web import pages_auth, pages_customers, pages_delivery, pages_home, pages_invoices, pages_settings
from nitida.web.deps import LoginRequired, login_url
from nitida.web.middleware import WebPagesMiddleware

log = logging.getLogger("nitida.web")

STATIC = Path(__file__).resolve().parent / "static"
# Front-end packages come from the npm registry at set-up (scripts/setup.sh: npm ci
# at the repository root); nothing of them is committed. Only these files are served.
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "pico.min.css": "@picocss/pico/css/pico.min.css",
}


def vendor_dir() -> Path:
    configured = os.environ.get("NITIDA_WEB_VENDOR_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "node_modules"


def install_web(app: FastAPI) -> None:
    """Call after the API's middleware is added, so the pages' middleware is the outermost."""
    vendor = vendor_dir()
    missing = [name for name, rel in VENDOR_FILES.items() if not (vendor / rel).is_file()]
    if missing:
        log.warning("back office: %s missing under %s (run ./scripts/setup.sh)", ", ".join(missing), vendor)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app", status_code=307)

    @app.get("/app/static/vendor/{name}", include_in_schema=False)
    def vendor_file(name: str) -> Response:
        rel = VENDOR_FILES.get(name)
        if rel is None or not (vendor / rel).is_file():
            raise NotFound("No such file.")
        return FileResponse(vendor / rel, headers={"Cache-Control": "public, max-age=3600"})

    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
    for module in (pages_auth, pages_home, pages_customers, pages_invoices, pages_delivery, pages_settings):
        app.include_router(module.router)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = login_url(exc.next_path)
        if request.headers.get("HX-Request") == "true":
            # htmx would swap a redirect's page into the fragment: tell it to navigate.
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_middleware(WebPagesMiddleware)
