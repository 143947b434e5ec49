"""Invoices: drafts, issue under a numbering resolution, payments, void.

State machine::

    DRAFT --issue--> ISSUED --payments reach the total--> PAID
           \\            \\--void (no payments)--> VOID
            \\--issue, total 0--> PAID --void (no payments)--> VOID

A zero-total invoice (a courtesy invoice, a fully discounted sale) owes nothing,
so it is PAID from the moment it is issued; refusing it would block legitimate
zero-value documents. Like any invoice without payments, it can be voided.

Everything else is a 409. Issue, pay and void lock the invoice row first
(SELECT … FOR UPDATE), so two concurrent payments cannot overpay and an
invoice cannot be paid and voided at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from nitida.audit import service as audit
from nitida.core.clock import bogota_today
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError
from nitida.core.ids import get_or_404
from nitida.core.integrity import Constraint, apply_unless_violates
from nitida.core.money import MAX_MONEY, ZERO, format_money
from nitida.core.principal import Principal
from nitida.core.schemas import refuse_nulls
from nitida.core.text import fold
from nitida.customers.models import Customer, CustomerStatus
from nitida.invoices import numbering, stored, totals, views
from nitida.invoices.models import Invoice, InvoiceLine, InvoicePayment, InvoiceStatus, NumberingResolution
from nitida.invoices.schemas import (
    InvoiceCorrection,
    InvoiceCreate,
    InvoiceSummary,
    InvoiceUpdate,
    LineIn,
    PaymentCreate,
    TaxIn,
)
from nitida.vocabulary.codelists import COLOMBIA, COP
from nitida.vocabulary.kinds import ElectronicStatus, PaymentForm

ENTITY = "invoice"

# Two prefix+consecutive spellings of one number (e.g. "FE1"+"23" and "FE"+"123").
NUMBER_TAKEN = Constraint("uq_invoices_tenant_number", "UNIQUE constraint failed: invoices.tenant_id, invoices.number")


# --- loading -------------------------------------------------------------------


def get_invoice(session: TenantSession, raw_id: str, *, for_update: bool = False) -> Invoice:
    return get_or_404(session, Invoice, raw_id, "Invoice", for_update=for_update)


def _customer(session: TenantSession, customer_id: uuid.UUID) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.id == customer_id))


def _customer_for_draft(session: TenantSession, customer_id: uuid.UUID) -> Customer:
    """The customer a draft is about to reference, held until the transaction ends.

    FOR KEY SHARE (PostgreSQL): a concurrent delete of the customer either
    waits for this transaction, or has committed and the row is not found
    here (400), so the invoice's foreign key never fails at flush. Edits of
    the customer's other columns are not blocked. SQLite ignores the clause:
    its write transactions are serial already.
    """
    customer = session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .with_for_update(read=True, key_share=True)
        .execution_options(populate_existing=True)
    )
    if customer is None:
        raise BadRequest.field("customerId", "Customer not found.")
    if customer.status is not CustomerStatus.ACTIVE:
        raise BadRequest.field("customerId", "The customer is INACTIVE: activate it before invoicing it.")
    return customer


def _resolution_for_draft(session: TenantSession, resolution_id: uuid.UUID) -> None:
    if numbering.find_resolution(session, resolution_id) is None:
        raise BadRequest.field("resolutionId", "Resolution not found.")


# --- lines and totals ------------------------------------------------------------


def _line_of_input(line: LineIn) -> totals.Line:
    return totals.Line(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        taxes=tuple(totals.Tax(t.type, t.rate) for t in line.taxes),
        reference_price=line.reference_price,
    )


def _set_lines(invoice: Invoice, lines: list[LineIn]) -> None:
    computed = totals.compute([_line_of_input(line) for line in lines])
    if computed.total > MAX_MONEY or computed.subtotal > MAX_MONEY:
        raise BadRequest.field("lines", f"The invoice total would exceed {format_money(MAX_MONEY)}.")
    invoice.lines = [
        InvoiceLine(
            position=i,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            taxes=stored.taxes_json(line.taxes),
            base=lt.base,
            brand=line.brand,
            model=line.model,
            reference_price=line.reference_price,
        )
        for i, (line, lt) in enumerate(zip(lines, computed.lines, strict=True))
    ]
    invoice.subtotal = computed.subtotal
    invoice.tax_total = computed.tax_total
    invoice.total = computed.total


def _check_currency_and_export(invoice: Invoice, customer: Customer) -> None:
    """400 naming the field when the draft's currency, exchange rate and export mark disagree with each other,
    its customer or its lines (issue 25): a foreign currency only on an export invoice, with its rate; an export
    invoice to a customer abroad, its lines exempt from IVA (IVA 0 %, no INC)."""
    errors: list[FieldError] = []
    foreign = invoice.currency != COP
    if foreign and not invoice.export:
        errors.append(FieldError(field="currency", message="a currency other than COP is for an export invoice only"))
    if foreign and invoice.exchange_rate is None:
        errors.append(FieldError(field="exchangeRate", message=f"required: the pesos one {invoice.currency} is worth"))
    if invoice.exchange_rate is not None and invoice.exchange_rate <= 0:
        errors.append(FieldError(field="exchangeRate", message="must be greater than 0"))
    if not foreign and invoice.exchange_rate is not None:
        errors.append(FieldError(field="exchangeRate", message="only for a currency other than COP"))
    if invoice.export:
        if customer.pais_codigo == COLOMBIA:
            errors.append(
                FieldError(field="export", message="an export invoice's customer is abroad (in another country)")
            )
        taxed = [
            str(row.position + 1)
            for row in invoice.lines
            if any(t["type"] != "IVA" or Decimal(t["rate"]) != 0 for t in row.taxes)
        ]
        if taxed:
            errors.append(
                FieldError(
                    field="lines",
                    message=f"an export is exempt from IVA (IVA 0 %) and carries no INC: line {', '.join(taxed)}",
                )
            )
    if errors:
        raise BadRequest("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def _audited_export(invoice: Invoice) -> dict[str, Any]:
    """An export invoice's mark, currency and rate for the audit trail; nothing for a sale in pesos, whose
    history stays as it was (issue 25)."""
    if not invoice.export and invoice.currency == COP:
        return {}
    rate = format_money(invoice.exchange_rate) if invoice.exchange_rate is not None else None
    return {"export": invoice.export, "currency": invoice.currency, "exchangeRate": rate}


def _audited(invoice: Invoice) -> dict[str, Any]:
    """The invoice as the audit trail records it: values as the API shows them."""
    return {
        "status": invoice.status.value,
        "number": invoice.number,
        "customerId": str(invoice.customer_id),
        "resolutionId": str(invoice.resolution_id),
        "issueDate": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "dueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "paymentForm": invoice.payment_form.value,
        "paymentMethod": invoice.payment_method.value if invoice.payment_method else None,
        "notes": invoice.notes,
        **_audited_export(invoice),
        "lines": [stored.of_row(row) for row in invoice.lines],
        "subtotal": format_money(invoice.subtotal),
        "taxTotal": format_money(invoice.tax_total),
        "total": format_money(invoice.total),
        "amountPaid": format_money(invoice.amount_paid),
        "creditedTotal": format_money(invoice.credited_total),
        "debitedTotal": format_money(invoice.debited_total),
        "electronicStatus": invoice.electronic_status.value,
        "cufe": invoice.cufe,
        "voidReason": invoice.void_reason,
    }


def _record(
    session: TenantSession, actor: Principal, invoice: Invoice, action: str, before: dict[str, Any], **extra: Any
) -> None:
    changes = audit.diff(before, _audited(invoice))
    for key, value in extra.items():
        changes[key] = {"from": None, "to": value}
    audit.record(session, actor, entity_type=ENTITY, entity_id=invoice.id, action=action, changes=changes)


# --- list ----------------------------------------------------------------------------


def _number_query(text: str) -> str:
    return text.strip().upper()


def _filters(
    customer_id: uuid.UUID | None,
    status: InvoiceStatus | None,
    issued_from: date | None,
    issued_to: date | None,
    search: str | None,
    electronic: Sequence[ElectronicStatus] = (),
) -> list[Any]:
    conditions: list[Any] = []
    if electronic:
        conditions.append(Invoice.electronic_status.in_(electronic))
    if customer_id is not None:
        conditions.append(Invoice.customer_id == customer_id)
    if status is not None:
        conditions.append(Invoice.status == status)
    if issued_from is not None:
        conditions.append(Invoice.issue_date >= issued_from)
    if issued_to is not None:
        conditions.append(Invoice.issue_date <= issued_to)
    if search is not None and search.strip():
        folded = fold(search.strip())
        conditions.append(
            or_(
                Invoice.number.contains(_number_query(search), autoescape=True),
                Invoice.customer_search.contains(folded, autoescape=True),
                Customer.razon_social_search.contains(folded, autoescape=True),
            )
        )
    return conditions


def _join_customer(stmt: Any) -> Any:
    return stmt.join(Customer, and_(Customer.tenant_id == Invoice.tenant_id, Customer.id == Invoice.customer_id))


def list_invoices(
    session: TenantSession,
    *,
    customer_id: uuid.UUID | None,
    status: InvoiceStatus | None,
    issued_from: date | None,
    issued_to: date | None,
    search: str | None,
    limit: int,
    offset: int,
    electronic: Sequence[ElectronicStatus] = (),
) -> tuple[int, list[InvoiceSummary]]:
    """``electronic``: only invoices in these electronic statuses (the back office's "Esperando a la DIAN")."""
    if issued_from is not None and issued_to is not None and issued_to < issued_from:
        raise BadRequest.field("issuedTo", "must not be before issuedFrom")
    conditions = _filters(customer_id, status, issued_from, issued_to, search, electronic)
    total = session.scalar(_join_customer(select(func.count()).select_from(Invoice)).where(*conditions))
    rows = session.execute(
        _join_customer(select(Invoice, Customer.razon_social))
        .where(*conditions)
        .order_by(Invoice.created_at.desc(), Invoice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total or 0, [InvoiceSummary(**views.summary_fields(inv, name)) for inv, name in rows]


# --- drafts ----------------------------------------------------------------------------


def _require_draft(invoice: Invoice, action: str) -> None:
    if invoice.status is not InvoiceStatus.DRAFT:
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status.value}: only a DRAFT can be {action}.",
            slug="invalid-invoice-state",
        )


def create_draft(session: TenantSession, actor: Principal, data: InvoiceCreate) -> Invoice:
    customer = _customer_for_draft(session, data.customer_id)
    _resolution_for_draft(session, data.resolution_id)
    now = utcnow()
    invoice = Invoice(
        customer_id=customer.id,
        resolution_id=data.resolution_id,
        status=InvoiceStatus.DRAFT,
        payment_form=data.payment_form,
        payment_method=data.payment_method,
        due_date=data.due_date,
        notes=data.notes,
        amount_paid=ZERO,
        credited_total=ZERO,
        debited_total=ZERO,
        electronic_status=ElectronicStatus.NOT_APPLICABLE,
        customer_search=customer.razon_social_search,
        export=data.export,
        currency=data.currency,
        exchange_rate=data.exchange_rate,
        created_at=now,
        updated_at=now,
    )
    _set_lines(invoice, data.lines)
    _check_currency_and_export(invoice, customer)
    session.add(invoice)
    session.flush()
    _record(session, actor, invoice, "CREATED", {})
    return invoice


def duplicate(session: TenantSession, actor: Principal, invoice: Invoice) -> Invoice:
    """A new draft with ``invoice``'s customer, resolution, terms, notes and lines (prices as they were).

    A CREDITO invoice's due date is kept only when it is not past: the copy is billed from today."""
    lines = [
        LineIn(
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            discount_percent=row.discount_percent,
            taxes=[TaxIn(type=t["type"], rate=Decimal(t["rate"])) for t in row.taxes],
            brand=row.brand,
            model=row.model,
        )
        for row in invoice.lines
    ]
    due = invoice.due_date if invoice.due_date and invoice.due_date >= bogota_today() else None
    return create_draft(
        session,
        actor,
        InvoiceCreate(
            customer_id=invoice.customer_id,
            resolution_id=invoice.resolution_id,
            payment_form=invoice.payment_form,
            payment_method=invoice.payment_method,
            due_date=due,
            notes=invoice.notes,
            lines=lines,
            export=invoice.export,
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
        ),
    )


def update_draft(session: TenantSession, actor: Principal, invoice: Invoice, data: InvoiceUpdate) -> Invoice:
    _require_draft(invoice, "changed")
    refuse_nulls(data, "customer_id", "resolution_id", "payment_form", "lines", "export", "currency")
    fields = data.model_dump(exclude_unset=True)
    before = _audited(invoice)
    customer: Customer | None = None
    if "customer_id" in fields and fields["customer_id"] != invoice.customer_id:
        customer = _customer_for_draft(session, fields["customer_id"])
        invoice.customer_id = customer.id
        invoice.customer_search = customer.razon_social_search
    if "resolution_id" in fields and fields["resolution_id"] != invoice.resolution_id:
        _resolution_for_draft(session, fields["resolution_id"])
        invoice.resolution_id = fields["resolution_id"]
    if "payment_form" in fields:
        invoice.payment_form = fields["payment_form"]
    if "payment_method" in fields:
        invoice.payment_method = fields["payment_method"]
    if "due_date" in fields:
        invoice.due_date = fields["due_date"]
    if "notes" in fields:
        invoice.notes = fields["notes"]
    if data.lines is not None:
        _set_lines(invoice, data.lines)
    for name in ("export", "currency"):
        if fields.get(name) is not None:
            setattr(invoice, name, fields[name])
    if "exchange_rate" in fields:
        invoice.exchange_rate = fields["exchange_rate"]
    if fields.keys() & {"export", "currency", "exchange_rate", "lines", "customer_id"}:
        current = customer or _customer(session, invoice.customer_id)
        assert current is not None  # the foreign key guarantees it
        _check_currency_and_export(invoice, current)
    if audit.diff(before, _audited(invoice)):
        invoice.updated_at = utcnow()
        _record(session, actor, invoice, "UPDATED", before)
    session.flush()
    return invoice


def delete_draft(session: TenantSession, actor: Principal, invoice: Invoice) -> None:
    _require_draft(invoice, "deleted")
    before = _audited(invoice)
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=invoice.id,
        action="DELETED",
        changes=audit.diff(before, {key: None for key in before}),
    )
    session.delete(invoice)
    session.flush()


