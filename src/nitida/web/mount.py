"""Mounting the back office into the application: pages under /app, ``/`` -> ``/app``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from nitida.core.errors import NotFound
from nitida.web import (
    pages_accounts,
    pages_auth,
    pages_business,
    pages_corrections,
    pages_customer_import,
    pages_customer_statement,
    pages_customers,
    pages_delivery,
    pages_home,
    pages_invoices,
    pages_notes,
    pages_settings,
)
from nitida.web.deps import LoginRequired, login_url
from nitida.web.middleware import WebPagesMiddleware
from nitida.web.notices import NoticesMiddleware

log = logging.getLogger("nitida.web")

STATIC = Path(__file__).resolve().parent / "static"
# Front-end packages come from the npm registry (package-lock.json: pinned, integrity-checked;
# scripts/setup.sh runs npm ci at the repository root); nothing of them is committed. Only these
# files are served: name -> path under node_modules. Building the wheel (setup.py) copies them into
# the package, flat, under static/vendor/ (git-ignored), so an installed wheel carries them.
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "pico.min.css": "@picocss/pico/css/pico.min.css",
}
PACKAGED_VENDOR = STATIC / "vendor"
# The checkout's node_modules, for an editable install or a run from the source tree
# (src/nitida/web/mount.py -> the repository's root).
CHECKOUT_NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"


def vendor_paths() -> dict[str, Path]:
    """Where each vendor file is served from: the package's own copy (a wheel), else the checkout's
    node_modules, else NITIDA_WEB_VENDOR_DIR (laid out as node_modules) when set. Missing files are left out."""
    configured = os.environ.get("NITIDA_WEB_VENDOR_DIR")
    found: dict[str, Path] = {}
    for name, rel in VENDOR_FILES.items():
        candidates = [PACKAGED_VENDOR / name, CHECKOUT_NODE_MODULES / rel]
        if configured:
            candidates.append(Path(configured) / rel)
        path = next((c for c in candidates if c.is_file()), None)
        if path is not None:
            found[name] = path
    return found


def install_web(app: FastAPI) -> None:
    """Call after the API's middleware is added, so the pages' middleware is the outermost."""
    vendor = vendor_paths()
    missing = [name for name in VENDOR_FILES if name not in vendor]
    if missing:
        log.warning(
            "back office: %s found neither in the package (%s), nor in %s, nor in NITIDA_WEB_VENDOR_DIR"
            " (run ./scripts/setup.sh; build wheels after npm ci): its pages have no styles or scripts",
            ", ".join(missing),
            PACKAGED_VENDOR,
            CHECKOUT_NODE_MODULES,
        )

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app", status_code=307)

    @app.get("/app/static/vendor/{name}", include_in_schema=False)
    def vendor_file(name: str) -> Response:
        path = vendor.get(name)
        if path is None or not path.is_file():
            raise NotFound("No such file.")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
    # The customers' fixed paths (/app/clientes/importar) before the customer's page (/app/clientes/{id}).
    pages = (pages_customer_import, pages_customer_statement, pages_customers)
    for module in (
        pages_auth,
        pages_accounts,
        pages_home,
        *pages,
        pages_corrections,
        pages_invoices,
        pages_notes,
        pages_delivery,
        pages_settings,
        pages_business,
    ):
        app.include_router(module.router)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = login_url(exc.next_path)
        if request.headers.get("HX-Request") == "true":
            # htmx would swap a redirect's page into the fragment: tell it to navigate.
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_middleware(NoticesMiddleware)  # notices in a one-shot cookie, never in the address (web/notices.py)
    app.add_middleware(WebPagesMiddleware)
