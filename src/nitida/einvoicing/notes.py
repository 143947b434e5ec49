"""Credit notes (notas crédito) and debit notes (notas débito) of issued electronic invoices.

A note is issued, signed and stored in one transaction, with its own gap-free
consecutive per tenant and kind: the transaction locks the tenant's settings row
(FOR UPDATE), takes ``next_credit_note`` / ``next_debit_note`` and increments it,
as invoices.numbering does with a resolution's counter; a failure rolls both back.

How notes move an invoice (the caller holds the invoice row FOR UPDATE):

* a credit note lowers what is owed (``credited_total``); it may take back at most the
  uncredited total (total + debits − credits) and never more than the open balance: money
  already paid would need a refund, which this service does not record (409 either way);
* the balance reaching 0 makes the invoice PAID, except for a concept-2 note (anulación),
  which must cover the whole uncredited total and makes it VOID; it names no lines and credits what
  is left of the invoice, whatever credit and debit notes came before (``note_lines.Ledger``),
  and on a zero-total invoice it is a note of zero;
* a note's lines are tied to the invoice's (issue 25, ``note_lines``): ``items`` name a line and
  units or an amount of it, built from the line itself (its taxes); a return (concept 1) gives
  units, a price adjustment (concept 4) amounts, a discount (3, 5, 6) either or an ``amount`` of
  the whole; no credit takes more of a line, or of a combination of taxes, than is left of it;
* a debit note raises what is owed (``debited_total``); a PAID invoice goes back to ISSUED;
* DRAFT and VOID invoices take no notes; a tenant without electronic-invoicing settings,
  or an invoice issued before they existed (no CUFE), neither: 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from nitida.audit import service as audit
from nitida.core.clock import BOGOTA
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError, NotFound
from nitida.core.ids import get_or_404
from nitida.core.integrity import Constraint, apply_unless_violates
from nitida.core.money import CENT, MAX_MONEY, ZERO, format_money
from nitida.core.principal import Principal
from nitida.einvoicing import documents, note_lines
from nitida.einvoicing import service as einvoicing
from nitida.einvoicing.models import InvoiceNote
from nitida.einvoicing.schemas import NoteItemIn, NoteLineRead, NoteRead
from nitida.invoices import stored, totals
from nitida.invoices.models import Invoice, InvoiceStatus
from nitida.invoices.schemas import LineIn, TaxGroupRead, TaxRead
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind

ENTITY = {NoteKind.CREDIT: "credit_note", NoteKind.DEBIT: "debit_note"}
LABEL = {NoteKind.CREDIT: "credit note", NoteKind.DEBIT: "debit note"}
CONCEPTS = {NoteKind.CREDIT: codelists.CREDIT_NOTE_CONCEPTS, NoteKind.DEBIT: codelists.DEBIT_NOTE_CONCEPTS}
ANULACION = "2"
RETURN = "1"
PRICE_ADJUSTMENT = "4"
NUMBER_TAKEN = Constraint(
    "uq_invoice_notes_tenant_number", "UNIQUE constraint failed: invoice_notes.tenant_id, invoice_notes.number"
)


def ledger_of(session: TenantSession, invoice: Invoice) -> note_lines.Ledger:
    """What is left of each of the invoice's lines after its notes, in the order they were issued."""
    rows = session.scalars(
        select(InvoiceNote)
        .where(InvoiceNote.invoice_id == invoice.id)
        .order_by(InvoiceNote.issued_at, InvoiceNote.kind, InvoiceNote.consecutive)
    ).all()
    return note_lines.ledger(
        [stored.of_row(row) for row in invoice.lines], [(n.kind is NoteKind.CREDIT, list(n.lines)) for n in rows]
    )


def _require_electronic(invoice: Invoice, kind: NoteKind) -> None:
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        raise Conflict(
            f"Invoice {invoice.number or '(draft)'} is {invoice.status.value}: {LABEL[kind]}s are issued only for "
            "ISSUED or PAID invoices.",
            slug="invalid-invoice-state",
        )
    if invoice.cufe is None:
        raise Conflict(
            f"Invoice {invoice.number} is not an electronic invoice (issued before electronic invoicing was "
            f"configured): it cannot take a {LABEL[kind]}.",
            slug="not-an-electronic-invoice",
        )


