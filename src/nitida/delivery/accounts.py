"""The service's own e-mails to its users: an invitation, and the link of "¿Olvidaste tu contraseña?".

Both carry a one-time link (users.links) and are security events. A tenant on the DIAN simulada (the demo)
keeps them in its mail catcher (the Buzón de la demo), in the same transaction; any other tenant sends
them over NITIDA_SMTP_URL once the transaction has committed, on a thread of their own (a slow mail server
never holds the request, and a request for an unknown address takes as long as one for a known one).
A password reset never says whether the address exists: the caller gets the same answer either way.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from sqlalchemy import select

from nitida.auth import service as auth
from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.db import Database, TenantSession, utcnow
from nitida.core.errors import BadRequest
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.delivery import service as delivery
from nitida.dian import mail
from nitida.einvoicing import configuration
from nitida.security_events import service as events
from nitida.security_events.models import SecurityEventType
from nitida.tenants.models import Tenant
from nitida.users import links
from nitida.users import service as users
from nitida.users.models import LinkPurpose, PasswordLink, User, UserStatus
from nitida.users.schemas import UserCreate

log = logging.getLogger("nitida.security")

# A second reset link for the same user within this time is not sent (a mailbox is not a target).
RESET_RESEND_AFTER = timedelta(minutes=2)
ROLE_NAMES = {"ADMIN": "Administrador", "OPERADOR": "Operador", "CONSULTA": "Consulta"}


def _expiry_text(lifetime: timedelta) -> str:
    if lifetime >= timedelta(days=1):
        days = lifetime.days
        return f"{days} día" if days == 1 else f"{days} días"
    minutes = int(lifetime.total_seconds() // 60)
    return f"{minutes} minutos"


def _business(session: TenantSession) -> tuple[str, str | None, bool]:
    """The business's name, its e-mail address, and whether its mail goes to the demo's catcher."""
    issuer = configuration.find_issuer(session)
    settings = configuration.find_settings(session)
    tenant_name = session.scalar(select(Tenant.name)) or "La Oficina Nítida"
    name = issuer.razon_social if issuer is not None else tenant_name
    address = issuer.email if issuer is not None else None
    return name, address, bool(settings is not None and settings.simulated)


def _message(
    settings: Settings, business: str, business_email: str | None, to: str, subject: str, body: str
) -> EmailMessage:
    sender = settings.mail_from or business_email
    if not sender:
        raise BadRequest(
            "No sender for the service's e-mails: set NITIDA_MAIL_FROM or the business's e-mail (PUT /billing/issuer).",
            slug="no-mail-sender",
        )
    msg = EmailMessage()
    msg["From"] = formataddr((business, sender))
    msg["To"] = to
    if business_email and business_email != sender:
        msg["Reply-To"] = business_email
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    return msg


def _deliver(session: TenantSession, settings: Settings, simulated: bool, to: str, msg: EmailMessage) -> None:
    if simulated:
        delivery.catch_mail(session, None, to, msg)
        return
    smtp = mail.SmtpSettings.from_url(settings.smtp_url)  # MailNotConfigured: the caller decides

    def send() -> None:
        try:
            mail.send(msg, smtp)
        except mail.MailError as exc:
            log.warning("account e-mail to %s not delivered: %s", to, exc)

    session.after_commit(lambda: threading.Thread(target=send, name="account-mail", daemon=True).start())


def can_mail(session: TenantSession, settings: Settings) -> bool:
    _name, _address, simulated = _business(session)
    if simulated:
        return True
    try:
        mail.SmtpSettings.from_url(settings.smtp_url)
    except mail.MailNotConfigured:
        return False
    return True


def invitation_text(business: str, user: User, actor: Principal, url: str, lifetime: timedelta) -> tuple[str, str]:
    subject = f"Invitación a {business} en La Oficina Nítida"
    body = (
        f"Hola, {user.name}:\n\n"
        f"{actor.name} te invitó a facturar con {business} en La Oficina Nítida, "
        f"con el rol {ROLE_NAMES.get(user.role.value, user.role.value)}.\n\n"
        "Para entrar, elige tu contraseña en este enlace:\n\n"
        f"{url}\n\n"
        f"El enlace sirve una sola vez y vence en {_expiry_text(lifetime)}. "
        f"Tu usuario es este correo: {user.email}.\n\n"
        "Si no esperabas esta invitación, ignora este mensaje.\n"
    )
    return subject, body


def reset_text(business: str, user: User, url: str, lifetime: timedelta) -> tuple[str, str]:
    subject = "Restablece tu contraseña de La Oficina Nítida"
    body = (
        f"Hola, {user.name}:\n\n"
        f"Alguien pidió restablecer la contraseña de tu usuario ({user.email}) de {business} "
        "en La Oficina Nítida. Para elegir una nueva, abre este enlace:\n\n"
        f"{url}\n\n"
        f"El enlace sirve una sola vez y vence en {_expiry_text(lifetime)}.\n\n"
        "Si no lo pediste tú, ignora este mensaje: tu contraseña no cambia.\n"
    )
    return subject, body


def link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + links.PATH + token


def invite(
    session: TenantSession,
    settings: Settings,
    actor: Principal,
    data: UserCreate,
    *,
    base_url: str,
    client: ClientInfo = UNKNOWN_CLIENT,
) -> User:
    """Create a user (USER_CREATED) and, without an initial password, e-mail them an invitation
    (INVITATION_SENT) to set their own; the API's POST /users and Configuración's "Invitar usuario" alike.

    BadRequest (nothing created) when the invitation cannot be sent: no mail server and no demo catcher."""
    invited = data.password is None
    if invited and not can_mail(session, settings):
        raise BadRequest.field(
            "password",
            "e-mail is not configured (NITIDA_SMTP_URL), so no invitation can be sent: give an initial password",
        )
    user = users.create_user(session, data)
    session.flush()
    events.record(
        session,
        SecurityEventType.USER_CREATED,
        user_id=user.id,
        user_email=user.email,
        actor=actor,
        client=client,
        details={"role": user.role.value, "invited": invited},
    )
    if invited:
        send_invitation(session, settings, actor, user, base_url=base_url, client=client)
    return user


def send_invitation(
    session: TenantSession,
    settings: Settings,
    actor: Principal,
    user: User,
    *,
    base_url: str,
    client: ClientInfo = UNKNOWN_CLIENT,
) -> None:
    """(Re)send ``user`` an invitation: a new one-time link (the earlier ones stop working)."""
    if user.status is not UserStatus.ACTIVE:
        raise BadRequest("An inactive user cannot be invited: activate them first.", slug="user-inactive")
    if not can_mail(session, settings):
        raise BadRequest.field(
            "password",
            "e-mail is not configured (NITIDA_SMTP_URL), so no invitation can be sent: give an initial password",
        )
    business, business_email, simulated = _business(session)
    issued = links.issue(session, user, LinkPurpose.INVITATION)
    subject, body = invitation_text(business, user, actor, link_url(base_url, issued.token), issued.expires_in)
    _deliver(
        session,
        settings,
        simulated,
        user.email,
        _message(settings, business, business_email, user.email, subject, body),
    )
    events.record(
        session,
        SecurityEventType.INVITATION_SENT,
        user_id=user.id,
        user_email=user.email,
        actor=actor,
        client=client,
        details={"expiresInHours": int(issued.expires_in.total_seconds() // 3600)},
    )


def request_reset(
    db: Database, settings: Settings, email: str, *, base_url: str, client: ClientInfo = UNKNOWN_CLIENT
) -> None:
    """E-mail a password-reset link to the active user with this address, if there is one.

    Returns the same (nothing) whether or not the address exists, is inactive, or was sent a link a moment
    ago; an unknown address is only logged, never stored (as a failed login's)."""
    email_lower = email.strip().lower()
    if not email_lower or "@" not in email_lower or len(email_lower) > 254:
        return
    with db.login_session(email_lower) as login:
        candidate = auth.find_login(db, login, email_lower)
    if candidate is None or not candidate.active:
        log.info("password reset asked for an unknown or inactive address from %s", client.address)
        return
    with db.unit_of_work(candidate.claims.tenant_id) as session:
        user = session.get(User, (candidate.claims.tenant_id, candidate.claims.user_id))
        if user is None or user.status is not UserStatus.ACTIVE:
            return
        recent = session.scalar(
            select(PasswordLink.id).where(
                PasswordLink.user_id == user.id,
                PasswordLink.purpose == LinkPurpose.PASSWORD_RESET,
                PasswordLink.created_at > utcnow() - RESET_RESEND_AFTER,
            )
        )
        if recent is not None:
            return
        business, business_email, simulated = _business(session)
        if not can_mail(session, settings) or not (settings.mail_from or business_email):
            log.warning("password reset for user %s not sent: no mail server or no sender", user.id)
            return
        issued = links.issue(session, user, LinkPurpose.PASSWORD_RESET)
        subject, body = reset_text(business, user, link_url(base_url, issued.token), issued.expires_in)
        msg = _message(settings, business, business_email, user.email, subject, body)
        _deliver(session, settings, simulated, user.email, msg)
        events.record(
            session,
            SecurityEventType.PASSWORD_RESET_REQUESTED,
            user_id=user.id,
            user_email=user.email,
            client=client,
            details={"expiresInMinutes": int(issued.expires_in.total_seconds() // 60)},
        )


def set_password(
    db: Database, value: str, password: str, *, client: ClientInfo = UNKNOWN_CLIENT
) -> tuple[uuid.UUID, str]:
    """Set a password through a one-time link (``<tenant>.<token>``): the user's tenant and e-mail, for the
    caller to sign them in through the one login path. LinkNotValid or BadRequest/ValidationError on the
    password; nothing changes then."""
    parsed = links.parse(value)
    if parsed is None:
        raise links.LinkNotValid()
    tenant_id, token = parsed
    with db.unit_of_work(tenant_id) as session:
        link, user = links.redeem(session, token, password)
        events.record(
            session,
            SecurityEventType.PASSWORD_RESET,
            user_id=user.id,
            user_email=user.email,
            client=client,
            details={"via": "invitation" if link.purpose is LinkPurpose.INVITATION else "reset-link"},
        )
        email = user.email
    return tenant_id, email


def check_link(db: Database, value: str) -> User:
    """The user a link is for, while it is valid (for the page that asks the new password); LinkNotValid."""
    parsed = links.parse(value)
    if parsed is None:
        raise links.LinkNotValid()
    tenant_id, token = parsed
    with db.unit_of_work(tenant_id, write=False) as session:
        _link, user = links.find(session, token)
        return user
