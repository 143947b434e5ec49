"""Facturas: the list, the editor with live totals (the server's own totals
code), the invoice's page with payments, and voiding with a confirmation."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from nitida import flows
from nitida.audit.service import history
from nitida.core import bounds, spreadsheets
from nitida.core.clock import bogota_today
from nitida.customers import search as customer_lists
from nitida.customers import service as customers
from nitida.customers.models import Customer, CustomerStatus
from nitida.delivery import service as delivery
from nitida.delivery.access import DELIVERY
from nitida.einvoicing import notes
from nitida.einvoicing import service as einvoicing
from nitida.invoices import numbering, service
from nitida.invoices import views as invoice_views
from nitida.invoices.access import INVOICES
from nitida.invoices.models import InvoiceStatus, NumberingResolution, PaymentMethod
from nitida.invoices.schemas import InvoiceCreate, InvoiceUpdate, PaymentCreate, VoidRequest
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind
from nitida.web import invoice_form, labels, messages, pages_business, pages_delivery, pages_documents, pages_export
from nitida.web.deps import Web, WebContext
from nitida.web.forms import FormErrors, FormInvalid, attempt, validate, whole_number
from nitida.web.invoice_form import NAMES
from nitida.web.rendering import is_htmx, page

router = APIRouter(include_in_schema=False)
# The invoice's files (QR, XML, PDF) are pages of their own module, served with these.
router.include_router(pages_documents.router)
router.include_router(pages_export.router)

PAGE_SIZE = 20
EXPORT_ROWS = 10_000
CUSTOMER_OPTIONS = 30
MAX_NOTES = 100


# --- the list ------------------------------------------------------------------------------

# "Estado en la DIAN": Inicio's "Esperando a la DIAN" links to the first.
DIAN_FILTERS = {
    "esperando": (ElectronicStatus.SIGNED, ElectronicStatus.SENT),
    "rechazada": (ElectronicStatus.REJECTED,),
    "aceptada": (ElectronicStatus.ACCEPTED,),
}
DIAN_FILTER_LABELS = {
    "esperando": "Esperando a la DIAN",
    "rechazada": "Rechazadas por la DIAN",
    "aceptada": "Aceptadas por la DIAN",
}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ListFilters:
    """The list's filters as the page's query string gives them (unreadable values are ignored)."""

    status: InvoiceStatus | None
    electronic: tuple[ElectronicStatus, ...]
    customer_id: uuid.UUID | None
    issued_from: date | None
    issued_to: date | None
    search: str | None
    typed: str  # Buscar as typed, and the DIAN filter's key: the page shows them back
    dian: str

    @classmethod
    def read(
        cls, estado: str = "", buscar: str = "", cliente: str = "", desde: str = "", hasta: str = "", dian: str = ""
    ) -> ListFilters:
        """The query string's filters (FastAPI reads them for both the list and its export)."""
        issued_from, issued_to = _date(desde), _date(hasta)
        if issued_from and issued_to and issued_to < issued_from:
            issued_from, issued_to = issued_to, issued_from
        return cls(
            status=InvoiceStatus(estado) if estado in InvoiceStatus.__members__ else None,
            electronic=DIAN_FILTERS.get(dian, ()),
            customer_id=_uuid(cliente),
            issued_from=issued_from,
            issued_to=issued_to,
            search=buscar.strip()[: bounds.SEARCH_TERM] or None,
            typed=buscar,
            dian=dian if dian in DIAN_FILTERS else "",
        )

    def rows(self, session: Any, limit: int, offset: int) -> tuple[int, list[Any]]:
        return service.list_invoices(
            session,
            customer_id=self.customer_id,
            status=self.status,
            issued_from=self.issued_from,
            issued_to=self.issued_to,
            search=self.search,
            limit=limit,
            offset=offset,
            electronic=self.electronic,
        )


@router.get("/app/facturas")
def list_invoices(
    request: Request, ctx: Web, filters: Annotated[ListFilters, Depends(ListFilters.read)], pagina: str = "1"
) -> HTMLResponse:
    page_number = whole_number(pagina, 1)
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        total, rows = filters.rows(session, PAGE_SIZE, (page_number - 1) * PAGE_SIZE)
    customer_name = None
    if filters.customer_id is not None:
        customer_name = ctx.session.scalar(select(Customer.razon_social).where(Customer.id == filters.customer_id))
    context: dict[str, Any] = dict(
        nav="facturas",
        rows=rows,
        total=total,
        estado=filters.status.value if filters.status else "",
        dian=filters.dian,
        dian_filters=DIAN_FILTER_LABELS,
        buscar=filters.typed,
        cliente=str(filters.customer_id) if filters.customer_id else "",
        cliente_nombre=customer_name,
        desde=filters.issued_from.isoformat() if filters.issued_from else "",
        hasta=filters.issued_to.isoformat() if filters.issued_to else "",
        pagina=page_number,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        statuses=list(InvoiceStatus),
    )
    template = "facturas/_resultados.html" if is_htmx(request, "resultados") else "facturas/lista.html"
    return page(request, ctx, template, **context)


