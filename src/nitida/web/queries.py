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
from typing import Any

from sqlalchemy import and_, func, select

from nitida.core.db import TenantSession
from nitida.customers.models import Customer
from nitida.einvoicing import configuration
from nitida.einvoicing.models import InvoiceNote
from nitida.invoices.models import Invoice, InvoiceStatus, NumberingResolution
from nitida.reports import service as reports
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind

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
    credited_this_month: Decimal  # credit notes of the month, on invoices not voided (sales are net of them)
    first_steps: list[tuple[str, str]]  # (what is missing, where to do it) for a tenant starting out


def _notes_in_month(session: TenantSession, kind: NoteKind, first: date, last: date) -> Decimal:
    """Credit or debit notes issued in the month on invoices not voided (a void takes its invoice out whole)."""
    total = session.scalar(
        select(func.sum(InvoiceNote.total))
        .join(Invoice, and_(Invoice.tenant_id == InvoiceNote.tenant_id, Invoice.id == InvoiceNote.invoice_id))
        .where(
            InvoiceNote.kind == kind,
            InvoiceNote.issue_date >= first,
            InvoiceNote.issue_date <= last,
            Invoice.status != InvoiceStatus.VOID,
        )
    )
    return Decimal(total or 0)


def first_steps(session: TenantSession) -> list[tuple[str, str]]:
    """What a new business still has to do before it bills: fiscal data, a resolution, a customer."""
    steps = []
    if configuration.find_issuer(session) is None:
        steps.append(("Registra los datos fiscales de la empresa", "/app/configuracion"))
    if not session.scalar(select(func.count()).select_from(NumberingResolution)):
        steps.append(("Registra la resolución de numeración que te autorizó la DIAN", "/app/configuracion"))
    if not session.scalar(select(func.count()).select_from(Customer)):
        steps.append(("Crea tu primer cliente, o impórtalos desde Excel", "/app/clientes/nuevo"))
    return steps


def _count(session: TenantSession, *conditions: Any) -> int:
    return session.scalar(select(func.count()).select_from(Invoice).where(*conditions)) or 0


def dashboard(session: TenantSession, today: date) -> Dashboard:
    month = reports.summary(session, today.year, today.month)
    owed = reports.aging(session, today).totals
    first = today.replace(day=1)
    credited = _notes_in_month(session, NoteKind.CREDIT, first, today)
    debited = _notes_in_month(session, NoteKind.DEBIT, first, today)
    return Dashboard(
        sales_this_month=month.invoiced_total - credited + debited,
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
        credited_this_month=credited,
        first_steps=first_steps(session),
    )


def balances(session: TenantSession, today: date) -> reports.AgingReport:
    """Customers who owe something on ``today``, by days past due, biggest debtor first."""
    return reports.aging(session, today)


def customer_balance(session: TenantSession, customer_id: uuid.UUID, today: date) -> Decimal:
    return reports.aging(session, today, customer_id).totals["total"]