# --- issue -------------------------------------------------------------------------------


def issue(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    *,
    seal: Callable[[Invoice, NumberingResolution], None] | None = None,
) -> Invoice:
    """DRAFT -> ISSUED: number, issue date and the customer's fiscal data frozen on the invoice.

    ``seal`` is the rest of issuing that is not this domain's (flows.issue_invoice: sign the DIAN's document,
    queue its delivery): it runs on the numbered invoice in the same transaction, so data the DIAN requires
    that is missing is a 409 and the transaction rolls back, number included. The caller loaded ``invoice``
    FOR UPDATE.
    """
    _require_draft(invoice, "issued")
    today = bogota_today()
    customer = _customer(session, invoice.customer_id)
    assert customer is not None  # the foreign key guarantees it
    if customer.status is not CustomerStatus.ACTIVE:
        raise Conflict(
            f"The customer {customer.razon_social} is INACTIVE: activate it before issuing invoices to it.",
            slug="customer-inactive",
        )
    due_date = invoice.due_date
    if invoice.payment_form is PaymentForm.CREDITO and due_date is None:
        raise Conflict("A CREDITO invoice needs a dueDate before it is issued.", slug="due-date-required")
    if due_date is not None and due_date < today:
        raise Conflict(
            f"The dueDate {due_date.isoformat()} is before the issue date {today.isoformat()}; change the draft.",
            slug="due-date-before-issue",
        )
    before = _audited(invoice)
    resolution = numbering.find_resolution(session, invoice.resolution_id, for_update=True)
    assert resolution is not None  # the foreign key guarantees it
    numbers: list[str] = []

    def number_it() -> None:
        # In the savepoint, so a refused number leaves the resolution's counter as it was.
        consecutive, number = numbering.take_next_number(resolution, today)
        numbers.append(number)
        now = utcnow()
        invoice.status = InvoiceStatus.ISSUED if invoice.total > 0 else InvoiceStatus.PAID
        invoice.prefix = resolution.prefix
        invoice.consecutive = consecutive
        invoice.number = number
        invoice.issue_date = today
        invoice.issued_at = now
        invoice.due_date = due_date or today
        for field in views.SNAPSHOT_FIELDS:
            setattr(invoice, f"customer_{field}", getattr(customer, field))
        invoice.customer_search = customer.razon_social_search
        invoice.updated_at = now

    if not apply_unless_violates(session, NUMBER_TAKEN, number_it):
        # Only prefixes registered before one could not extend another can get here.
        raise Conflict(
            f"The number {numbers[0]} is already taken by another invoice of this tenant; "
            "choose a resolution with another prefix.",
            slug="number-taken",
        )
    if seal is not None:
        seal(invoice, resolution)
    snapshot = views.snapshot(invoice, None).model_dump(mode="json", by_alias=True, include={*views.SNAPSHOT_FIELDS})
    _record(session, actor, invoice, "ISSUED", before, customer=snapshot)
    return invoice


