"""Receivables in SQL: every report reads the same signed movements.

``movements()`` is the one place that says what moves a customer's balance:
an issued invoice (+ its total, on its issue date) and each payment (- its
amount, on its payment date). Credit notes (-) and debit notes (+) join it as
one more SELECT each in the UNION ALL; the ageing, the statement and the
summary then count them with no other change.

DRAFT invoices owe nothing; a VOID invoice (voidable only without payments)
is left out entirely, as if never issued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    select,
    text,
    type_coerce,
    union_all,
)

from nitida.core.clock import BOGOTA
from nitida.core.db import TenantSession
from nitida.core.money import ZERO, Money
from nitida.customers.models import Customer
from nitida.einvoicing.models import InvoiceNote
from nitida.invoices.models import Invoice, InvoicePayment, InvoiceStatus, PaymentMethod
from nitida.reports.ageing import BUCKETS, AgingReport, AgingRow, assemble, bucket_edges
from nitida.vocabulary.kinds import NoteKind, PaymentForm

__all__ = ["BUCKETS", "AgingReport", "AgingRow"]  # the ageing's names, served from here as before

# Invoices that are receivables (or were, once paid).
LIVE = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)


class Kind:
    """Movement kinds, and their order within one day (a document before what settles it)."""

    INVOICE = "INVOICE"
    DEBIT_NOTE = "DEBIT_NOTE"
    CREDIT_NOTE = "CREDIT_NOTE"
    PAYMENT = "PAYMENT"


KIND_ORDER = {Kind.INVOICE: 0, Kind.DEBIT_NOTE: 1, Kind.CREDIT_NOTE: 2, Kind.PAYMENT: 3}
KIND_SPANISH = {
    Kind.INVOICE: "Factura",
    Kind.DEBIT_NOTE: "Nota débito",
    Kind.CREDIT_NOTE: "Nota crédito",
    Kind.PAYMENT: "Pago",
}


def _money(value: Any) -> Any:  # a SQL expression typed as Money
    return type_coerce(value, Money())


def _zero() -> Any:
    return literal(ZERO, Money())


def _due_date() -> Any:
    # A CONTADO invoice is due the day it is issued.
    return case(
        (Invoice.payment_form == PaymentForm.CONTADO, Invoice.issue_date),
        else_=func.coalesce(Invoice.due_date, Invoice.issue_date),
    )


def movements(session: TenantSession) -> CompoundSelect:
    """Every signed movement of the tenant's receivables, one row each.

    Columns: invoice_id, customer_id, movement_date, kind, kind_order,
    document (the number shown), invoice_number, movement_id, amount (signed),
    recorded_at (tie-break within a day), due_date (of the invoice the
    movement belongs to: what the ageing buckets by).

    A credit note lowers its invoice's balance and a debit note raises it, on
    the note's own date; an invoice voided by a concept-2 credit note (VOID)
    owes nothing, so neither it nor its notes count.
    """
    tenant = session.tenant_id
    invoices = select(
        Invoice.id.label("invoice_id"),
        Invoice.customer_id.label("customer_id"),
        type_coerce(Invoice.issue_date, Date()).label("movement_date"),
        literal(Kind.INVOICE, String(20)).label("kind"),
        literal(KIND_ORDER[Kind.INVOICE], Integer()).label("kind_order"),
        Invoice.number.label("document"),
        Invoice.number.label("invoice_number"),
        Invoice.id.label("movement_id"),
        _money(Invoice.total).label("amount"),
        Invoice.issued_at.label("recorded_at"),
        _due_date().label("due_date"),
    ).where(Invoice.tenant_id == tenant, Invoice.status.in_(LIVE))
    payments = (
        select(
            InvoicePayment.invoice_id,
            Invoice.customer_id,
            InvoicePayment.payment_date,
            literal(Kind.PAYMENT, String(20)),
            literal(KIND_ORDER[Kind.PAYMENT], Integer()),
            func.coalesce(InvoicePayment.reference, Invoice.number),
            Invoice.number,
            InvoicePayment.id,
            _money(-InvoicePayment.amount),
            InvoicePayment.created_at,
            _due_date(),
        )
        .join(Invoice, and_(Invoice.tenant_id == InvoicePayment.tenant_id, Invoice.id == InvoicePayment.invoice_id))
        .where(InvoicePayment.tenant_id == tenant, Invoice.status.in_(LIVE))
    )
    notes = [
        select(
            InvoiceNote.invoice_id,
            Invoice.customer_id,
            InvoiceNote.issue_date,
            literal(kind, String(20)),
            literal(KIND_ORDER[kind], Integer()),
            InvoiceNote.number,
            Invoice.number,
            InvoiceNote.id,
            _money(-InvoiceNote.total if note_kind is NoteKind.CREDIT else InvoiceNote.total),
            InvoiceNote.issued_at,
            _due_date(),
        )
        .join(Invoice, and_(Invoice.tenant_id == InvoiceNote.tenant_id, Invoice.id == InvoiceNote.invoice_id))
        .where(InvoiceNote.tenant_id == tenant, InvoiceNote.kind == note_kind, Invoice.status.in_(LIVE))
        for note_kind, kind in ((NoteKind.CREDIT, Kind.CREDIT_NOTE), (NoteKind.DEBIT, Kind.DEBIT_NOTE))
    ]
    return union_all(invoices, payments, *notes)


def _room_to_aggregate(session: TenantSession) -> None:
    """A report groups every movement of the tenant: give this transaction's sorts
    and hash tables room in memory (PostgreSQL's default 4 MB spills 10,000
    customers to disk). SET LOCAL ends with the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '64MB'"))


