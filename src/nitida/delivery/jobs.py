"""The delivery jobs: send to the DIAN, poll its answer, mail the buyer.

At-least-once and never twice in effect: a send job that runs again (a retry after a network
failure or a DIAN 5xx, or after its worker died mid-send) first asks the DIAN for the status of
the document's CUFE/CUDE and uploads it only if the DIAN does not know it. The delivery row is
locked for the whole job, so one document is never sent by two jobs at once. The DIAN's rule
rejection is an answer (REJECTED, its messages stored), not an error; a refusal of the request
itself (DianRefused) fails the job at once.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from nitida.core.db import utcnow
from nitida.core.errors import Conflict
from nitida.core.settings import Settings
from nitida.delivery import service
from nitida.delivery.models import Delivery, MailStatus
from nitida.dian import attached, mail, simulated, transmission
from nitida.dian.client import DianClient, DianRefused, service_url
from nitida.dian.responses import DianResponse, Outcome
from nitida.einvoicing import service as einvoicing
from nitida.einvoicing.models import InvoiceNote
from nitida.invoices import business
from nitida.invoices.models import Invoice
from nitida.jobs.registry import JobRun, PermanentJobError, handler
from nitida.vocabulary.kinds import ElectronicStatus, Environment

log = logging.getLogger("nitida.delivery")


class StillProcessing(Exception):
    """The DIAN has the document but has not finished validating it: ask again later (backoff)."""


def _signer(run: JobRun) -> einvoicing.Signer:
    try:
        found = einvoicing.signer(run.session, run.settings.secret_key)
    except Conflict as exc:  # expired certificate, secrets that no longer decrypt: retrying cannot help
        raise PermanentJobError(exc.detail if hasattr(exc, "detail") else str(exc)) from None
    if found is None:
        raise PermanentJobError("the business no longer has electronic-invoicing settings")
    return found


def _client(run: JobRun, found: einvoicing.Signer) -> tuple[DianClient, Environment]:
    environment = found.settings.environment
    timeout = run.settings.dian_timeout_seconds
    if found.settings.simulated:
        if environment is not Environment.HABILITACION:  # the database refuses it too (migration 0014)
            raise PermanentJobError("the simulated DIAN is for habilitación only")
        url, transport = simulated.URL, simulated.SERVICE.transport()
    else:
        url, transport = service_url(environment, run.settings.dian_url), None
    client = DianClient(
        found.certificate, url, timeout=timeout, connect_timeout=min(10.0, timeout), transport=transport
    )
    return client, environment


def _load(run: JobRun) -> tuple[Delivery, Invoice | InvoiceNote]:
    row = service.get(run.session, uuid.UUID(run.payload["deliveryId"]), for_update=True)
    return row, service.document_of(run.session, row)


def _settle(
    run: JobRun,
    row: Delivery,
    document: Invoice | InvoiceNote,
    found: einvoicing.Signer,
    answer: DianResponse,
) -> dict[str, Any]:
    """Record a final answer (ACCEPTED / REJECTED); raise StillProcessing while there is none."""
    outcome = transmission.status_of(answer)
    if outcome is None:
        raise StillProcessing(
            f"the DIAN is still validating the document ({answer.status_description or 'en proceso'})"
        )
    container = None
    if outcome is ElectronicStatus.ACCEPTED:
        if not answer.application_response:
            raise StillProcessing("the DIAN accepted the document but sent no ApplicationResponse yet")
        container = attached.attached_document(
            service.signed_xml_of(run.session, document), answer.application_response, found.certificate
        )
    service.record_answer(
        run.session,
        run.actor,
        row,
        document,
        outcome,
        status_code=answer.status_code,
        description=answer.status_description,
        messages=answer.error_messages,
        application_response=answer.application_response,
        attached_document=container,
    )
    if outcome is ElectronicStatus.ACCEPTED:
        service.queue_mail(run.session, run.actor, row)
    return {"electronicStatus": outcome.value, "messages": len(answer.error_messages)}


def _queue_poll(run: JobRun, row: Delivery) -> None:
    from nitida.jobs import service as jobs

    job = jobs.enqueue(
        run.session, service.POLL, {"deliveryId": str(row.id)}, actor=run.actor, max_attempts=service.MAX_POLLS
    )
    row.send_job_id = job.id  # the job now talking to the DIAN about this document


def _sender(settings: Settings, issuer_email: str) -> str:
    """The deployment's verified sender, or the business's own address on a domain the deployment verified:
    a business can never send as another one through the shared relay (issue 32)."""
    domain = issuer_email.rpartition("@")[2].lower()
    return issuer_email if domain in settings.mail_verified_domain_list else settings.mail_from


@handler(service.SEND)
def send(run: JobRun) -> dict[str, Any] | None:
    row, document = _load(run)
    resend = bool(run.payload.get("resend"))
    if document.electronic_status is ElectronicStatus.ACCEPTED:
        return {"electronicStatus": "ACCEPTED", "skipped": "already accepted"}
    if document.electronic_status is ElectronicStatus.REJECTED and not resend:
        return {"electronicStatus": "REJECTED", "skipped": "rejected: resend it after fixing the cause"}
    found = _signer(run)
    key = service.key_of(document)
    client, environment = _client(run, found)
    try:
        with client:
            if document.electronic_status is ElectronicStatus.SENT and not resend:
                # Sent by an earlier job (its poll lost): ask for its answer instead of uploading it again.
                answer = transmission.status(client, environment, track_id=row.track_id, document_key=key)
                if answer.outcome is not Outcome.NOT_FOUND:
                    return _settle_or_poll(run, row, document, found, answer)
            elif run.job.attempts > 1 or resend or row.submissions > 0:
                # An earlier try may have reached the DIAN (a timeout, a 5xx, a worker killed mid-send): ask first.
                answer = transmission.status(client, environment, track_id=None, document_key=key)
                if answer.outcome is not Outcome.NOT_FOUND:
                    if document.electronic_status is not ElectronicStatus.SENT:
                        service.record_sent(run.session, run.actor, row, document, row.track_id or key)
                    return _settle_or_poll(run, row, document, found, answer)
            return _submit(run, client, environment, row, document, found, key)
    except DianRefused as exc:
        raise PermanentJobError(f"the DIAN refused the request: {exc}") from exc


def _settle_or_poll(
    run: JobRun, row: Delivery, document: Invoice | InvoiceNote, found: einvoicing.Signer, answer: DianResponse
) -> dict[str, Any]:
    if transmission.status_of(answer) is None:
        _queue_poll(run, row)
        return {"electronicStatus": "SENT", "trackId": row.track_id}
    return _settle(run, row, document, found, answer)


def _submit(
    run: JobRun,
    client: DianClient,
    environment: Environment,
    row: Delivery,
    document: Invoice | InvoiceNote,
    found: einvoicing.Signer,
    key: str,
) -> dict[str, Any]:
    year, consecutive = service.file_number(run.session, row, document)
    pkg = transmission.package(
        service.signed_xml_of(run.session, document),
        service.KIND[row.document_type],
        found.supplier.id_number,
        year,
        consecutive,
        zip_consecutive=service.zip_number(run.session, row, document),
    )
    test_set_id = found.settings.test_set_id
    if environment is Environment.HABILITACION and not test_set_id:
        raise PermanentJobError("habilitación needs the test-set id: PUT /billing/electronic-invoicing (testSetId)")
    sent = transmission.submit(client, environment, pkg, document_key=key, test_set_id=test_set_id)
    row.submissions += 1
    if sent.track_id is None:
        # The DIAN refused the upload itself (e.g. an XML it cannot parse): a rejection with its messages.
        service.record_answer(
            run.session,
            run.actor,
            row,
            document,
            ElectronicStatus.REJECTED,
            status_code=None,
            description="Upload refused",
            messages=sent.messages,
            application_response=None,
            attached_document=None,
        )
        return {"electronicStatus": "REJECTED", "messages": len(sent.messages)}
    service.record_sent(run.session, run.actor, row, document, sent.track_id)
    if sent.response is not None:  # producción: the answer came with the upload
        return _settle_or_poll(run, row, document, found, sent.response)
    _queue_poll(run, row)
    return {"electronicStatus": "SENT", "trackId": sent.track_id, "zip": pkg.names.zip}


@handler(service.POLL)
def poll(run: JobRun) -> dict[str, Any] | None:
    row, document = _load(run)
    if document.electronic_status is not ElectronicStatus.SENT:
        return {"electronicStatus": document.electronic_status.value, "skipped": "not waiting for the DIAN"}
    found = _signer(run)
    client, environment = _client(run, found)
    try:
        with client:
            answer = transmission.status(
                client, environment, track_id=row.track_id, document_key=service.key_of(document)
            )
    except DianRefused as exc:
        raise PermanentJobError(f"the DIAN refused the request: {exc}") from exc
    return _settle(run, row, document, found, answer)


@handler(service.MAIL)
def send_mail(run: JobRun) -> dict[str, Any] | None:
    row, document = _load(run)
    explicit_to = run.payload.get("to")
    if document.electronic_status is not ElectronicStatus.ACCEPTED:
        raise PermanentJobError("only a document the DIAN accepted is mailed")
    if row.mail_status is MailStatus.SENT and run.job.id != row.mail_job_id:
        return {"mailStatus": "SENT", "skipped": "already mailed by another job"}
    found = _signer(run)
    if isinstance(document, Invoice):
        doc = service.invoice_printable_document(run.session, document)
    else:
        doc = service.note_printable_document(run.session, document, found)
    issuer_email = found.supplier.email
    if not issuer_email:
        raise PermanentJobError("the issuer has no e-mail address to send from: PUT /billing/issuer (email)")
    smtp = None
    if not found.settings.simulated:
        try:
            smtp = mail.SmtpSettings.from_url(run.settings.smtp_url)
        except mail.MailNotConfigured as exc:
            raise PermanentJobError(str(exc)) from exc
    container = service.attached_of(run.session, row)
    profile = business.defaults(run.session)
    printed = service.printed_for_mail(doc, document, row, business.logo(run.session) if profile.has_logo else None)
    # The AttachedDocument and the mailed ZIP take numbers of their own counters (issue 25).
    names = service.mail_file_names(run.session, row, document, found.supplier.id_number)
    try:
        built = mail.delivery_mail(
            doc,
            container,
            printed,
            names,
            sender_address=_sender(run.settings, issuer_email),
            to=explicit_to,
            business_text=profile.email_text,
        )
    except ValueError:
        row.mail_status = MailStatus.NO_EMAIL
        service.record_mail(run.session, run.actor, row, None)
        return {"mailStatus": "NO_EMAIL"}
    if smtp is None:  # the demo's mail catcher keeps it, for the back office to show
        service.catch_mail(run.session, row, built.to, mail.message(built))
    else:
        try:
            mail.send(mail.message(built), smtp)
        except mail.MailRefused as exc:
            raise PermanentJobError(str(exc)) from exc
    # MailUnavailable propagates: the job is retried with backoff and ends FAILED, visible, if it never passes.
    row.mail_status = MailStatus.SENT
    row.mail_to = built.to
    row.mailed_at = utcnow()
    service.record_mail(run.session, run.actor, row, built.to)
    return {"mailStatus": "SENT", "to": built.to}