EXPORT_HEADER = (
    "Número",
    "Cliente",
    "Fecha de emisión",
    "Vencimiento",
    "Forma de pago",
    "Subtotal",
    "Impuestos",
    "Total",
    "Pagado",
    "Saldo",
    "Estado",
    "Estado en la DIAN",
)


@router.get("/app/facturas/exportar")
def export_invoices(ctx: Web, filters: Annotated[ListFilters, Depends(ListFilters.read)]) -> Response:
    """The list as filtered, as an Excel file (at most EXPORT_ROWS invoices, newest first)."""
    with ctx.listing() as session:
        _total, rows = filters.rows(session, EXPORT_ROWS, 0)
    table = spreadsheets.Table(
        title="Facturas",
        header=EXPORT_HEADER,
        rows=[
            (
                i.number or "Borrador",
                i.customer_name,
                i.issue_date,
                i.due_date,
                labels.PAYMENT_FORM[i.payment_form],
                i.subtotal,
                i.tax_total,
                i.total,
                i.amount_paid,
                i.balance,
                labels.INVOICE_STATUS[i.status],
                labels.ELECTRONIC_STATUS_SHORT.get(i.electronic_status.value, ""),
            )
            for i in rows
        ],
    )
    body, media, headers = spreadsheets.file_response_parts(table, spreadsheets.XLSX, "facturas")
    return StreamingResponse(body, media_type=media, headers=headers)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# --- the editor ------------------------------------------------------------------------------


def _customer_options(ctx: WebContext, search: str, selected: str) -> list[Any]:
    rows = customer_lists.list_customers(
        ctx.session, search.strip()[: bounds.SEARCH_TERM] or None, CustomerStatus.ACTIVE, CUSTOMER_OPTIONS, 0
    )
    chosen = _uuid(selected)
    if chosen is not None and all(row.id != chosen for row in rows):
        extra = ctx.session.execute(select(*customers.COLUMNS).where(Customer.id == chosen)).first()
        if extra is not None:
            rows = [extra, *rows]
    return rows


@dataclass
class ResolutionInfo:
    resolution: NumberingResolution
    warnings: list[str]


def resolution_info(resolution: NumberingResolution, today: date) -> ResolutionInfo:
    """numbering.outlook in the words of the editor and Configuración."""
    facts = numbering.outlook(resolution, today)
    warnings = []
    if facts.exhausted:
        warnings.append("La resolución agotó su rango: registra una nueva.")
    elif facts.running_low:
        warnings.append(f"Quedan pocos números: {facts.remaining} de {facts.size}.")
    if facts.expired:
        warnings.append("La resolución está vencida.")
    elif facts.not_yet_valid:
        warnings.append("La resolución aún no está vigente.")
    elif facts.days_left is not None:
        warnings.append(f"La resolución vence en {facts.days_left} días.")
    return ResolutionInfo(resolution=resolution, warnings=warnings)


def _resolutions(ctx: WebContext) -> list[NumberingResolution]:
    return numbering.list_resolutions(ctx.session)


def _default_resolution(resolutions: list[NumberingResolution], today: date) -> str:
    for r in resolutions:
        if r.valid_from <= today <= r.valid_to and r.remaining > 0:
            return str(r.id)
    return str(resolutions[0].id) if resolutions else ""


