"""Notas crédito y débito from an invoice's page (issue 26): the clerk picks the invoice's lines and units (or an
amount for a discount), sees the note's totals before issuing it (htmx preview, the service's own lines and
checks: einvoicing.notes.build_lines), confirms, and the note is issued by the flow the API uses
(flows.issue_note). Each note's PDF and XML are the API's (delivery.service.note_pdf, the signed XML stored)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from nitida import flows
from nitida.core.errors import AppError, Conflict, NotFound
from nitida.delivery import service as delivery
from nitida.einvoicing import note_lines, notes
from nitida.einvoicing.access import NOTES
from nitida.einvoicing.models import InvoiceNote
from nitida.einvoicing.schemas import CreditNoteCreate, DebitNoteCreate
from nitida.invoices import service
from nitida.invoices.models import Invoice, InvoiceStatus
from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import NoteKind
from nitida.web import formatting, messages
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, validate
from nitida.web.invoice_form import number
from nitida.web.rendering import page

router = APIRouter(include_in_schema=False)

SLUG = {NoteKind.CREDIT: "nota-credito", NoteKind.DEBIT: "nota-debito"}
TITLE = {NoteKind.CREDIT: "Nota crédito", NoteKind.DEBIT: "Nota débito"}
CONCEPTS = {NoteKind.CREDIT: codelists.CREDIT_NOTE_CONCEPTS, NoteKind.DEBIT: codelists.DEBIT_NOTE_CONCEPTS}
NOTICE = {NoteKind.CREDIT: "nota_credito", NoteKind.DEBIT: "nota_debito"}
# The anulación is the invoice's Anular (flows.void_invoice): this page offers the partial credit concepts.
PAGE_CONCEPTS = {
    NoteKind.CREDIT: [(c, n) for c, n in codelists.CREDIT_NOTE_CONCEPTS.items() if c != notes.ANULACION],
    NoteKind.DEBIT: list(codelists.DEBIT_NOTE_CONCEPTS.items()),
}
HINTS = {
    "1": "Devolución: indica, por línea, las unidades devueltas.",
    "3": "Rebaja o descuento: unidades o valores por línea, o un valor de descuento sobre toda la factura.",
    "4": "Ajuste de precio: indica, por línea, el valor (antes de impuestos) que se rebaja.",
    "5": "Descuento por pronto pago: un valor sobre toda la factura, o valores por línea.",
    "6": "Descuento por volumen de ventas: un valor sobre toda la factura, o valores por línea.",
}


@dataclass(frozen=True)
class LineRow:
    """One of the invoice's lines as the form offers it, with what is left of it to credit."""

    number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    taxes: str
    left_quantity: Decimal
    left_base: Decimal


def _rows(ctx: WebContext, invoice: Invoice) -> list[LineRow]:
    book = notes.ledger_of(ctx.session, invoice)
    rows = []
    for entry in book.invoice_lines:
        raw = entry.raw
        taxes = ", ".join(f"{t['type']} {formatting.percent(Decimal(t['rate']))}" for t in raw["taxes"]) or "Excluida"
        rows.append(
            LineRow(
                number=entry.number,
                description=raw["description"],
                quantity=Decimal(str(raw["quantity"])),
                unit_price=Decimal(str(raw["unitPrice"])),
                discount_percent=Decimal(str(raw["discountPercent"])),
                taxes=taxes,
                left_quantity=max(entry.quantity, Decimal(0)),
                left_base=max(entry.base, Decimal(0)),
            )
        )
    return rows


def _values(ctx: WebContext, count: int) -> dict[str, str]:
    names = ["concepto", "descripcion", "valor_descuento"] + [
        f"{what}_{n}" for n in range(1, count + 1) for what in ("cantidad", "valor")
    ]
    return {name: ctx.field(name).strip() for name in names}


@dataclass
class Parsed:
    body: dict[str, Any]
    names: dict[str, str]  # API field -> form field


def _parse(values: dict[str, str], count: int) -> Parsed:
    items: list[dict[str, Any]] = []
    names = {"concept": "concepto", "description": "descripcion", "amount": "valor_descuento", "items": "general"}
    for n in range(1, count + 1):
        quantity, amount = values[f"cantidad_{n}"], values[f"valor_{n}"]
        if not quantity and not amount:
            continue
        item: dict[str, Any] = {"line": n}
        field = f"cantidad_{n}" if quantity else f"valor_{n}"
        if quantity:
            item["quantity"] = number(quantity)
        if amount:
            item["amount"] = number(amount)
        i = len(items)
        # An error on the part not given (a return's units, an adjustment's value) goes beside what was typed.
        quantity_field = f"cantidad_{n}" if quantity else field
        amount_field = f"valor_{n}" if amount else field
        for key in (f"items.{i}", f"items[{i}]"):
            names.update({key: field, f"{key}.quantity": quantity_field, f"{key}.amount": amount_field})
        items.append(item)
    body: dict[str, Any] = {"concept": values["concepto"] or None, "description": values["descripcion"]}
    if items:
        body["items"] = items
    if values["valor_descuento"]:
        body["amount"] = number(values["valor_descuento"])
    return Parsed(body, names)


