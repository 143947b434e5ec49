"""Inicio (the dashboard) and Cartera (receivables by customer)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from nitida.core import spreadsheets
from nitida.core.clock import bogota_today
from nitida.core.errors import BadRequest
from nitida.invoices import service as invoices
from nitida.reports import statements
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


def _cut_off(corte: str) -> tuple[date, str | None]:
    """The cut-off date asked for (today in Bogotá by default) and, when it is not a date, the error to show."""
    today = bogota_today()
    if not corte.strip():
        return today, None
    try:
        return date.fromisoformat(corte.strip()), None
    except ValueError:
        return today, "No es una fecha válida (dd/mm/aaaa): se muestra la cartera de hoy."


@router.get("/app/cartera")
def receivables(request: Request, ctx: Web, corte: str = "") -> HTMLResponse:
    as_of, error = _cut_off(corte)
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        report = queries.balances(session, as_of)
    return page(
        request,
        ctx,
        "cartera.html",
        nav="cartera",
        today=as_of,
        report=report,
        corte=as_of.isoformat(),
        # Today, a customer's row opens its invoices with a balance; at a past cut-off, those issued by then.
        is_today=as_of == bogota_today(),
        error=error,
        status_code=422 if error else 200,
    )


@router.get("/app/cartera/exportar")
def export_receivables(ctx: Web, corte: str = "", formato: str = "xlsx") -> Response:
    """The ageing at the cut-off date as Excel or CSV: the API's file (reports.statements.aging_table)."""
    as_of, error = _cut_off(corte)
    if error or formato not in (spreadsheets.XLSX, spreadsheets.CSV):
        raise BadRequest("The cut-off date or the format is not valid.")
    with ctx.listing() as session:
        report = queries.balances(session, as_of)
        # Built while the session is open: the file is written from these rows, already read.
        table = statements.aging_table(report)
    body, media, headers = spreadsheets.file_response_parts(table, formato, statements.aging_file_name(report))
    return StreamingResponse(body, media_type=media, headers=headers)