def require_accepted(invoice: Invoice, action: str) -> None:
    """No note may reference a document the DIAN did not accept (issue 25): a credit or debit note, or the
    anulación of a void, names the invoice's CUFE, which the DIAN knows only once it validated the invoice.
    ``action`` says what was refused ("voided", "given a credit note"). A non-electronic invoice passes (the
    note's own checks refuse it)."""
    if invoice.cufe is None or invoice.electronic_status is ElectronicStatus.ACCEPTED:
        return
    if invoice.electronic_status is ElectronicStatus.REJECTED:
        raise Conflict(
            f"Invoice {invoice.number} was rejected by the DIAN: it cannot be {action}, since a note would reference "
            f"a CUFE the DIAN never validated. Correct it and send it again under the same number instead "
            f"(POST /billing/invoices/{invoice.id}/correction).",
            slug="invoice-rejected-by-dian",
        )
    raise Conflict(
        f"Invoice {invoice.number} is {invoice.electronic_status.value}: the DIAN has not accepted it yet, so it "
        f"cannot be {action} (a note would reference a CUFE the DIAN has not validated). Wait for the DIAN's answer "
        f"(GET /billing/invoices/{invoice.id}/dian-messages); if it rejects the invoice, correct it and send it again.",
        slug="invoice-not-accepted-yet",
    )


def _unconfigured() -> Conflict:
    return Conflict(
        "Configure electronic invoicing first (PUT /billing/issuer and PUT /billing/electronic-invoicing): "
        "credit and debit notes are electronic documents.",
        slug="electronic-invoicing-not-configured",
    )


def note_document(
    invoice: Invoice,
    kind: NoteKind,
    number: str,
    issued_at: datetime,
    lines: list[dict[str, Any]],
    concept: str,
    description: str,
    signer: einvoicing.Signer,
) -> documents.Document:
    """A note as the DIAN's document: what is signed when it is issued, and what its PDF prints since."""
    assert invoice.number is not None and invoice.issue_date is not None
    fig = einvoicing.figures([stored.to_line(raw) for raw in lines], [raw["description"] for raw in lines])
    return documents.Document(
        kind=documents.DocumentKind.CREDIT_NOTE if kind is NoteKind.CREDIT else documents.DocumentKind.DEBIT_NOTE,
        number=number,
        issue_datetime=issued_at,
        supplier=signer.supplier,
        customer=einvoicing.customer_party(invoice),
        lines=fig.lines,
        tax_totals=fig.tax_totals,
        totals=fig.totals,
        software=signer.software,
        payment=einvoicing.payment_of(invoice),
        billing_reference=documents.BillingReference(invoice.number, invoice.cufe or "", invoice.issue_date),
        concept_code=concept,
        concept_description=description,
        # A note of an export invoice is in the invoice's currency, at its exchange rate (issue 25).
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
    )


@dataclass(frozen=True)
class NoteLines:
    """A note's lines as they will be stored and signed, and their totals."""

    lines: list[dict[str, Any]]
    computed: totals.Totals


def build_lines(
    session: TenantSession,
    invoice: Invoice,
    kind: NoteKind,
    *,
    concept: str,
    description: str,
    lines: list[LineIn] | None,
    items: list[NoteItemIn] | None = None,
    amount: Decimal | None = None,
) -> NoteLines:
    """The note's lines and totals, with every check a note passes before it is signed (the page's preview
    shows exactly what would be issued): lines tied to the invoice's, never more of a line than is left."""
    _require_electronic(invoice, kind)
    book = ledger_of(session, invoice)
    if kind is NoteKind.CREDIT:
        note_lines_ = _credit_lines(book, invoice, concept, description, lines, items, amount)
    else:
        note_lines_ = _debit_lines(book, description, lines, items, amount)
    computed = totals.compute([stored.to_line(raw) for raw in note_lines_])
    # A zero-total invoice is voided by an anulación of its (zero) lines: nothing else may be zero.
    voids_nothing_owed = concept == ANULACION and kind is NoteKind.CREDIT and invoice.uncredited_total == 0
    if computed.total <= 0 and not (voids_nothing_owed and computed.total == 0):
        raise BadRequest.field("lines", f"the {LABEL[kind]}'s total must be more than 0")
    if computed.total > MAX_MONEY:
        raise BadRequest.field("lines", f"the {LABEL[kind]}'s total would exceed {format_money(MAX_MONEY)}")
    if kind is NoteKind.CREDIT:
        # Each document's tax group is its base × rate rounded to the cent (FAS07): what is left of an invoice
        # after notes may differ from an anulación of it by those roundings, a cent per group and document.
        tolerance = CENT * max(len(computed.groups), 1) * (book.notes_count + 1) if concept == ANULACION else ZERO
        _check_credit(invoice, computed.total, concept, tolerance)
    return NoteLines(note_lines_, computed)


