"""Receivables reports. Each answers JSON, or CSV/XLSX with ``?format=`` or the Accept header."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import StreamingResponse
from pydantic.alias_generators import to_camel

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core import spreadsheets
from nitida.core.errors import BadRequest
from nitida.core.money import format_money
from nitida.core.problems import problem_responses
from nitida.customers import service as customers
from nitida.invoices.models import PaymentMethod
from nitida.reports import service, statements
from nitida.reports.access import REPORTS
from nitida.reports.schemas import AgingReportRead, PaymentListItem, StatementLineRead, StatementRead, SummaryRead
from nitida.vocabulary.identity import TipoDocumento

router = APIRouter(tags=["receivables"], route_class=UnitOfWorkRoute)

Reader = Annotated[TenantContext, guard(REPORTS["read"])]
ItemReader = Annotated[TenantContext, guard(REPORTS["read"], after_lookup=True)]

Format = Annotated[
    Literal["json", "csv", "xlsx"] | None,
    Query(alias="format", description="json (default), csv or xlsx; or send Accept: text/csv or the XLSX type"),
]
Accept = Annotated[str | None, Header(include_in_schema=False)]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": spreadsheets.file_content_doc(), "description": "The report (JSON, CSV or XLSX)"},
    **problem_responses(400, 401),
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _today() -> date:
    from nitida.core.clock import bogota_today

    return bogota_today()


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise BadRequest.field("from", f"must not be after to ({date_to.isoformat()})")


def _file(fmt: str, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    body, media, headers = spreadsheets.file_response_parts(spreadsheets.Table(title, header, rows), fmt, filename)
    return StreamingResponse(body, media_type=media, headers=headers)


# --- ageing -------------------------------------------------------------------------------

_AMOUNT_KEYS = {name: to_camel(name) for name in (*service.BUCKETS, "total")}
_TIPO = {t: (t.value, t.codigo) for t in TipoDocumento}


def aging_json(report: service.AgingReport) -> dict[str, Any]:
    rows = []
    for r in report.rows:
        tipo, codigo = _TIPO[r.tipo_documento]
        row = {
            "customerId": str(r.customer_id),
            "razonSocial": r.razon_social,
            "tipoDocumento": tipo,
            "tipoDocumentoCodigo": codigo,
            "nit": r.nit,
            "dv": r.dv,
        }
        for name, key in _AMOUNT_KEYS.items():
            row[key] = format_money(getattr(r, name))
        rows.append(row)
    totals = {key: format_money(report.totals[name]) for name, key in _AMOUNT_KEYS.items()}
    return {"asOf": report.as_of.isoformat(), "rows": rows, "totals": totals}


@router.get("/billing/reports/aging", response_model=AgingReportRead, responses=FILE_RESPONSES)
def aging_report(
    ctx: Reader,
    as_of: Annotated[date | None, Query(alias="asOf", description="Cut-off date (default: today in Bogotá)")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    format_: Format = None,
    accept: Accept = None,
) -> Any:
    """What each customer owes, by days past due (a CONTADO invoice is due on its issue date), with a totals row."""
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        report = service.aging(session, as_of or _today(), customer_id)
    fmt = spreadsheets.negotiate(format_, accept)
    if fmt == spreadsheets.JSON:
        # Built by hand (the shape of AgingReportRead, which a test holds equal):
        # 10,000 rows through two rounds of model validation cost more than the SQL.
        return Response(orjson.dumps(aging_json(report)), media_type="application/json")
    body, media, headers = spreadsheets.file_response_parts(
        statements.aging_table(report), fmt, statements.aging_file_name(report)
    )
    return StreamingResponse(body, media_type=media, headers=headers)


# --- statement -------------------------------------------------------------------------------


@router.get(
    "/billing/customers/{customer_id}/statement",
    response_model=StatementRead,
    responses={**FILE_RESPONSES, **problem_responses(400, 401, 404)},
)
def customer_statement(
    customer_id: str,
    ctx: ItemReader,
    date_from: Annotated[date | None, Query(alias="from", description="First day (default: from the start)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last day (default: today in Bogotá)")] = None,
    format_: Format = None,
    accept: Accept = None,
) -> Any:
    """Opening balance, every invoice, note and payment of the period in date order with
    the running balance, and the closing balance."""
    customer = customers.read_customer(ctx.session, customer_id)
    ctx.authorize()
    date_to = date_to or _today()
    _check_period(date_from, date_to)
    # The customer is found on the primary (an id just created is never a 404); its movements
    # on the read replica when it may serve (core.replica).
    with ctx.listing() as session:
        result = service.statement(session, customer.id, date_from, date_to)
    fmt = spreadsheets.negotiate(format_, accept)
    if fmt == spreadsheets.JSON:
        return StatementRead.model_validate(
            {
                "customer_id": customer.id,
                "razon_social": customer.razon_social,
                "nit": customer.nit,
                "from": date_from,
                "to": date_to,
                "opening_balance": result.opening_balance,
                "lines": [StatementLineRead(**vars(line)) for line in result.lines],
                "closing_balance": result.closing_balance,
            }
        )
    body, media, headers = spreadsheets.file_response_parts(
        statements.table(result), fmt, statements.file_name(customer.nit)
    )
    return StreamingResponse(body, media_type=media, headers=headers)


# --- payments --------------------------------------------------------------------------------

PAYMENTS_HEADER = (
    "Fecha",
    "Valor",
    "Medio de pago",
    "Referencia",
    "Factura",
    "Cliente",
    "Número de documento",
    "Registrado",
)


@router.get("/billing/payments", response_model=list[PaymentListItem], responses=FILE_RESPONSES)
def list_payments(
    ctx: Reader,
    date_from: Annotated[date | None, Query(alias="from", description="Payment date from (inclusive)")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Payment date to (inclusive)")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    method: PaymentMethod | None = None,
    format_: Format = None,
    accept: Accept = None,
) -> Any:
    """Every payment, oldest first, with its invoice's number and its customer."""
    _check_period(date_from, date_to)
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        rows = service.payments(session, date_from, date_to, customer_id, method)
    fmt = spreadsheets.negotiate(format_, accept)
    if fmt == spreadsheets.JSON:
        return [
            PaymentListItem(
                id=r[0],
                date=r[1],
                amount=r[2],
                method=r[3],
                reference=r[4],
                invoice_id=r[5],
                invoice_number=r[6],
                customer_id=r[7],
                razon_social=r[8],
                nit=r[9],
                created_at=r[10],
            )
            for r in rows
        ]
    table = [(r[1], r[2], r[3], r[4], r[6], r[8], r[9], r[10]) for r in rows]
    return _file(fmt, "Pagos", PAYMENTS_HEADER, table, "pagos")