# --- ageing ---------------------------------------------------------------------------


def aging_statement(session: TenantSession, as_of: date, customer_id: uuid.UUID | None = None) -> Select:
    """The ageing as one SELECT: movements up to ``as_of`` summed per customer,
    each into the bucket of its invoice's due date, then the customers' names.

    Days past due = as_of - due date: 0 or less is not yet due, then 1-30,
    31-60, 61-90 and over 90. The buckets compare the due date with dates
    computed here, so the SQL is the same on SQLite and PostgreSQL and uses
    no date arithmetic of either. Summing movements straight into buckets
    (rather than balances per invoice first) is the same arithmetic, in one
    pass over the movements.
    """
    m = movements(session).subquery("movements")
    due = m.c.due_date
    edges = bucket_edges(as_of)
    # 0 not yet due, 1: 1-30, 2: 31-60, 3: 61-90, 4: over 90 days past due.
    bucket = case(*[(due >= edge, i) for i, edge in enumerate(edges)], else_=len(edges))
    # One sum per (customer, bucket) over the movements, then five per customer
    # over those few rows: far fewer decimal additions than five per movement.
    by_bucket = select(m.c.customer_id, bucket.label("bucket"), _money(func.sum(m.c.amount)).label("amount")).where(
        m.c.movement_date <= as_of
    )
    if customer_id is not None:
        by_bucket = by_bucket.where(m.c.customer_id == customer_id)
    b = by_bucket.group_by(m.c.customer_id, bucket).subquery("by_bucket")
    total = _money(func.sum(b.c.amount))
    sums = (
        select(
            b.c.customer_id,
            *[
                _money(func.sum(case((b.c.bucket == i, b.c.amount), else_=_zero()))).label(n)
                for i, n in enumerate(BUCKETS)
            ],
            total.label("total"),
        )
        .group_by(b.c.customer_id)
        .having(total != _zero())
        .subquery("sums")
    )
    return (
        select(
            Customer.id,
            Customer.razon_social,
            Customer.tipo_documento,
            Customer.nit,
            Customer.dv,
            *[sums.c[n] for n in BUCKETS],
            sums.c.total,
        )
        .join(sums, and_(Customer.tenant_id == session.tenant_id, Customer.id == sums.c.customer_id))
        .order_by(sums.c.total.desc(), Customer.razon_social_sort, Customer.nit)
    )


def aging(session: TenantSession, as_of: date, customer_id: uuid.UUID | None = None) -> AgingReport:
    """What each customer owes on ``as_of``, by days past due, biggest debtor first; and the totals."""
    _room_to_aggregate(session)
    return assemble(as_of, (AgingRow(*row) for row in session.execute(aging_statement(session, as_of, customer_id))))


# --- statement -------------------------------------------------------------------------


@dataclass
class StatementLine:
    date: date
    kind: str
    document: str | None
    invoice_number: str | None
    amount: Decimal
    balance: Decimal


@dataclass
class Statement:
    customer_id: uuid.UUID
    date_from: date | None
    date_to: date
    opening_balance: Decimal
    lines: list[StatementLine]
    closing_balance: Decimal


def statement(session: TenantSession, customer_id: uuid.UUID, date_from: date | None, date_to: date) -> Statement:
    """Opening balance (everything before ``date_from``), each movement in the period in
    date order with the running balance, and the closing balance."""
    m = movements(session).subquery("movements")
    mine = m.c.customer_id == customer_id
    opening = ZERO
    if date_from is not None:
        opening = (
            session.scalar(
                select(func.coalesce(_money(func.sum(m.c.amount)), _zero())).where(mine, m.c.movement_date < date_from)
            )
            or ZERO
        )
    period = [mine, m.c.movement_date <= date_to]
    if date_from is not None:
        period.append(m.c.movement_date >= date_from)
    stmt = (
        select(m.c.movement_date, m.c.kind, m.c.document, m.c.invoice_number, m.c.amount)
        .where(*period)
        .order_by(m.c.movement_date, m.c.kind_order, m.c.recorded_at, m.c.movement_id)
    )
    running = opening
    lines = []
    for movement_date, kind, document, invoice_number, amount in session.execute(stmt):
        running += amount
        lines.append(StatementLine(movement_date, kind, document, invoice_number, amount, running))
    return Statement(customer_id, date_from, date_to, opening, lines, running)