def _render_editor(
    request: Request,
    ctx: WebContext,
    *,
    values: dict[str, str],
    lines: list[invoice_form.FormLine],
    errors: FormErrors,
    draft: Any = None,
    notice: str | None = None,
    status_code: int = 200,
    correction: Any = None,
    dian_messages: tuple[str, ...] = (),
) -> HTMLResponse:
    """The editor: a new invoice, (``draft``) a draft being changed, or (``correction``, web.pages_corrections)
    an invoice the DIAN rejected being corrected to be sent again under its number."""
    today = bogota_today()
    resolutions = _resolutions(ctx)
    selected = _uuid(values.get("resolution_id", ""))
    info = next((resolution_info(r, today) for r in resolutions if r.id == selected), None)
    return page(
        request,
        ctx,
        "facturas/nueva.html",
        nav="facturas",
        draft=draft,
        notice=notice,
        form_action=(
            f"/app/facturas/{correction.id}/corregir"
            if correction is not None
            else f"/app/facturas/{draft.id}/editar"
            if draft is not None
            else "/app/facturas/nueva"
        ),
        correction=correction,
        dian_messages=dian_messages,
        values=values,
        lines=lines,
        errors=errors,
        customers=_customer_options(ctx, values.get("cliente_buscar", ""), values.get("customer_id", "")),
        resolutions=resolutions,
        info=info,
        totals=invoice_form.preview_totals(lines),
        line_totals=invoice_form.line_amounts(lines),
        new_line=invoice_form.new_line(values),
        iva_rates=invoice_form.IVA_RATES,
        inc_rates=invoice_form.INC_RATES,
        terms=invoice_form.TERMS,
        payment_methods=list(PaymentMethod),
        export=pages_export.context(ctx, values),
        currency=invoice_form.currency_of(values),
        status_code=status_code,
    )


@router.get("/app/facturas/nueva")
def new_invoice_form(request: Request, ctx: Web, cliente: str = "") -> HTMLResponse:
    ctx.require(INVOICES, "write")
    values = invoice_form.new_values(cliente, _default_resolution(_resolutions(ctx), bogota_today()))
    values = pages_business.apply_defaults(ctx, values)  # the business's notes, plazo and medio de pago
    return _render_editor(
        request,
        ctx,
        values=values,
        lines=[invoice_form.new_line(values) for _ in range(invoice_form.INITIAL_LINES)],
        errors=FormErrors(),
    )


@router.post("/app/facturas/nueva")
def create_invoice(request: Request, ctx: Web) -> Response:
    ctx.require(INVOICES, "write")
    return _save_editor(request, ctx, None)


@router.get("/app/facturas/{invoice_id}/editar")
def edit_draft_form(request: Request, ctx: Web, invoice_id: str, aviso: str = "") -> Response:
    invoice = service.load_full(ctx.session, service.get_invoice(ctx.session, invoice_id).id)
    ctx.require(INVOICES, "write")
    if invoice.status is not InvoiceStatus.DRAFT:
        return RedirectResponse(f"/app/facturas/{invoice.id}", status_code=303)
    values, lines = invoice_form.values_of(invoice)
    return _render_editor(
        request, ctx, values=values, lines=lines, errors=FormErrors(), draft=invoice, notice=NOTICES.get(aviso)
    )