# --- correcting a rejected invoice -------------------------------------------------------------


def correct(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    data: InvoiceCorrection,
    *,
    seal: Callable[[Invoice, NumberingResolution], None],
) -> Invoice:
    """A REJECTED invoice corrected under the same number (issue 25): the changes in ``data`` applied, the
    customer's fiscal data taken again (the rejection is often theirs), a new issue time (and date), and
    ``seal`` (flows.correct_and_resend: keep the rejected version, sign again, queue the delivery) in the same
    transaction. The caller loaded ``invoice`` FOR UPDATE."""
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID) or (
        invoice.electronic_status is not ElectronicStatus.REJECTED
    ):
        raise Conflict(
            f"Invoice {invoice.number or '(draft)'} is {invoice.status.value} and "
            f"{invoice.electronic_status.value}: only an invoice the DIAN rejected is corrected and sent again.",
            slug="not-rejected",
        )
    if invoice.credited_total != 0 or invoice.debited_total != 0:
        raise Conflict(
            f"Invoice {invoice.number} has credit or debit notes: it cannot be corrected.", slug="invalid-invoice-state"
        )
    refuse_nulls(data, "customer_id", "payment_form", "lines", "export", "currency")
    fields = data.model_dump(exclude_unset=True)
    before = _audited(invoice)
    customer_id = fields.get("customer_id", invoice.customer_id)
    customer = _customer_for_draft(session, customer_id)  # 400 when gone or INACTIVE
    invoice.customer_id = customer.id
    for name in ("payment_form", "payment_method", "due_date", "notes"):
        if name in fields:
            setattr(invoice, name, fields[name])
    if data.lines is not None:
        _set_lines(invoice, data.lines)
    for name in ("export", "currency", "exchange_rate"):  # an export invoice's, as on a draft (issue 25)
        if name in fields:
            setattr(invoice, name, fields[name])
    _check_currency_and_export(invoice, customer)
    today = bogota_today()
    due = invoice.due_date
    if due is not None and due < today:
        if "due_date" in fields or invoice.payment_form is PaymentForm.CREDITO:
            raise BadRequest.field("dueDate", f"must not be before the issue date {today.isoformat()}")
        due = None  # a CONTADO invoice is due on its (new) issue date
    if invoice.payment_form is PaymentForm.CREDITO and due is None:
        raise BadRequest.field("dueDate", "A CREDITO invoice needs a dueDate.")
    if invoice.amount_paid > invoice.total:
        raise BadRequest.field(
            "lines",
            f"The corrected total {format_money(invoice.total)} is less than the {format_money(invoice.amount_paid)} "
            "already paid.",
        )
    resolution = numbering.find_resolution(session, invoice.resolution_id, for_update=True)
    assert resolution is not None  # the foreign key guarantees it
    now = utcnow()
    invoice.issue_date = today
    invoice.issued_at = now
    invoice.due_date = due or today
    for field in views.SNAPSHOT_FIELDS:
        setattr(invoice, f"customer_{field}", getattr(customer, field))
    invoice.customer_search = customer.razon_social_search
    invoice.status = InvoiceStatus.PAID if invoice.balance == 0 else InvoiceStatus.ISSUED
    invoice.updated_at = now
    session.flush()
    rejected_cufe = invoice.cufe
    seal(invoice, resolution)
    _record(session, actor, invoice, "CORRECTED", before, rejectedCufe=rejected_cufe)
    return invoice


