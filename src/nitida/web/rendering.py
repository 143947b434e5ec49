"""Jinja2 templates, with the es-CO filters and the role checks the pages use to hide buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from nitida.customers.access import CUSTOMERS
from nitida.einvoicing.access import ELECTRONIC_INVOICING, ISSUER, NOTES
from nitida.invoices import business
from nitida.invoices.access import INVOICES, RESOLUTIONS
from nitida.users.access import USERS
from nitida.web import formatting, labels

TEMPLATES = Path(__file__).resolve().parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt name fails the page test, not silently blank
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    money=formatting.money,
    amount=formatting.amount,
    day=formatting.day,
    moment=formatting.moment,
    quantity=formatting.quantity,
    percent=formatting.percent,
    decimal_input=formatting.decimal_input,
    document=formatting.document,
)


def plural(count: int, one: str, many: str) -> str:
    """ "1 factura", "2 facturas", "0 facturas"."""
    return f"{count} {one if count == 1 else many}"


env.globals.update(
    plural=plural,
    CUSTOMERS=CUSTOMERS,
    INVOICES=INVOICES,
    NOTES=NOTES,
    ISSUER=ISSUER,
    ELECTRONIC_INVOICING=ELECTRONIC_INVOICING,
    RESOLUTIONS=RESOLUTIONS,
    USERS=USERS,
    labels=labels,
)


def render_text(name: str, **context: Any) -> str:
    return env.get_template(name).render(**{"ctx": None, "nav": "", "logo_version": None, **context})


def page(request: Request, ctx: Any, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page (or, for htmx, a fragment template) for the signed-in user ``ctx``; its header shows the
    business's logo when it has one."""
    if ctx is not None and "logo_version" not in context:
        context["logo_version"] = business.logo_version(ctx.session)
    html = render_text(name, request=request, ctx=ctx, **context)
    return HTMLResponse(html, status_code=status_code)


def is_htmx(request: Request, target: str | None = None) -> bool:
    """An htmx request (aimed at ``target``: htmx 2 sends "id", htmx 4 "tag#id")."""
    if request.headers.get("HX-Request") != "true":
        return False
    if target is None:
        return True
    return request.headers.get("HX-Target", "").rpartition("#")[2] == target