# --- errors in Spanish ------------------------------------------------------------------------------

_LINE_UNITS = re.compile(r"line (\d+) \((.*)\): (\S+) units are left to credit, (\S+) units asked")
_LINE_VALUE = re.compile(r"line (\d+) \((.*)\): (\S+) of its value is left to credit, (\S+) asked")
_LEFT = re.compile(r"at most (\S+) is left")
_BY_MESSAGE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^give either quantity or amount"), "Indica la cantidad o el valor de la línea, no ambos."),
    (re.compile(r"^give only one of lines, items and amount"), "Indica valores por línea o un valor total, no ambos."),
    (re.compile(r"return \(concept 1\) gives the units"), "Una devolución indica las unidades devueltas, no un valor."),
    (
        re.compile(r"price adjustment \(concept 4\) gives the amount"),
        "Un ajuste de precio indica un valor, no unidades.",
    ),
    (
        re.compile(r"return \(concept 1\) or a price adjustment \(concept 4\) names"),
        "Una devolución o un ajuste de precio se indica por líneas, no con un valor sobre toda la factura.",
    ),
    (re.compile(r"total must be more than 0|a debit note gives"), "Indica qué líneas y cuánto, o un valor."),
    (re.compile(r"the invoice has \d+ lines?"), "Esa línea no es de la factura."),
]


def _spanish(message: str) -> str:
    found = _LINE_UNITS.search(message)
    if found:
        n, _, left, asked = found.groups()
        return f"De la línea {n} quedan {formatting.quantity(Decimal(left))} por acreditar; pediste {formatting.quantity(Decimal(asked))}."
    found = _LINE_VALUE.search(message)
    if found:
        n, _, left, asked = found.groups()
        asked = asked.split()[0]
        return (
            f"De la línea {n} quedan {formatting.money(Decimal(left))} (antes de impuestos) por acreditar; "
            f"pediste {formatting.money(Decimal(asked))}."
        )
    found = _LEFT.search(message)
    if found:
        return f"Queda como máximo {formatting.money(Decimal(found.group(1)))} antes de impuestos."
    return next((text for pattern, text in _BY_MESSAGE if pattern.search(message)), messages.spanish(message))


def _form_errors(exc: AppError, names: dict[str, str]) -> FormErrors:
    fields: dict[str, str] = {}
    general: str | None = None
    for e in exc.errors or []:
        target = names.get(e.field, e.field)
        text = _spanish(e.message)
        if target in ("general", "lines"):
            general = text
        else:
            fields.setdefault(target, text)
    if not exc.errors:
        text = _spanish(exc.detail)
        if text == messages.GENERIC:
            _, general = messages.of_app_error(exc)
        else:
            general = text
    return FormErrors(fields=fields, general=general)


def _validated(kind: NoteKind, parsed: Parsed) -> Any:
    model = CreditNoteCreate if kind is NoteKind.CREDIT else DebitNoteCreate
    try:
        return validate(model, parsed.body, parsed.names)
    except FormInvalid as exc:
        fields = {}
        general = exc.errors.general
        for name, text in exc.errors.fields.items():
            target = parsed.names.get(name, name)
            if target == "general":
                general = text
            else:
                fields[target] = text
        raise FormInvalid(FormErrors(fields=fields, general=general)) from None


def _call(ctx: WebContext, parsed: Parsed, run: Any) -> Any:
    try:
        with ctx.session.begin_nested():
            return run()
    except AppError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        raise FormInvalid(_form_errors(exc, parsed.names), 409 if isinstance(exc, Conflict) else 422) from None


# --- pages ----------------------------------------------------------------------------------------------


def _invoice(ctx: WebContext, invoice_id: str, *, for_update: bool = False) -> Invoice:
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=for_update)
    ctx.require(NOTES, "write")
    return invoice


def _render(
    request: Request,
    ctx: WebContext,
    invoice: Invoice,
    kind: NoteKind,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    preview: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = _rows(ctx, invoice)
    values = values or {"concepto": "", "descripcion": "", "valor_descuento": ""}
    return page(
        request,
        ctx,
        "notas/nueva.html",
        nav="facturas",
        invoice=invoice,
        currency=invoice.currency,  # an export invoice's notes are in its currency (issue 25)
        kind=kind.value,
        slug=SLUG[kind],
        title=TITLE[kind],
        concepts=PAGE_CONCEPTS[kind],
        hints=HINTS if kind is NoteKind.CREDIT else {},
        rows=rows,
        values=values,
        errors=errors or FormErrors(),
        preview=preview,
        open_for_notes=invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PAID) and invoice.cufe is not None,
        status_code=status_code,
    )


def note_form(request: Request, ctx: WebContext, invoice_id: str, kind: NoteKind) -> HTMLResponse:
    invoice = _invoice(ctx, invoice_id)
    return _render(request, ctx, invoice, kind)