@router.post("/app/facturas/{invoice_id}/editar")
def edit_draft(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.load_full(ctx.session, service.get_invoice(ctx.session, invoice_id, for_update=True).id)
    ctx.require(INVOICES, "write")
    return _save_editor(request, ctx, invoice)


@router.post("/app/facturas/{invoice_id}/duplicar")
def duplicate_invoice(request: Request, ctx: Web, invoice_id: str) -> Response:
    """A new draft with the invoice's customer, resolution, terms and lines (any invoice, void ones too)."""
    invoice = service.load_full(ctx.session, service.get_invoice(ctx.session, invoice_id).id)
    ctx.require(INVOICES, "write")
    try:
        copy = attempt(ctx.session, NAMES, lambda: service.duplicate(ctx.session, ctx.principal, invoice))
    except FormInvalid as exc:
        return _render_invoice(request, ctx, invoice.id, problem=exc.errors.general, status_code=exc.status)
    return RedirectResponse(f"/app/facturas/{copy.id}/editar?aviso=duplicada", status_code=303)


def _save_editor(request: Request, ctx: WebContext, draft: Any) -> Response:
    """Save the editor's form as a new draft, or into ``draft``; then issue it when asked (Emitir)."""
    values = invoice_form.header_values(ctx)
    lines = invoice_form.form_lines(ctx)
    action = ctx.field("accion")
    if action == "agregar_linea":
        lines = [*lines, invoice_form.new_line(values)]
        return _render_editor(request, ctx, values=values, lines=lines, errors=FormErrors(), draft=draft)
    if action == "buscar_cliente":
        return _render_editor(request, ctx, values=values, lines=lines, errors=FormErrors(), draft=draft)
    kept = [(i, line) for i, line in enumerate(lines) if not line.blank]
    body = invoice_form.body_of(values, [line for _i, line in kept], bogota_today())
    # Errors of line k of the kept lines belong to row kept[k][0] of the form.
    positions = {str(k): str(i) for k, (i, _line) in enumerate(kept)}

    def renumber(errors: FormErrors) -> FormErrors:
        fields = {}
        for name, message in errors.fields.items():
            base, _, k = name.rpartition("_")
            fields[f"{base}_{positions.get(k, k)}" if base and k.isdigit() else name] = message
        if "lineas" in fields and not kept:
            fields["lineas"] = "Agrega al menos una línea con descripción y precio."
        return FormErrors(fields=fields, general=errors.general)

    try:
        if draft is None:
            data = validate(InvoiceCreate, body, NAMES)
            invoice = attempt(ctx.session, NAMES, lambda: service.create_draft(ctx.session, ctx.principal, data))
        else:
            changes = validate(InvoiceUpdate, body, NAMES)
            invoice = attempt(
                ctx.session, NAMES, lambda: service.update_draft(ctx.session, ctx.principal, draft, changes)
            )
    except FormInvalid as exc:
        errors = renumber(exc.errors)
        status = exc.status  # 422 invalid, 409 a draft issued meanwhile: as the API answers
        return _render_editor(request, ctx, values=values, lines=lines, errors=errors, draft=draft, status_code=status)
    if action == "emitir":
        try:
            attempt(
                ctx.session,
                NAMES,
                lambda: flows.issue_invoice(ctx.session, ctx.principal, invoice, secret_key=_secret_key(request)),
            )
        except FormInvalid as exc:
            # The draft stays saved; its page says why it could not be issued.
            return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=no_emitida&motivo={_slug(exc)}", 303)
        return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=emitida", status_code=303)
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=borrador", status_code=303)


def _slug(exc: FormInvalid) -> str:
    for slug, text in messages._BY_SLUG.items():
        if text == exc.errors.general:
            return slug
    return ""


@router.post("/app/facturas/totales")
def live_totals(request: Request, ctx: Web) -> HTMLResponse:
    """Subtotal, taxes by rate and Total of the lines being typed (htmx fragment)."""
    ctx.require(INVOICES, "write")  # the editor's: who may draft
    lines = invoice_form.form_lines(ctx)
    return page(
        request,
        ctx,
        "facturas/_totales.html",
        totals=invoice_form.preview_totals(lines),
        line_totals=invoice_form.line_amounts(lines),
        oob_lines=True,
        currency=invoice_form.currency_of(invoice_form.header_values(ctx)),
    )


@router.get("/app/facturas/clientes")
def customer_options(request: Request, ctx: Web, cliente_buscar: str = "", customer_id: str = "") -> HTMLResponse:
    """The customer select's options for what is typed in Buscar cliente (htmx fragment)."""
    options = _customer_options(ctx, cliente_buscar, "")
    return page(request, ctx, "facturas/_opciones_clientes.html", customers=options, selected=customer_id)


@router.get("/app/facturas/resolucion")
def resolution_fragment(request: Request, ctx: Web, resolution_id: str = "") -> HTMLResponse:
    chosen = _uuid(resolution_id)
    resolution = numbering.find_resolution(ctx.session, chosen) if chosen else None
    info = resolution_info(resolution, bogota_today()) if resolution else None
    return page(request, ctx, "facturas/_resolucion.html", info=info)


# --- one invoice ------------------------------------------------------------------------------

NOTICES = {
    "borrador": "Borrador guardado.",
    "emitida": "Factura emitida.",
    "pago": "Pago registrado.",
    "anulada": "Factura anulada.",
    "nota_credito": "Nota crédito emitida.",
    "nota_debito": "Nota débito emitida.",
    "reenviada": "Reenvío a la DIAN en curso.",
    "duplicada": "Copia guardada como borrador: revísala y emítela.",
    "corregida": "Factura corregida y firmada de nuevo con el mismo número: se está enviando a la DIAN.",
}


def _render_invoice(
    request: Request,
    ctx: WebContext,
    invoice_id: uuid.UUID,
    *,
    notice: str | None = None,
    problem: str | None = None,
    payment_values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = service.load_full(ctx.session, invoice_id)
    printable = einvoicing.printed_invoice_document(ctx.session, row) is not None
    invoice = invoice_views.invoice_read(ctx.session, row)
    events = history(ctx.session, entity_type=service.ENTITY, entity_id=invoice_id)
    today = bogota_today()
    payment_values = payment_values or {
        "valor": f"{invoice.balance:f}".replace(".", ","),
        "fecha": today.isoformat(),
        "metodo": "TRANSFERENCIA",
        "referencia": "",
    }
    return page(
        request,
        ctx,
        "facturas/detalle.html",
        nav="facturas",
        **pages_delivery.panel_context(ctx, row),
        invoice=invoice,
        events=list(reversed(events)),
        notice=notice,
        problem=problem,
        payment=payment_values,
        errors=errors or FormErrors(),
        methods=list(PaymentMethod),
        today=today,
        printable=printable,
        credit_notes=_notes_of(ctx, NoteKind.CREDIT, invoice_id),
        debit_notes=_notes_of(ctx, NoteKind.DEBIT, invoice_id),
        status_code=status_code,
    )


def _secret_key(request: Request) -> str:
    return request.app.state.settings.secret_key


def _notes_of(ctx: WebContext, kind: NoteKind, invoice_id: uuid.UUID) -> list[Any]:
    _, rows = notes.list_notes(ctx.session, kind, invoice_id=invoice_id, limit=MAX_NOTES, offset=0)
    return [notes.note_read(ctx.session, row) for row in rows]


@router.get("/app/facturas/{invoice_id}")
def invoice_page(request: Request, ctx: Web, invoice_id: str, aviso: str = "", motivo: str = "") -> HTMLResponse:
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.require(INVOICES, "read")
    problem = None
    if aviso == "no_emitida":
        reason = messages._BY_SLUG.get(motivo, "Revisa el borrador.")
        problem = f"El borrador se guardó, pero no se pudo emitir. {reason}"
    return _render_invoice(request, ctx, invoice.id, notice=NOTICES.get(aviso), problem=problem)


@router.post("/app/facturas/{invoice_id}/emitir")
def issue_invoice(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.require(INVOICES, "write")
    try:
        attempt(
            ctx.session,
            NAMES,
            lambda: flows.issue_invoice(ctx.session, ctx.principal, invoice, secret_key=_secret_key(request)),
        )
    except FormInvalid as exc:
        return _render_invoice(request, ctx, invoice.id, problem=exc.errors.general, status_code=409)
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=emitida", status_code=303)


@router.post("/app/facturas/{invoice_id}/pagos")
def record_payment(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.require(INVOICES, "write")
    values = {name: ctx.field(name) for name in ("valor", "fecha", "metodo", "referencia")}
    body = {
        "amount": invoice_form.number(values["valor"]),
        "date": values["fecha"] or None,
        "method": values["metodo"],
        "reference": values["referencia"] or None,
    }
    try:
        data = validate(PaymentCreate, body, NAMES)
        attempt(ctx.session, NAMES, lambda: service.record_payment(ctx.session, ctx.principal, invoice, data))
    except FormInvalid as exc:
        return _render_invoice(
            request,
            ctx,
            invoice.id,
            payment_values=values,
            errors=exc.errors,
            problem=exc.errors.general,
            status_code=422,
        )
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=pago", status_code=303)


@router.get("/app/facturas/{invoice_id}/anular")
def void_confirmation(request: Request, ctx: Web, invoice_id: str) -> HTMLResponse:
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.require(INVOICES, "void")
    return page(request, ctx, "facturas/anular.html", nav="facturas", invoice=invoice, errors=FormErrors(), motivo="")


@router.post("/app/facturas/{invoice_id}/anular")
def void_invoice(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.require(INVOICES, "void")
    reason = ctx.field("motivo")
    try:
        data = validate(VoidRequest, {"reason": reason}, NAMES)
        attempt(
            ctx.session,
            NAMES,
            lambda: flows.void_invoice(
                ctx.session, ctx.principal, invoice, data.reason, secret_key=_secret_key(request)
            ),
        )
    except FormInvalid as exc:
        return page(
            request,
            ctx,
            "facturas/anular.html",
            nav="facturas",
            invoice=invoice,
            errors=exc.errors,
            motivo=reason,
            status_code=exc.status,
        )
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=anulada", status_code=303)


@router.post("/app/facturas/{invoice_id}/reenviar")
def resend_invoice(request: Request, ctx: Web, invoice_id: str) -> Response:
    """Send again what the DIAN rejected or never got (ADMIN), as POST /billing/invoices/:id/resend does."""
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.require(DELIVERY, "resend")
    try:
        attempt(ctx.session, NAMES, lambda: delivery.resend(ctx.session, ctx.principal, invoice))
    except FormInvalid as exc:
        return _render_invoice(request, ctx, invoice.id, problem=exc.errors.general, status_code=exc.status)
    return RedirectResponse(f"/app/facturas/{invoice.id}?aviso=reenviada", status_code=303)


@router.post("/app/facturas/{invoice_id}/eliminar")
def delete_draft(request: Request, ctx: Web, invoice_id: str) -> Response:
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.require(INVOICES, "write")
    try:
        attempt(ctx.session, NAMES, lambda: service.delete_draft(ctx.session, ctx.principal, invoice))
    except FormInvalid as exc:
        return _render_invoice(request, ctx, invoice.id, problem=exc.errors.general, status_code=409)
    return RedirectResponse("/app/facturas", status_code=303)