def _credit_lines(
    book: note_lines.Ledger,
    invoice: Invoice,
    concept: str,
    description: str,
    lines: list[LineIn] | None,
    items: list[NoteItemIn] | None,
    amount: Decimal | None,
) -> list[dict[str, Any]]:
    if concept == ANULACION:
        if lines is not None or items is not None or amount is not None:
            raise Conflict(
                f"An anulación (concept 2) credits the whole uncredited total of invoice {invoice.number} "
                f"({format_money(invoice.uncredited_total)}), whatever notes came before: it names no lines, items "
                "or amount; use concept 1, 3, 4, 5 or 6 for part of it.",
                slug="anulacion-must-be-whole",
            )
        return book.what_is_left(f"Anulación del saldo de la factura {invoice.number}") or [
            stored.of_row(row) for row in invoice.lines
        ]
    if items is not None:
        for i, item in enumerate(items):
            if concept == RETURN and item.quantity is None:
                raise BadRequest.field(f"items[{i}].quantity", "a return (concept 1) gives the units returned")
            if concept == PRICE_ADJUSTMENT and item.amount is None:
                raise BadRequest.field(
                    f"items[{i}].amount", "a price adjustment (concept 4) gives the amount of the line's value"
                )
        raws = note_lines.from_items(book, items)
        wheres = [f"items[{i}]" for i in range(len(items))]
    elif amount is not None:
        if concept in (RETURN, PRICE_ADJUSTMENT):
            raise BadRequest.field(
                "amount", "a return (concept 1) or a price adjustment (concept 4) names the invoice's lines in items"
            )
        left = book.left_total()
        if amount > left:
            raise Conflict(
                f"amount: a discount of {format_money(amount)} is more than is left of invoice {invoice.number}'s "
                f"lines before taxes ({format_money(left)}).",
                errors=[FieldError(field="amount", message=f"at most {format_money(left)} is left")],
                slug="credit-exceeds-lines",
            )
        raws = book.split(amount, description)
        wheres = ["amount"] * len(raws)
    elif lines is not None:
        if concept == PRICE_ADJUSTMENT:
            raise BadRequest.field("lines", "a price adjustment (concept 4) names the invoice's lines in items")
        raws = [stored.of_input(line) for line in lines]
        if concept == RETURN:
            raws = note_lines.match_invoice_lines(book, raws)
        wheres = [f"lines[{i}]" for i in range(len(raws))]
    else:
        raws = [{**stored.of_row(row), note_lines.INVOICE_LINE: i} for i, row in enumerate(invoice.lines, start=1)]
        wheres = ["lines"] * len(raws)
    for raw, where in zip(raws, wheres, strict=True):
        book.credit(raw, strict=True, where=where)
    return raws


def _debit_lines(
    book: note_lines.Ledger,
    description: str,
    lines: list[LineIn] | None,
    items: list[NoteItemIn] | None,
    amount: Decimal | None,
) -> list[dict[str, Any]]:
    if items is not None:
        return note_lines.from_items(book, items)
    if amount is not None:
        return book.split(amount, description, of_left=False)
    if lines is not None:
        return [stored.of_input(line) for line in lines]
    raise BadRequest.field("lines", "a debit note gives its lines, the invoice's lines (items) or an amount")