# --- summary ---------------------------------------------------------------------------------


def _month(value: str | None) -> tuple[int, int]:
    if value is None:
        today = _today()
        return today.year, today.month
    match = _MONTH.match(value)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise BadRequest.field("month", "must be a month as YYYY-MM, e.g. 2026-11")
    return int(match[1]), int(match[2])


@router.get("/billing/reports/summary", response_model=SummaryRead, responses=FILE_RESPONSES)
def summary_report(
    ctx: Reader,
    month: Annotated[str | None, Query(description="YYYY-MM (default: this month in Bogotá)", max_length=7)] = None,
    format_: Format = None,
    accept: Accept = None,
) -> Any:
    """Invoiced (before and after tax), collected, receivables and overdue at month end,
    and the month's invoices by status."""
    year, number = _month(month)
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        s = service.summary(session, year, number)
    fmt = spreadsheets.negotiate(format_, accept)
    if fmt == spreadsheets.JSON:
        return SummaryRead(**vars(s))
    rows: list[tuple] = [
        ("Facturado antes de impuestos", s.invoiced_before_tax),
        ("Impuestos facturados", s.invoiced_tax),
        ("Facturado con impuestos", s.invoiced_total),
        ("Recaudado", s.collected),
        ("Cartera al cierre del mes", s.receivables_at_month_end),
        ("Cartera vencida al cierre del mes", s.overdue_at_month_end),
    ]
    rows += [(f"Facturas {STATUS_SPANISH[k]}", v) for k, v in s.invoices_by_status.items()]
    return _file(fmt, f"Resumen {s.month}", ("Concepto", "Valor"), rows, f"resumen-{s.month}")


STATUS_SPANISH = {"DRAFT": "en borrador", "ISSUED": "emitidas", "PAID": "pagadas", "VOID": "anuladas"}
