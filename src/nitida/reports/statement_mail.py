"""A customer's estado de cuenta by e-mail: queued in the caller's transaction, sent by a job (reports.jobs) through
the invoices' mail machinery (dian.mail's SMTP, or the demo's mail catcher on the DIAN simulada), the PDF the
page downloads attached, and a line in the customer's history."""

from __future__ import annotations

import uuid
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from nitida.audit import service as audit
from nitida.core.clock import bogota_today
from nitida.core.db import TenantSession
from nitida.core.errors import BadRequest, Conflict
from nitida.core.principal import Principal
from nitida.customers import service as customers
from nitida.dian import formats
from nitida.einvoicing.configuration import find_issuer, find_settings
from nitida.jobs.models import Job
from nitida.jobs.registry import declare
from nitida.jobs.service import enqueue
from nitida.reports import service, statements
from nitida.tenants.models import Tenant

STATEMENT_MAIL = declare("reports.statement_mail")
EMAILED = "STATEMENT_EMAILED"  # the customer's history: the statement was sent to an address


def business_of(session: TenantSession) -> tuple[str, str, str | None]:
    """Who sends: (name, NIT as printed, e-mail) from the fiscal data, else the business as registered (no e-mail)."""
    issuer = find_issuer(session)
    if issuer is not None:
        return issuer.razon_social, formats.nit(issuer.nit, issuer.dv), issuer.email
    tenant = session.get(Tenant, session.tenant_id)
    assert tenant is not None
    return tenant.name, tenant.nit, None


def queue(
    session: TenantSession, actor: Principal, customer_id: uuid.UUID, date_from: date | None, date_to: date, to: str
) -> Job:
    """Queue the statement of ``date_from``..``date_to`` to ``to`` (the customer's address by default)."""
    to = to.strip()
    if not to or "@" not in to:
        raise BadRequest.field("to", "the customer has no e-mail address: type the address to send to")
    if business_of(session)[2] is None:
        raise Conflict(
            "The business has no e-mail address to send from: PUT /billing/issuer (email).", slug="no-sender-email"
        )
    payload = {
        "customerId": str(customer_id),
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat(),
        "mailTo": to,
    }
    return enqueue(session, STATEMENT_MAIL, payload, actor=actor, max_attempts=5)


def message(session: TenantSession, payload: dict[str, Any]) -> tuple[EmailMessage, uuid.UUID]:
    """The e-mail a job sends: the statement's PDF attached, a few lines in Spanish."""
    customer = customers.get_customer(session, payload["customerId"])
    date_from = date.fromisoformat(payload["from"]) if payload.get("from") else None
    date_to = date.fromisoformat(payload["to"])
    result = service.statement(session, customer.id, date_from, date_to)
    business, business_nit, sender = business_of(session)
    if sender is None:
        raise ValueError("the issuer has no e-mail address to send from")
    document = formats.nit(customer.nit, customer.dv) if customer.dv else customer.nit
    content = statements.pdf(
        result,
        business=business,
        business_nit=business_nit,
        customer=customer.razon_social,
        customer_document=document,
        printed_on=bogota_today(),
    )
    msg = EmailMessage()
    msg["From"] = formataddr((business, sender))
    msg["To"] = payload["mailTo"]
    msg["Subject"] = f"Estado de cuenta · {customer.razon_social} · {business}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(
        f"Señores {customer.razon_social}:\n\n"
        f"Adjuntamos su estado de cuenta con {business} ({statements.period_text(date_from, date_to).lower()}).\n"
        f"Saldo a su cargo al {formats.date(date_to)}: {formats.money(result.closing_balance)}.\n\n"
        f"Cordialmente,\n{business}\n"
    )
    msg.add_attachment(
        content, maintype="application", subtype="pdf", filename=f"{statements.file_name(customer.nit)}.pdf"
    )
    return msg, customer.id


def simulated(session: TenantSession) -> bool:
    settings = find_settings(session)
    return settings is not None and bool(settings.simulated)


def record_sent(session: TenantSession, actor: Principal | None, customer_id: uuid.UUID, to: str) -> None:
    audit.record(
        session,
        actor,
        entity_type=customers.ENTITY,
        entity_id=customer_id,
        action=EMAILED,
        changes=audit.diff({"email": None}, {"email": to}),
    )
