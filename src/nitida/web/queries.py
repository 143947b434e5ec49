"""Read-only sums for the dashboard and the receivables page.

Until the reports issue brings its service, the pages add up the invoices'
own columns here (balance = total − amount paid, as ``Invoice.balance``):
no rule is decided here, only sums of what the invoices service stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select

from nitida.core.db import TenantSession
from nitida.core.money import ZERO
from nitida.customers.models import Customer
from nitida.invoices.models import Invoice, InvoiceStatus

OPEN = InvoiceStatus.ISSUED  # issued, not fully paid, not voided
SOLD = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)


@dataclass(frozen=True, slots=True)
class Dashboard:
    sales_this_month: Decimal
    invoices_this_month: int
    receivable: Decimal
    open_invoices: int
    overdue: Decimal
    overdue_invoices: int
    drafts: int


def _sum_balance(session: TenantSession, *conditions) -> tuple[Decimal, int]:
    # Two sums, subtracted here: each column keeps its exact money type on SQLite.
    total, paid, count = session.execute(
        select(func.sum(Invoice.total), func.sum(Invoice.amount_paid), func.count()).where(*conditions)
    ).one()
    return (total or ZERO) - (paid or ZERO), count


def dashboard(session: TenantSession, today: date) -> Dashboard:
    month_start = today.replace(day=1)
    sales, sold = session.execute(
        select(func.sum(Invoice.total), func.count()).where(
            Invoice.status.in_(SOLD), Invoice.issue_date >= month_start, Invoice.issue_date <= today
        )
    ).one()
    receivable, open_count = _sum_balance(session, Invoice.status == OPEN)
    overdue, overdue_count = _sum_balance(session, Invoice.status == OPEN, Invoice.due_date < today)
    drafts = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == InvoiceStatus.DRAFT))
    return Dashboard(
        sales_this_month=sales or ZERO,
        invoices_this_month=sold,
        receivable=receivable,
        open_invoices=open_count,
        overdue=overdue,
        overdue_invoices=overdue_count,
        drafts=drafts or 0,
    )


@dataclass(frozen=True, slots=True)
class CustomerBalance:
    customer_id: uuid.UUID
    razon_social: str
    open_invoices: int
    balance: Decimal
    overdue: Decimal
    oldest_due: date | None


def balances(session: TenantSession, today: date) -> list[CustomerBalance]:
    """Customers with open invoices: balance and overdue part, most overdue first."""
    overdue = and_(Invoice.due_date < today)
    rows = session.execute(
        select(
            Invoice.customer_id,
            Customer.razon_social,
            func.count(),
            func.sum(Invoice.total),
            func.sum(Invoice.amount_paid),
            func.min(Invoice.due_date),
        )
        .join(Customer, and_(Customer.tenant_id == Invoice.tenant_id, Customer.id == Invoice.customer_id))
        .where(Invoice.status == OPEN)
        .group_by(Invoice.customer_id, Customer.razon_social)
    ).all()
    overdue_rows = dict(
        (row[0], (row[1] or ZERO) - (row[2] or ZERO))
        for row in session.execute(
            select(Invoice.customer_id, func.sum(Invoice.total), func.sum(Invoice.amount_paid))
            .where(Invoice.status == OPEN, overdue)
            .group_by(Invoice.customer_id)
        ).all()
    )
    result = [
        CustomerBalance(
            customer_id=customer_id,
            razon_social=name,
            open_invoices=count,
            balance=(total or ZERO) - (paid or ZERO),
            overdue=overdue_rows.get(customer_id, ZERO),
            oldest_due=oldest,
        )
        for customer_id, name, count, total, paid, oldest in rows
    ]
    return sorted(result, key=lambda b: (-b.overdue, -b.balance, b.razon_social))


def customer_balance(session: TenantSession, customer_id: uuid.UUID) -> Decimal:
    balance, _count = _sum_balance(session, Invoice.status == OPEN, Invoice.customer_id == customer_id)
    return balance