# --- payments ----------------------------------------------------------------------------

PAYMENT_COLUMNS = (
    InvoicePayment.id,
    InvoicePayment.payment_date,
    InvoicePayment.amount,
    InvoicePayment.method,
    InvoicePayment.reference,
    InvoicePayment.invoice_id,
    Invoice.number,
    Invoice.customer_id,
    Customer.razon_social,
    Customer.nit,
    InvoicePayment.created_at,
)


def payments(
    session: TenantSession,
    date_from: date | None,
    date_to: date | None,
    customer_id: uuid.UUID | None,
    method: PaymentMethod | None,
) -> list[Any]:
    """Every payment with its invoice's number and customer, oldest first."""
    stmt = (
        select(*PAYMENT_COLUMNS)
        .join(Invoice, and_(Invoice.tenant_id == InvoicePayment.tenant_id, Invoice.id == InvoicePayment.invoice_id))
        .join(Customer, and_(Customer.tenant_id == Invoice.tenant_id, Customer.id == Invoice.customer_id))
        .where(InvoicePayment.tenant_id == session.tenant_id)
        .order_by(InvoicePayment.payment_date, InvoicePayment.created_at, InvoicePayment.id)
    )
    if date_from is not None:
        stmt = stmt.where(InvoicePayment.payment_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(InvoicePayment.payment_date <= date_to)
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if method is not None:
        stmt = stmt.where(InvoicePayment.method == method)
    return list(session.execute(stmt).all())


# --- monthly summary -------------------------------------------------------------------


@dataclass
class Summary:
    month: str
    invoiced_before_tax: Decimal
    invoiced_tax: Decimal
    invoiced_total: Decimal
    collected: Decimal
    receivables_at_month_end: Decimal
    overdue_at_month_end: Decimal
    invoices_by_status: dict[str, int]


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    return first, next_first - timedelta(days=1)


def summary(session: TenantSession, year: int, month: int) -> Summary:
    first, last = month_bounds(year, month)
    _room_to_aggregate(session)
    issued_in_month = [Invoice.status.in_(LIVE), Invoice.issue_date >= first, Invoice.issue_date <= last]
    before_tax, tax, total = session.execute(
        select(
            func.coalesce(_money(func.sum(Invoice.subtotal)), _zero()),
            func.coalesce(_money(func.sum(Invoice.tax_total)), _zero()),
            func.coalesce(_money(func.sum(Invoice.total)), _zero()),
        ).where(*issued_in_month)
    ).one()
    collected = (
        session.scalar(
            select(func.coalesce(_money(func.sum(InvoicePayment.amount)), _zero()))
            .join(Invoice, and_(Invoice.tenant_id == InvoicePayment.tenant_id, Invoice.id == InvoicePayment.invoice_id))
            .where(Invoice.status.in_(LIVE), InvoicePayment.payment_date >= first, InvoicePayment.payment_date <= last)
        )
        or ZERO
    )
    m = movements(session).subquery("movements")
    receivable, overdue = session.execute(
        select(
            func.coalesce(_money(func.sum(m.c.amount)), _zero()),
            func.coalesce(_money(func.sum(case((m.c.due_date < last, m.c.amount), else_=_zero()))), _zero()),
        ).where(m.c.movement_date <= last)
    ).one()
    # Issued (or voided) invoices by their issue date; drafts by when they were made, in Bogotá.
    start = datetime.combine(first, time.min, BOGOTA)
    end = datetime.combine(last + timedelta(days=1), time.min, BOGOTA)
    in_month = case(
        (Invoice.status == InvoiceStatus.DRAFT, and_(Invoice.created_at >= start, Invoice.created_at < end)),
        else_=and_(Invoice.issue_date >= first, Invoice.issue_date <= last),
    )
    counts = {status.value: 0 for status in InvoiceStatus}
    for status, count in session.execute(
        select(Invoice.status, func.count(Invoice.id)).where(in_month).group_by(Invoice.status)
    ):
        counts[status.value] = count
    return Summary(f"{year:04d}-{month:02d}", before_tax, tax, total, collected, receivable, overdue, counts)
