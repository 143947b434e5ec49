"""One-time links to set a password: an invitation (a new user sets their own) and "¿Olvidaste tu
contraseña?". The link carries ``<tenant id>.<random token>``; only the token's SHA-256 is stored.

A link works once and until it expires: an invitation for INVITATION_DAYS days, a password reset for
RESET_MINUTES minutes. Issuing a new link ends the user's earlier unused ones. The password it sets goes
through the same policy as every password (users.service.update_user), and using it ends every session
and token of the user (token_version moves).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, select, update

from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest
from nitida.users import service
from nitida.users.models import LinkPurpose, PasswordLink, User, UserStatus
from nitida.users.schemas import UserUpdate

INVITATION_DAYS = 3
RESET_MINUTES = 60
LIFETIMES = {
    LinkPurpose.INVITATION: timedelta(days=INVITATION_DAYS),
    LinkPurpose.PASSWORD_RESET: timedelta(minutes=RESET_MINUTES),
}
PATH = "/app/contrasena/"


class LinkNotValid(BadRequest):
    """Unknown, used, expired or replaced: one answer for all (the page says which cases it may be)."""

    def __init__(self) -> None:
        super().__init__("This link is not valid: it was used, it expired or a newer one was sent.", slug="link")


@dataclass(frozen=True, slots=True)
class IssuedLink:
    token: str  # what the e-mail carries after PATH: "<tenant id>.<random>"
    expires_in: timedelta
    purpose: LinkPurpose


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse(value: str) -> tuple[uuid.UUID, str] | None:
    """The tenant and the random part of a link's token, or None when it cannot be one."""
    tenant, _, token = value.partition(".")
    if not (20 <= len(token) <= 100) or not token.replace("-", "").replace("_", "").isalnum():
        return None
    try:
        return uuid.UUID(tenant), token
    except ValueError:
        return None


def issue(session: TenantSession, user: User, purpose: LinkPurpose) -> IssuedLink:
    """A new link for ``user``; the user's earlier unused links stop working."""
    now = utcnow()
    session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    lifetime = LIFETIMES[purpose]
    session.add(
        PasswordLink(
            user_id=user.id, purpose=purpose, token_hash=_hash(token), created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return IssuedLink(token=f"{session.tenant_id}.{token}", expires_in=lifetime, purpose=purpose)


def find(session: TenantSession, token: str) -> tuple[PasswordLink, User]:
    """The valid link of this token (the random part) and its user, or LinkNotValid."""
    row = session.execute(
        select(PasswordLink, User)
        .join(User, (User.tenant_id == PasswordLink.tenant_id) & (User.id == PasswordLink.user_id))
        .where(PasswordLink.token_hash == _hash(token))
    ).first()
    if row is None:
        raise LinkNotValid()
    link, user = row
    if link.used_at is not None or link.expires_at <= utcnow() or user.status is not UserStatus.ACTIVE:
        raise LinkNotValid()
    return link, user


def redeem(session: TenantSession, token: str, password: str) -> tuple[PasswordLink, User]:
    """Set the user's password through the link, once: a second use (even a concurrent one) is refused.

    ``password`` goes through the same rules as any password (BadRequest naming ``password``)."""
    link, user = find(session, token)
    data = UserUpdate.model_validate({"password": password})  # ValidationError: the page names the field
    # Claimed before the password is set: of two uses at once, one updates the row and the other none.
    claimed = cast(
        CursorResult,
        session.execute(
            update(PasswordLink)
            .where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None), PasswordLink.expires_at > utcnow())
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise LinkNotValid()
    service.update_user(session, user, data)
    return link, user
