"""The e-mail that delivers an accepted electronic document to the buyer, and sending it over SMTP.

As the Anexo Técnico prescribes: the subject is ``NIT;Nombre del facturador;Número del documento;
Código del tipo de documento;Nombre comercial[;Línea de negocio]`` (e.g.
``900123456;Papelería Nítida S.A.S.;SETP990000101;01;Papelería Nítida``), and there is ONE attachment,
a ZIP holding the AttachedDocument XML and the PDF. SMTP comes from ``NITIDA_SMTP_URL``
(``smtp://user:pass@host:587?starttls=true``, ``smtps://…`` for implicit TLS); the sender is the
tenant's. Failures that may pass (connection, timeout, 4xx) raise ``MailUnavailable`` (retryable);
a permanent refusal (5xx, authentication) raises ``MailRefused``.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from nitida.dian import files
from nitida.einvoicing.documents import Document, DocumentKind

DOCUMENT_NAMES = {
    DocumentKind.INVOICE: "la factura electrónica de venta",
    DocumentKind.CREDIT_NOTE: "la nota crédito electrónica",
    DocumentKind.DEBIT_NOTE: "la nota débito electrónica",
}


def _subject_field(text: str) -> str:
    # ";" separates the fields and headers are one line: keep each field clean.
    return " ".join(text.replace(";", ",").split())


def subject(
    issuer_nit: str,
    issuer_name: str,
    number: str,
    type_code: str,
    commercial_name: str | None = None,
    business_line: str | None = None,
) -> str:
    """``NIT;Razón social;Número;Tipo;Nombre comercial[;Línea de negocio]``; the razón social stands in for a
    missing nombre comercial."""
    fields = [issuer_nit, issuer_name, number, type_code, commercial_name or issuer_name]
    if business_line:
        fields.append(business_line)
    return ";".join(_subject_field(f) for f in fields)


@dataclass(frozen=True, slots=True)
class DeliveryMail:
    sender_address: str  # the deployment's verified sender (NITIDA_MAIL_FROM), under the business's name
    to: str
    subject: str
    body: str
    zip_name: str
    zip_bytes: bytes
    sender_name: str | None = None
    reply_to: str | None = None


def quoted(name: str, limit: int = 120) -> str:
    """A name someone typed, quoted as data in a mail's text: one line, bounded, between «»; a customer named
    "Su cuenta está bloqueada, ingrese a …" reads as the name it is, not as the business speaking."""
    flat = " ".join(name.split())
    return f"«{flat[:limit] + '…' if len(flat) > limit else flat}»"


def body_text(doc: Document, business_text: str | None = None) -> str:
    """The message; ``business_text`` (the business's own words, set in Configuración) follows its first
    paragraph, as plain text."""
    what = DOCUMENT_NAMES[doc.kind]
    issuer = doc.supplier
    contact = f" o escriba a {issuer.email}" if issuer.email else ""
    own = f"{business_text.strip()}\n\n" if business_text and business_text.strip() else ""
    return (
        f"Señores {quoted(doc.customer.razon_social)}:\n\n"
        f"{issuer.razon_social} (NIT {issuer.id_number}-{issuer.dv}) le envía {what} No. {doc.number}, "
        f"validada por la DIAN.\n\n"
        f"{own}"
        "El archivo ZIP adjunto contiene el documento electrónico (AttachedDocument XML) y su "
        "representación gráfica (PDF).\n\n"
        f"Si tiene alguna pregunta sobre este documento, responda a este correo{contact}.\n\n"
        f"Cordialmente,\n{issuer.razon_social}\n"
    )


def delivery_mail(
    doc: Document,
    attached_xml: bytes,
    pdf: bytes,
    names: files.FileNames,
    *,
    sender_address: str,
    to: str | None = None,
    business_line: str | None = None,
    business_text: str | None = None,
) -> DeliveryMail:
    """The mail for an accepted document: ``names`` are the AttachedDocument's (``document_file_names("attached",
    …)``); the PDF goes beside the XML under the same name. ``to`` defaults to the customer's e-mail."""
    recipient = to or doc.customer.email
    if not recipient:
        raise ValueError("the customer has no e-mail address")
    issuer = doc.supplier
    pdf_name = names.xml.removesuffix(".xml") + ".pdf"
    return DeliveryMail(
        sender_address=sender_address,
        sender_name=issuer.razon_social,
        reply_to=issuer.email,
        to=recipient,
        subject=subject(
            issuer.id_number,
            issuer.razon_social,
            doc.number,
            doc.type_code,
            issuer.nombre_comercial,
            business_line,
        ),
        body=body_text(doc, business_text),
        zip_name=names.zip,
        zip_bytes=files.zip_files([(names.xml, attached_xml), (pdf_name, pdf)]),
    )


def message(mail: DeliveryMail, *, sender_domain: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((mail.sender_name, mail.sender_address)) if mail.sender_name else mail.sender_address
    msg["To"] = mail.to
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender_domain or mail.sender_address.rpartition("@")[2] or None)
    msg.set_content(mail.body)
    msg.add_attachment(mail.zip_bytes, maintype="application", subtype="zip", filename=mail.zip_name)
    return msg


# --- SMTP ---


class MailError(Exception):
    retryable: bool = False


class MailUnavailable(MailError):
    """The mail server could not take the message now: try again later."""

    retryable = True


class MailRefused(MailError):
    """The mail server refused for good (address, authentication, size): a person must fix something."""

    retryable = False


class MailNotConfigured(MailRefused):
    """NITIDA_SMTP_URL is empty or not an smtp:// or smtps:// URL."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool = False  # smtps://
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://user:pass@host:port?starttls=true&timeout=20`` or ``smtps://user:pass@host:465``."""
        if not url:
            raise MailNotConfigured("NITIDA_SMTP_URL is not set")
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailNotConfigured("NITIDA_SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        starttls = query.get("starttls", "false").lower() in ("1", "true", "yes")
        if implicit and starttls:
            raise MailNotConfigured("smtps:// is already TLS: starttls=true applies to smtp:// only")
        try:
            port = parts.port or (465 if implicit else 587 if starttls else 25)
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            raise MailNotConfigured("NITIDA_SMTP_URL has a port or timeout that is not a number") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if not (username or "").isascii() or not (password or "").isascii():
            raise MailNotConfigured("the SMTP user and password must be ASCII (smtplib authenticates in ASCII)")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=implicit,
            starttls=starttls,
            username=username,
            password=password,
            timeout=timeout,
        )


def _classify(exc: smtplib.SMTPResponseException) -> MailError:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    if 400 <= exc.smtp_code < 500:
        return MailUnavailable(f"the mail server deferred the message ({exc.smtp_code} {text})")
    return MailRefused(f"the mail server refused the message ({exc.smtp_code} {text})")


def send(msg: EmailMessage, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
    """Deliver ``msg`` to its To address. Raises MailUnavailable (retry) or MailRefused (do not)."""
    context = ssl_context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.implicit_tls:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            smtp.ehlo()
            if settings.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailRefused(f"the mail server did not accept the credentials ({exc.smtp_code})") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(400 <= c < 500 for c in codes):
            raise MailUnavailable(f"the mail server deferred the recipients: {exc.recipients}") from exc
        raise MailRefused(f"the mail server refused the recipients: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        raise _classify(exc) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise MailRefused(f"the mail server does not support what the settings ask: {exc}") from exc
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        # Connection refused or reset, timeouts, TLS failures, a server that hangs up.
        raise MailUnavailable(f"cannot deliver through {settings.host}:{settings.port}: {exc}") from exc
    if refused:
        raise MailRefused(f"the mail server refused some recipients: {refused}")