def create_note(
    session: TenantSession,
    actor: Principal,
    invoice: Invoice,
    kind: NoteKind,
    *,
    concept: str,
    description: str,
    lines: list[LineIn] | None,
    secret_key: str | None,
    items: list[NoteItemIn] | None = None,
    amount: Decimal | None = None,
) -> InvoiceNote:
    """Issue, sign and store a note for ``invoice`` (which the caller loaded FOR UPDATE); flows.issue_note
    queues its delivery."""
    signer = einvoicing.signer(session, secret_key, lock=True)
    if signer is None:
        raise _unconfigured()
    built = build_lines(
        session, invoice, kind, concept=concept, description=description, lines=lines, items=items, amount=amount
    )
    note_lines_, computed = built.lines, built.computed
    settings = signer.settings
    if kind is NoteKind.CREDIT:
        prefix, consecutive = settings.credit_note_prefix, settings.next_credit_note
        settings.next_credit_note = consecutive + 1
    else:
        prefix, consecutive = settings.debit_note_prefix, settings.next_debit_note
        settings.next_debit_note = consecutive + 1
    settings.updated_at = utcnow()
    number = f"{prefix}{consecutive}"
    issued_at = utcnow()
    doc = note_document(invoice, kind, number, issued_at, note_lines_, concept, description, signer)
    emitted = einvoicing.emit_or_409(doc, signer.certificate, f"The {LABEL[kind]} {number}")
    note = InvoiceNote(
        invoice_id=invoice.id,
        kind=kind,
        prefix=prefix,
        consecutive=consecutive,
        number=number,
        concept=concept,
        description=description,
        issue_date=issued_at.astimezone(BOGOTA).date(),
        issued_at=issued_at,
        lines=note_lines_,
        subtotal=computed.subtotal,
        tax_total=computed.tax_total,
        total=computed.total,
        cude=emitted.document_key,
        qr_data=emitted.qr_data,
        electronic_status=ElectronicStatus.SIGNED,
        signed_xml=emitted.xml,
        created_by=actor.user_id,
        created_at=issued_at,
    )
    if not apply_unless_violates(session, NUMBER_TAKEN, lambda: session.add(note)):
        raise Conflict(
            f"The number {number} is already taken by another note of this business (the note prefixes were "
            "changed to one in use): choose other prefixes in PUT /billing/electronic-invoicing.",
            slug="number-taken",
        )
    before = _invoice_audited(invoice)
    if kind is NoteKind.CREDIT:
        # An anulación leaves nothing owed, whatever cents the tax groups' rounding made it differ by.
        invoice.credited_total = (
            invoice.total + invoice.debited_total if concept == ANULACION else invoice.credited_total + computed.total
        )
        if concept == ANULACION:
            invoice.status = InvoiceStatus.VOID
            invoice.void_reason = description
            invoice.voided_at = issued_at
        elif invoice.balance == 0:
            invoice.status = InvoiceStatus.PAID
    else:
        invoice.debited_total = invoice.debited_total + computed.total
        if invoice.status is InvoiceStatus.PAID:
            invoice.status = InvoiceStatus.ISSUED
    invoice.updated_at = issued_at
    session.flush()
    audit.record(
        session,
        actor,
        entity_type=ENTITY[kind],
        entity_id=note.id,
        action="ISSUED",
        changes=audit.diff({}, _note_audited(note, invoice)),
    )
    changes = audit.diff(before, _invoice_audited(invoice))
    changes[ENTITY[kind]] = {
        "from": None,
        "to": {"id": str(note.id), "number": number, "total": format_money(note.total)},
    }
    audit.record(
        session,
        actor,
        entity_type="invoice",
        entity_id=invoice.id,
        action="CREDITED" if kind is NoteKind.CREDIT else "DEBITED",
        changes=changes,
    )
    return note


