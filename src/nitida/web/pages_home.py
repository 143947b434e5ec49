"""Inicio (the dashboard) and Cartera (receivables by customer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nitida.core.clock import bogota_today
from nitida.invoices import service as invoices
from nitida.web import pages_delivery, queries
from nitida.web.deps import Web
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)
RECENT = 8  # the latest invoices and drafts on Inicio


@router.get("/app")
def home(request: Request, ctx: Web) -> HTMLResponse:
    today = bogota_today()
    return page(
        request,
        ctx,
        "inicio.html",
        nav="inicio",
        today=today,
        board=queries.dashboard(ctx.session, today),
        simulated=pages_delivery.is_simulated(ctx),
        recent=invoices.list_invoices(
            ctx.session,
            customer_id=None,
            status=None,
            issued_from=None,
            issued_to=None,
            search=None,
            limit=RECENT,
            offset=0,
        )[1],
    )


@router.get("/app/cartera")
def receivables(request: Request, ctx: Web) -> HTMLResponse:
    today = bogota_today()
    report = queries.balances(ctx.session, today)
    return page(request, ctx, "cartera.html", nav="cartera", today=today, report=report)