def note_preview(request: Request, ctx: WebContext, invoice_id: str, kind: NoteKind) -> HTMLResponse:
    """The note's lines and totals as they would be issued, or why it would be refused (htmx fragment)."""
    invoice = _invoice(ctx, invoice_id)
    count = len(invoice.lines)
    values = _values(ctx, count)
    parsed = _parse(values, count)
    preview: Any = None
    errors = FormErrors()
    if values["concepto"] and (len(parsed.body) > 2):
        try:
            data = _validated(kind, parsed)
            preview = _call(
                ctx,
                parsed,
                lambda: notes.build_lines(
                    ctx.session,
                    invoice,
                    kind,
                    concept=str(data.concept),
                    description=data.description or "Vista previa",
                    lines=None,
                    items=data.items,
                    amount=data.amount,
                ),
            )
        except FormInvalid as exc:
            errors = exc.errors
    return page(
        request,
        ctx,
        "notas/_vista_previa.html",
        preview=preview,
        errors=errors,
        lines=_preview_lines(preview),
        currency=invoice.currency,  # an export invoice's notes are in its currency (issue 25)
    )


def _preview_lines(preview: Any) -> list[dict[str, Any]]:
    if preview is None:
        return []
    out = []
    for raw, lt in zip(preview.lines, preview.computed.lines, strict=True):
        out.append(
            {
                "line": raw.get(note_lines.INVOICE_LINE),
                "description": raw["description"],
                "quantity": Decimal(str(raw["quantity"])),
                "unit_price": Decimal(str(raw["unitPrice"])),
                "total": lt.total,
            }
        )
    return out


def issue_note(request: Request, ctx: WebContext, invoice_id: str, kind: NoteKind) -> Response:
    invoice = _invoice(ctx, invoice_id, for_update=True)
    count = len(invoice.lines)
    values = _values(ctx, count)
    parsed = _parse(values, count)
    try:
        if "items" not in parsed.body and "amount" not in parsed.body:
            # the page never credits the whole invoice by default: the clerk says what (Anular voids it)
            raise FormInvalid(FormErrors(general="Indica qué líneas y cuánto, o un valor."))
        data = _validated(kind, parsed)
        _call(
            ctx,
            parsed,
            lambda: flows.issue_note(
                ctx.session,
                ctx.principal,
                invoice,
                kind,
                concept=str(data.concept),
                description=data.description,
                lines=None,
                items=data.items,
                amount=data.amount,
                secret_key=request.app.state.settings.secret_key,
            ),
        )
    except FormInvalid as exc:
        return _render(request, ctx, invoice, kind, values, exc.errors, status_code=exc.status)
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso={NOTICE[kind]}", status_code=303)


@router.get("/app/facturas/{invoice_id}/nota-credito")
def credit_note_form(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    return note_form(request, ctx, invoice_id, NoteKind.CREDIT)


@router.post("/app/facturas/{invoice_id}/nota-credito/vista-previa")
def credit_note_preview(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    return note_preview(request, ctx, invoice_id, NoteKind.CREDIT)


@router.post("/app/facturas/{invoice_id}/nota-credito")
def issue_credit_note(request: Request, ctx: Web, invoice_id: str) -> Response:
    return issue_note(request, ctx, invoice_id, NoteKind.CREDIT)


@router.get("/app/facturas/{invoice_id}/nota-debito")
def debit_note_form(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    return note_form(request, ctx, invoice_id, NoteKind.DEBIT)


@router.post("/app/facturas/{invoice_id}/nota-debito/vista-previa")
def debit_note_preview(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    return note_preview(request, ctx, invoice_id, NoteKind.DEBIT)


@router.post("/app/facturas/{invoice_id}/nota-debito")
def issue_debit_note(request: Request, ctx: Web, invoice_id: str) -> Response:
    return issue_note(request, ctx, invoice_id, NoteKind.DEBIT)


# --- a note's files -------------------------------------------------------------------------------------


def _note(ctx: WebContext, note_id: str) -> InvoiceNote:
    try:
        wanted = uuid.UUID(note_id)
    except ValueError:
        raise NotFound("Note not found.") from None
    note = ctx.session.scalar(select(InvoiceNote).where(InvoiceNote.id == wanted))
    if note is None:
        raise NotFound("Note not found.")
    ctx.require(NOTES, "read")
    return note


@router.get("/app/notas/{note_id}/pdf")
def note_pdf(request: Request, ctx: Web, note_id: str) -> Response:
    """The note's representación gráfica: the API's very document (delivery.service.note_pdf)."""
    note = _note(ctx, note_id)
    try:
        content = delivery.note_pdf(ctx.session, note, request.app.state.settings.secret_key)
    except Conflict:
        raise NotFound("The note has no printed form: electronic invoicing is no longer configured.") from None
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{note.number}.pdf"'},
    )


@router.get("/app/notas/{note_id}/xml")
def note_xml(ctx: Web, note_id: str) -> Response:
    """The signed note as it was signed and stored (what GET /billing/credit-notes/:id/xml serves)."""
    note = _note(ctx, note_id)
    return Response(
        note.signed_xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{note.number}.xml"'},
    )
