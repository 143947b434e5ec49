"""The reports' background work: a customer's estado de cuenta sent by e-mail."""

from __future__ import annotations

from typing import Any

from nitida.delivery import service as delivery
from nitida.dian import mail
from nitida.jobs.registry import JobRun, PermanentJobError, handler
from nitida.reports import statement_mail


@handler(statement_mail.STATEMENT_MAIL)
def send_statement(run: JobRun) -> dict[str, Any]:
    """Build the statement's e-mail and send it (the demo's DIAN simulada keeps it in its mail catcher);
    a refusal is permanent and visible on the job, a server that cannot take it now is retried."""
    try:
        msg, customer_id = statement_mail.message(run.session, run.payload)
    except ValueError as exc:
        raise PermanentJobError(str(exc)) from exc
    to = run.payload["mailTo"]
    if statement_mail.simulated(run.session):
        delivery.catch_message(run.session, to, msg)
    else:
        try:
            mail.send(msg, mail.SmtpSettings.from_url(run.settings.smtp_url))
        except mail.MailRefused as exc:  # MailNotConfigured included
            raise PermanentJobError(str(exc)) from exc
    statement_mail.record_sent(run.session, run.actor, customer_id, to)
    return {"mailStatus": "SENT", "to": to}
