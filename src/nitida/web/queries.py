"""Read-only figures for the dashboard and the receivables page.

Amounts owed come from the receivables reports (reports.service: invoices,
payments, credit and debit notes, by due date), so a page never adds up a
balance its own way; only the counts of invoices are read here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from nitida.core.db import TenantSession
from nitida.einvoicing.models import ElectronicStatus
from nitida.invoices.models import Invoice, InvoiceStatus
from nitida.reports import service as reports

OPEN = InvoiceStatus.ISSUED  # issued, not fully paid, not voided
SOLD = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)
# Signed and not yet answered by the DIAN (the sending states arrive with delivery).
WAITING_ON_DIAN = tuple(s for s in ElectronicStatus if s.value in ("SIGNED", "SENT"))


@dataclass(frozen=True, slots=True)
class Dashboard:
    sales_this_month: Decimal
    invoices_this_month: int
    receivable: Decimal
    open_invoices: int
    overdue: Decimal
    overdue_invoices: int
    drafts: int
    waiting_on_dian: int
    rejected_by_dian: int


def _count(session: TenantSession, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(Invoice).where(*conditions)) or 0


def dashboard(session: TenantSession, today: date) -> Dashboard:
    month = reports.summary(session, today.year, today.month)
    owed = reports.aging(session, today).totals
    return Dashboard(
        sales_this_month=month.invoiced_total,
        invoices_this_month=_count(
            session, Invoice.status.in_(SOLD), Invoice.issue_date >= today.replace(day=1), Invoice.issue_date <= today
        ),
        receivable=owed["total"],
        open_invoices=_count(session, Invoice.status == OPEN),
        overdue=owed["total"] - owed["not_due"],
        overdue_invoices=_count(session, Invoice.status == OPEN, Invoice.due_date < today),
        drafts=_count(session, Invoice.status == InvoiceStatus.DRAFT),
        waiting_on_dian=_count(session, Invoice.electronic_status.in_(WAITING_ON_DIAN)),
        rejected_by_dian=_count(session, Invoice.electronic_status == ElectronicStatus.REJECTED),
    )


def balances(session: TenantSession, today: date) -> reports.AgingReport:
    """Customers who owe something on ``today``, by days past due, biggest debtor first."""
    return reports.aging(session, today)


def customer_balance(session: TenantSession, customer_id: uuid.UUID, today: date) -> Decimal:
    return reports.aging(session, today, customer_id).totals["total"]
