"""Inicio (the dashboard) and Cartera (receivables by customer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nitida.core.clock import bogota_today
from nitida.web import pages_delivery, queries
from nitida.web.deps import Web
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)


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
    )


@router.get("/app/cartera")
def receivables(request: Request, ctx: Web) -> HTMLResponse:
    today = bogota_today()
    report = queries.balances(ctx.session, today)
    return page(request, ctx, "cartera.html", nav="cartera", today=today, report=report)
