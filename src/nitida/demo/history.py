"""The demo's last twelve months, so Inicio, Cartera, statements and reports open on a story, not zeros.

A year of a stationery shop's billing: customers imported from its previous system, some 100 electronic
invoices (contado and crédito at 30 or 60 days), their payments (on time, late, in parts), a few invoices
overdue today, credit notes (a partial return, a prompt-payment discount, an anulación) and debit notes
(late-payment interest, delivery costs).

Every document goes through the services a clerk's click goes through (flows.issue_invoice,
flows.issue_note, flows.void_invoice, invoices.record_payment), each on its own date: the clock is set to
that moment (core.clock.at), so the number, the CUFE, the signature's SigningTime, the PDF and the history
all say the same date, and the consecutive numbers follow the dates. The DIAN would not take a year-old
document today, so the history does not wait for the DIAN simulada: each document is judged by it at once,
on its own date (dian.simulated.validate, the same checks it answers the service with), and recorded as sent
and accepted with its ApplicationResponse and AttachedDocument (delivery.record_sent/record_answer), as a
delivery run would have done then. Its send job finds it accepted and stops; no e-mail is sent for the past.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from nitida import flows
from nitida.core import clock
from nitida.core.clock import BOGOTA
from nitida.core.db import TenantSession
from nitida.core.principal import Principal
from nitida.customers import import_apply
from nitida.customers import search as customer_lists
from nitida.customers.import_apply import ImportMode
from nitida.delivery import service as delivery
from nitida.delivery.models import Delivery
from nitida.demo.colombian_data import FakeCustomer, generate_customers
from nitida.dian import attached, simulated
from nitida.einvoicing import documents
from nitida.einvoicing import service as einvoicing
from nitida.invoices import service as invoices
from nitida.invoices.models import Invoice, InvoiceStatus, NumberingResolution, PaymentMethod
from nitida.invoices.schemas import InvoiceCreate, LineIn, PaymentCreate, TaxIn
from nitida.invoices.totals import TaxType
from nitida.vocabulary import codelists
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import ElectronicStatus, NoteKind, PaymentForm, PersonType

MONTHS = 12
PER_MONTH = 6
# (description, unit price, IVA rate or None for excluded)
CATALOGUE = (
    ("Resma de papel carta 75 g", "11900", "19"),
    ("Resma de papel oficio 75 g", "14500", "19"),
    ("Cuaderno argollado 100 hojas", "8500", "19"),
    ("Caja de lapiceros x 12", "15600", "19"),
    ("Tóner HP 85A compatible", "89000", "19"),
    ("Carpeta AZ tamaño oficio", "9800", "19"),
    ("Marcadores borrables x 4", "12400", "19"),
    ("Sobres de manila x 50", "21000", "19"),
    ("Agenda ejecutiva 2026", "32000", "19"),
    ("Impresión a color, por hoja", "700", "19"),
    ("Texto escolar de matemáticas", "45000", None),
)
TERMS = (0, 0, 30, 30, 30, 60)  # days: contado or crédito
METHODS = (PaymentMethod.TRANSFERENCIA, PaymentMethod.EFECTIVO, PaymentMethod.CONSIGNACION)
IMPORTED = 8  # customers brought from the previous system, by the customers' import


@dataclass(order=True)
class Event:
    """One thing that happened on a date: issuing an invoice, a payment, a note."""

    moment: dt.datetime
    order: int
    kind: str = field(compare=False)
    ref: int = field(compare=False)  # the invoice's place in the plan
    data: dict = field(compare=False, default_factory=dict)


def _moment(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BOGOTA)


def municipio_of(direccion: str | None) -> str:
    """The DANE code of the city an address ends with (", Medellín"), else Bogotá D.C."""
    city = direccion.rsplit(",", 1)[1].strip() if direccion and "," in direccion else ""
    if city and not city.startswith("Bogotá"):
        found = codelists.search_municipios(city, limit=1)
        if found:
            return found[0].code
    return "11001"


def import_customers(session: TenantSession, actor: Principal, moment: dt.datetime) -> int:
    """Customers brought from the previous system as a clerk does it: a CSV through the customers' import."""
    rows = generate_customers(IMPORTED, seed=1999, unique_within=set())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["razonSocial", "tipoDocumento", "nit", "email", "telefono", "direccion", "municipioCodigo", "tipoPersona"]
    )
    for fake in rows:
        writer.writerow(
            [
                fake.razon_social,
                fake.tipo_documento,
                fake.nit,
                fake.email or "",
                fake.telefono or "",
                fake.direccion or "",
                municipio_of(fake.direccion),
                _person_type(fake).value,
            ]
        )
    with clock.at(moment):
        report = import_apply.run_import(
            session, actor, out.getvalue().encode("utf-8"), mode=ImportMode.UPSERT, dry_run=False
        )
    if report["invalid"]:
        raise RuntimeError(f"the demo's import file has invalid rows: {report['invalidRows']}")
    return int(report["new"])


def _person_type(fake: FakeCustomer) -> PersonType:
    tipo = TipoDocumento(fake.tipo_documento)
    return documents.person_type_of(tipo.codigo, None, fake.razon_social) or PersonType.NATURAL