# --- payments and void ------------------------------------------------------------------------


def record_payment(session: TenantSession, actor: Principal, invoice: Invoice, data: PaymentCreate) -> InvoicePayment:
    """The caller loaded ``invoice`` FOR UPDATE, so the balance seen here is the balance."""
    if invoice.status is not InvoiceStatus.ISSUED:
        reason = {
            InvoiceStatus.DRAFT: "issue it first",
            InvoiceStatus.PAID: "it is fully paid",
            InvoiceStatus.VOID: "it was voided",
        }[invoice.status]
        raise Conflict(
            f"Invoice {invoice.number or '(draft)'} is {invoice.status.value}: payments are recorded only on "
            f"ISSUED invoices ({reason}).",
            slug="invalid-invoice-state",
        )
    balance = invoice.balance
    if data.amount > balance:
        raise BadRequest.field(
            "amount", f"{format_money(data.amount)} is more than the balance of {format_money(balance)}."
        )
    today = bogota_today()
    paid_on = data.date or today
    if paid_on > today:
        raise BadRequest.field("date", f"must not be in the future (today is {today.isoformat()})")
    if invoice.issue_date is not None and paid_on < invoice.issue_date:
        raise BadRequest.field("date", f"must not be before the issue date {invoice.issue_date.isoformat()}")
    before = _audited(invoice)
    payment = InvoicePayment(
        invoice_id=invoice.id,
        amount=data.amount,
        payment_date=paid_on,
        method=data.method,
        reference=data.reference,
        created_by=actor.user_id,
        created_at=utcnow(),
    )
    invoice.payments.append(payment)
    invoice.amount_paid = invoice.amount_paid + data.amount
    if invoice.balance == 0:
        invoice.status = InvoiceStatus.PAID
    invoice.updated_at = utcnow()
    session.flush()
    _record(
        session,
        actor,
        invoice,
        "PAYMENT_RECORDED",
        before,
        payment={
            "id": str(payment.id),
            "amount": format_money(payment.amount),
            "date": paid_on.isoformat(),
            "method": payment.method.value,
            "reference": payment.reference,
        },
    )
    return payment