def _check_credit(invoice: Invoice, amount: Decimal, concept: str, tolerance: Decimal = ZERO) -> None:
    uncredited = invoice.uncredited_total
    if concept == ANULACION:
        if abs(amount - uncredited) > tolerance:
            raise Conflict(
                f"An anulación (concept 2) credits the whole uncredited total of invoice {invoice.number} "
                f"({format_money(uncredited)}), not {format_money(amount)}; use concept 1, 3, 4, 5 or 6 for part of it.",
                slug="anulacion-must-be-whole",
            )
        if invoice.amount_paid > 0:
            raise Conflict(
                f"An anulación of invoice {invoice.number} would credit {format_money(invoice.amount_paid)} already "
                "paid, and a refund is not recorded by this service.",
                slug="credit-exceeds-balance",
            )
        return
    if amount > uncredited:
        raise Conflict(
            f"A credit note of {format_money(amount)} is more than the uncredited total of invoice "
            f"{invoice.number} ({format_money(uncredited)}).",
            slug="credit-exceeds-invoice",
        )
    if amount > invoice.balance:
        raise Conflict(
            f"A credit note of {format_money(amount)} is more than the open balance of invoice {invoice.number} "
            f"({format_money(invoice.balance)}): {format_money(invoice.amount_paid)} is already paid, and a refund "
            "is not recorded by this service.",
            slug="credit-exceeds-balance",
        )


def _invoice_audited(invoice: Invoice) -> dict[str, Any]:
    return {
        "status": invoice.status.value,
        "creditedTotal": format_money(invoice.credited_total),
        "debitedTotal": format_money(invoice.debited_total),
        "balance": format_money(invoice.balance),
        "voidReason": invoice.void_reason,
    }


def _note_audited(note: InvoiceNote, invoice: Invoice) -> dict[str, Any]:
    return {
        "number": note.number,
        "invoiceId": str(invoice.id),
        "invoiceNumber": invoice.number,
        "concept": note.concept,
        "description": note.description,
        "lines": note.lines,
        "total": format_money(note.total),
        "cude": note.cude,
    }


# --- reading ------------------------------------------------------------------------


def get_note(session: TenantSession, kind: NoteKind, raw_id: str) -> InvoiceNote:
    what = "Credit note" if kind is NoteKind.CREDIT else "Debit note"
    note = get_or_404(session, InvoiceNote, raw_id, what)
    if note.kind is not kind:
        raise NotFound(f"{what} not found.")
    return note


def list_notes(
    session: TenantSession, kind: NoteKind, *, invoice_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[int, list[InvoiceNote]]:
    conditions = [InvoiceNote.kind == kind]
    if invoice_id is not None:
        conditions.append(InvoiceNote.invoice_id == invoice_id)
    total = session.scalar(select(func.count()).select_from(InvoiceNote).where(*conditions)) or 0
    rows = session.scalars(
        select(InvoiceNote)
        .where(*conditions)
        .order_by(InvoiceNote.issued_at.desc(), InvoiceNote.consecutive.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def note_read(session: TenantSession, note: InvoiceNote) -> NoteRead:
    invoice_number = session.scalar(select(Invoice.number).where(Invoice.id == note.invoice_id)) or ""
    total_lines = [stored.to_line(raw) for raw in note.lines]
    computed = totals.compute(total_lines)
    return NoteRead(
        id=note.id,
        kind=note.kind,
        invoice_id=note.invoice_id,
        invoice_number=invoice_number,
        number=note.number,
        prefix=note.prefix,
        consecutive=note.consecutive,
        concept=note.concept,
        concept_name=CONCEPTS[note.kind].get(note.concept, ""),
        description=note.description,
        issue_date=note.issue_date,
        issued_at=note.issued_at,
        lines=[
            NoteLineRead(
                description=raw["description"],
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                taxes=[TaxRead(type=t.type, rate=t.rate, amount=t.amount) for t in lt.taxes],
                base=lt.base,
                tax_total=lt.tax_total,
                total=lt.total,
                invoice_line=raw.get(note_lines.INVOICE_LINE),
            )
            for raw, line, lt in zip(note.lines, total_lines, computed.lines, strict=True)
        ],
        taxes=[
            TaxGroupRead(type=g.type, rate=g.rate, taxable_amount=g.taxable_amount, tax_amount=g.tax_amount)
            for g in computed.groups
        ],
        subtotal=note.subtotal,
        tax_total=note.tax_total,
        total=note.total,
        cude=note.cude,
        qr_data=note.qr_data,
        electronic_status=note.electronic_status,
        created_at=note.created_at,
    )