def _plan(today: dt.date, rng: random.Random) -> list[Event]:
    """Invoices over the last twelve months, and what followed each."""
    events: list[Event] = []
    ref = 0
    first = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    month = first
    while month <= today:
        days_in = ((month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - month).days
        count = PER_MONTH if month.month != today.month or month.year != today.year else 4
        last_day = days_in if (month.year, month.month) != (today.year, today.month) else today.day - 1
        if last_day >= 1:
            for day in sorted(rng.randint(1, last_day) for _ in range(count)):
                issued = _moment(month.replace(day=day), rng.randint(8, 16), rng.randint(0, 59))
                terms = rng.choice(TERMS)
                events.append(Event(issued, 0, "invoice", ref, {"terms": terms}))
                ref += 1
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return events


def _follow_ups(invoices_planned: list[Event], today: dt.date, rng: random.Random) -> list[Event]:
    """Payments and notes: most paid on time, some late or in parts, a few overdue today; the notes."""
    events: list[Event] = []
    now = _moment(today, 0, 0)
    # One invoice overdue in each of Cartera's columns: days past due in these windows.
    overdue_windows = [(5, 30), (31, 60), (61, 90), (91, 200)]
    credited = {len(invoices_planned) * 5 // 12: "devolucion", len(invoices_planned) * 8 // 12: "pronto_pago"}
    voided = len(invoices_planned) * 4 // 12
    debited = {len(invoices_planned) * 6 // 12: "intereses", len(invoices_planned) * 9 // 12: "envio"}
    for event in reversed(invoices_planned):  # the most recent first
        ref, issued, terms = event.ref, event.moment, event.data["terms"]
        if ref == voided:
            events.append(Event(issued + dt.timedelta(days=2), 1, "void", ref))
            continue
        after = issued + dt.timedelta(days=3)
        if ref in credited:
            events.append(Event(after, 1, "credit", ref, {"why": credited[ref]}))
            after += dt.timedelta(days=1)
        if ref in debited:
            events.append(Event(after, 1, "debit", ref, {"why": debited[ref]}))
            after += dt.timedelta(days=1)
        due = issued + dt.timedelta(days=terms)
        if terms == 0:
            events.append(Event(max(after, issued + dt.timedelta(hours=1)), 2, "payment", ref, {"part": 1}))
        elif ref not in credited and (window := _window((now - due).days, overdue_windows)) is not None:
            overdue_windows.remove(window)
            if len(overdue_windows) % 2:  # half of them paid in part
                events.append(Event(issued + dt.timedelta(days=10), 2, "payment", ref, {"part": Decimal("0.4")}))
        elif due < now:
            paid = due + dt.timedelta(days=rng.randint(-12, 15), hours=rng.randint(0, 6))
            paid = min(max(paid, after), now - dt.timedelta(hours=1))
            if rng.random() < 0.25:  # in two parts
                events.append(Event(after, 2, "payment", ref, {"part": Decimal("0.5")}))
            events.append(Event(paid, 3, "payment", ref, {"part": 1}))
        elif rng.random() < 0.3:  # not due yet, an advance
            events.append(Event(min(after, now - dt.timedelta(hours=1)), 2, "payment", ref, {"part": Decimal("0.3")}))
    return events


def _window(days_late: int, windows: list[tuple[int, int]]) -> tuple[int, int] | None:
    return next((w for w in windows if w[0] <= days_late <= w[1]), None)


def seed_history(
    session: TenantSession, actor: Principal, resolution: NumberingResolution, secret_key: str, today: dt.date
) -> dict[str, int]:
    """The year before ``today``: documents issued, accepted and paid on their own dates. Returns counts."""
    rng = random.Random(2026)
    start = _moment((today.replace(day=1) - dt.timedelta(days=31 * MONTHS)).replace(day=20), 9, 0)
    imported = import_customers(session, actor, start)
    buyers = [c for c in customer_lists.list_customers(session, None, None, 200, 0) if c.email and c.direccion]
    planned = _plan(today, rng)
    events = sorted([*planned, *_follow_ups(planned, today, rng)])
    found = einvoicing.signer(session, secret_key)  # its certificate, read once (a PKCS#12 is slow to open)
    if found is None:
        raise RuntimeError("the demo's history needs electronic invoicing configured first")
    made: dict[int, Invoice] = {}
    counts = {"customersImported": imported, "invoices": 0, "payments": 0, "creditNotes": 0, "debitNotes": 0}
    for event in events:
        with clock.at(event.moment):
            if event.kind == "invoice":
                made[event.ref] = _invoice(session, actor, resolution, rng, buyers, event, secret_key)
                counts["invoices"] += 1
            else:
                invoice = invoices.load_full(
                    session, invoices.get_invoice(session, str(made[event.ref].id), for_update=True).id
                )
                if event.kind == "payment":
                    counts["payments"] += _payment(session, actor, invoice, rng, event.data["part"], event.moment)
                elif event.kind == "void":
                    flows.void_invoice(
                        session, actor, invoice, "Factura emitida al cliente equivocado.", secret_key=secret_key
                    )
                    counts["creditNotes"] += 1
                else:
                    _note(session, actor, invoice, event.kind, event.data["why"], secret_key)
                    counts["creditNotes" if event.kind == "credit" else "debitNotes"] += 1
            _accept_pending(session, actor, found, event.moment)
    return counts


def _invoice(
    session: TenantSession,
    actor: Principal,
    resolution: NumberingResolution,
    rng: random.Random,
    buyers: list,
    event: Event,
    secret_key: str,
) -> Invoice:
    lines = []
    for description, price, rate in rng.sample(CATALOGUE, rng.randint(1, 4)):
        quantity = rng.choice((1, 2, 3, 5, 10, 12, 20, 50)) if Decimal(price) < 50000 else rng.randint(1, 4)
        lines.append(
            LineIn(
                description=description,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                taxes=[TaxIn(type=TaxType.IVA, rate=Decimal(rate))] if rate else [],
            )
        )
    terms = event.data["terms"]
    draft = invoices.create_draft(
        session,
        actor,
        InvoiceCreate(
            customer_id=rng.choice(buyers).id,
            resolution_id=resolution.id,
            payment_form=PaymentForm.CREDITO if terms else PaymentForm.CONTADO,
            due_date=event.moment.date() + dt.timedelta(days=terms) if terms else None,
            payment_method=rng.choice(METHODS),
            lines=lines,
        ),
    )
    return flows.issue_invoice(session, actor, draft, secret_key=secret_key)


def _payment(
    session: TenantSession, actor: Principal, invoice: Invoice, rng: random.Random, part: Decimal, moment: dt.datetime
) -> int:
    if invoice.balance <= 0 or invoice.status is not InvoiceStatus.ISSUED:
        return 0
    amount = invoice.balance if part == 1 else (invoice.balance * part).quantize(Decimal("1000"))
    if amount <= 0:
        return 0
    invoices.record_payment(
        session,
        actor,
        invoice,
        PaymentCreate(
            amount=amount,
            date=moment.date(),
            method=rng.choice(METHODS),
            reference=f"TRX-{rng.randint(100000, 999999)}",
        ),
    )
    return 1


def _note(session: TenantSession, actor: Principal, invoice: Invoice, kind: str, why: str, secret_key: str) -> None:
    first = invoice.lines[0]
    taxes = [TaxIn(type=TaxType(t["type"]), rate=Decimal(t["rate"])) for t in first.taxes]
    if kind == "credit" and why == "devolucion":  # half of the first line came back
        returned = max(Decimal(1), (first.quantity / 2).to_integral_value())
        concept, description = "1", f"Devolución de {returned} unidades: {first.description}"
        lines = [LineIn(description=first.description, quantity=returned, unit_price=first.unit_price, taxes=taxes)]
    elif kind == "credit":  # 5 % off the first line for paying early
        amount = (first.quantity * first.unit_price * Decimal("0.05")).quantize(Decimal("0.01"))
        concept, description = "5", "Descuento comercial por pronto pago (5 %)"
        lines = [LineIn(description="Descuento por pronto pago", quantity=Decimal(1), unit_price=amount, taxes=taxes)]
    elif why == "intereses":
        concept, description = "1", "Intereses de mora"
        lines = [LineIn(description="Intereses de mora", quantity=Decimal(1), unit_price=Decimal("18500"), taxes=[])]
    else:
        concept, description = "2", "Gastos de envío"
        vat = [TaxIn(type=TaxType.IVA, rate=Decimal("19"))]
        lines = [LineIn(description="Envío a domicilio", quantity=Decimal(1), unit_price=Decimal("12000"), taxes=vat)]
    flows.issue_note(
        session,
        actor,
        invoice,
        NoteKind.CREDIT if kind == "credit" else NoteKind.DEBIT,
        concept=concept,
        description=description,
        lines=lines,
        secret_key=secret_key,
    )


def _accept_pending(session: TenantSession, actor: Principal, found: einvoicing.Signer, moment: dt.datetime) -> None:
    """What the DIAN simulada says of each document signed at ``moment``, recorded as that day's answer."""
    waiting = session.scalars(select(Delivery).where(Delivery.sent_at.is_(None), Delivery.answered_at.is_(None)))
    for row in list(waiting):
        document = delivery.document_of(session, row)
        if document.electronic_status is not ElectronicStatus.SIGNED:
            continue
        xml = delivery.signed_xml_of(session, document)
        key = delivery.key_of(document)
        verdict = simulated.validate(f"{document.number}.xml", xml, now=moment)
        if not verdict.accepted or verdict.application_response is None:
            raise RuntimeError(f"the DIAN simulada rejected the demo's {document.number}: {verdict.messages}")
        container = attached.attached_document(xml, verdict.application_response, found.certificate, created_at=moment)
        delivery.record_sent(session, actor, row, document, key)
        delivery.record_answer(
            session,
            actor,
            row,
            document,
            ElectronicStatus.ACCEPTED,
            status_code="00",
            description="Procesado Correctamente.",
            messages=(),
            application_response=verdict.application_response,
            attached_document=container,
        )