def void(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    reason: str,
    *,
    annul: Callable[[Invoice], Any] | None = None,
) -> Invoice:
    """ISSUED (or PAID at a total of 0) without payments -> VOID. The number stays with it, never reused.

    An electronic invoice is never just flagged: ``annul`` (flows.void_invoice) issues the credit note with
    concept 2 (anulación) for what is left of it, which makes it VOID; without it, voiding one is refused.
    """
    zero_total_paid = invoice.status is InvoiceStatus.PAID and invoice.total == 0
    if invoice.status is not InvoiceStatus.ISSUED and not zero_total_paid:
        raise Conflict(
            f"Invoice {invoice.number or '(draft)'} is {invoice.status.value}: only an ISSUED invoice can be voided"
            + (" (delete a draft instead)." if invoice.status is InvoiceStatus.DRAFT else "."),
            slug="invalid-invoice-state",
        )
    if invoice.amount_paid != 0 or invoice.payments:
        raise Conflict(
            f"Invoice {invoice.number} has payments recorded and cannot be voided.",
            slug="invoice-has-payments",
        )
    before = _audited(invoice)
    if invoice.cufe is not None:
        if annul is None:
            raise RuntimeError("an electronic invoice is voided by its anulación note: call flows.void_invoice")
        note = annul(invoice)
        _record(session, actor, invoice, "VOIDED", before, creditNote={"id": str(note.id), "number": note.number})
        return invoice
    now = utcnow()
    invoice.status = InvoiceStatus.VOID
    invoice.void_reason = reason
    invoice.voided_at = now
    invoice.updated_at = now
    session.flush()
    _record(session, actor, invoice, "VOIDED", before)
    return invoice


def signed_xml(session: TenantSession, invoice: Invoice) -> bytes:
    """The stored signed XML; 409 when the invoice has none (a draft, or not an electronic invoice)."""
    if invoice.status is InvoiceStatus.DRAFT:
        raise Conflict("A DRAFT has no electronic document yet: issue it first.", slug="invalid-invoice-state")
    xml = session.scalar(select(Invoice.signed_xml).where(Invoice.id == invoice.id))
    if xml is None:
        raise Conflict(
            f"Invoice {invoice.number} was issued without electronic-invoicing settings: it has no XML.",
            slug="not-an-electronic-invoice",
        )
    return xml


def load_full(session: TenantSession, invoice_id: uuid.UUID) -> Invoice:
    return session.scalars(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.payments))
    ).one()
