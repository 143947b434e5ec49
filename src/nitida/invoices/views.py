"""An invoice as the API and the pages show it: its summary, the customer as invoiced, lines with their totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from nitida.core.db import TenantSession
from nitida.customers.models import Customer
from nitida.invoices import totals
from nitida.invoices.models import Invoice, InvoiceLine
from nitida.invoices.schemas import CustomerSnapshot, InvoiceRead, LineRead, PaymentRead, TaxGroupRead, TaxRead


def line_of(row: InvoiceLine) -> totals.Line:
    return totals.Line(
        quantity=row.quantity,
        unit_price=row.unit_price,
        discount_percent=row.discount_percent,
        taxes=tuple(totals.Tax(totals.TaxType(t["type"]), Decimal(t["rate"])) for t in row.taxes),
        reference_price=row.reference_price,
    )


# The customer's fiscal data an issued invoice keeps as it was (invoice column
# = "customer_" + customer attribute).
SNAPSHOT_FIELDS = (
    "razon_social",
    "tipo_documento",
    "nit",
    "dv",
    "email",
    "direccion",
    "tipo_persona",
    "responsabilidades_fiscales",
    "tributo",
    "municipio_codigo",
    "codigo_postal",
    "pais_codigo",
    "ciudad_exterior",
    "region_exterior",
)


def snapshot(invoice: Invoice, customer: Customer | None) -> CustomerSnapshot:
    """The issued invoice's stored snapshot, or (a draft) the customer as it is now."""
    if invoice.customer_razon_social is not None:
        values = {f: getattr(invoice, f"customer_{f}") for f in SNAPSHOT_FIELDS}
    else:
        assert customer is not None  # the foreign key guarantees it
        values = {f: getattr(customer, f) for f in SNAPSHOT_FIELDS}
    return CustomerSnapshot(id=invoice.customer_id, tipo_documento_codigo=values["tipo_documento"].codigo, **values)


def summary_fields(invoice: Invoice, customer_name: str) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "status": invoice.status,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "customer_name": invoice.customer_razon_social or customer_name,
        "resolution_id": invoice.resolution_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "payment_form": invoice.payment_form,
        "currency": invoice.currency,
        "subtotal": invoice.subtotal,
        "tax_total": invoice.tax_total,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "credited_total": invoice.credited_total,
        "debited_total": invoice.debited_total,
        "balance": invoice.balance,
        "electronic_status": invoice.electronic_status,
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
    }


def invoice_read(session: TenantSession, invoice: Invoice) -> InvoiceRead:
    customer = (
        None
        if invoice.customer_razon_social is not None
        else session.scalar(select(Customer).where(Customer.id == invoice.customer_id))
    )
    as_invoiced = snapshot(invoice, customer)
    computed = totals.compute([line_of(row) for row in invoice.lines])
    lines = [
        LineRead(
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            discount_percent=row.discount_percent,
            taxes=[TaxRead(type=t.type, rate=t.rate, amount=t.amount) for t in lt.taxes],
            reference_price=row.reference_price,
            base=lt.base,
            tax_total=lt.tax_total,
            total=lt.total,
            brand=row.brand,
            model=row.model,
        )
        for row, lt in zip(invoice.lines, computed.lines, strict=True)
    ]
    return InvoiceRead(
        **summary_fields(invoice, as_invoiced.razon_social),
        prefix=invoice.prefix,
        consecutive=invoice.consecutive,
        issued_at=invoice.issued_at,
        payment_method=invoice.payment_method,
        cufe=invoice.cufe,
        qr_data=invoice.qr_data,
        notes=invoice.notes,
        export=invoice.export,
        exchange_rate=invoice.exchange_rate,
        customer=as_invoiced,
        lines=lines,
        taxes=[
            TaxGroupRead(type=g.type, rate=g.rate, taxable_amount=g.taxable_amount, tax_amount=g.tax_amount)
            for g in computed.groups
        ],
        payments=[
            PaymentRead(
                id=p.id,
                amount=p.amount,
                date=p.payment_date,
                method=p.method,
                reference=p.reference,
                created_at=p.created_at,
            )
            for p in invoice.payments
        ],
        void_reason=invoice.void_reason,
        voided_at=invoice.voided_at,
    )
