"""Back-office sessions: opening one for a token of the API's own login
(``auth.service.login``: the same admission limit, throttles and events),
finding the signed-in user from a cookie, signing out.

The cookie is ``<tenant id>.<random token>``. Only the token's SHA-256 is
stored, in the tenant's ``web_sessions`` table; a session ends when it is
deleted (sign-out), when it expires, or when the user's token_version moves
(deactivation, new password) — checked on every request, like bearer tokens.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from nitida.core.db import Database, TenantSession, utcnow
from nitida.core.errors import Unauthorized
from nitida.core.principal import Principal
from nitida.core.security import decode_access_token
from nitida.core.settings import Settings
from nitida.users.models import User, UserStatus
from nitida.web.models import WebSession

COOKIE = "nitida_sesion"


@dataclass(frozen=True, slots=True)
class SignedIn:
    principal: Principal
    session_id: uuid.UUID
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_cookie(value: str | None) -> tuple[uuid.UUID, str] | None:
    if not value or "." not in value:
        return None
    tenant, _, token = value.partition(".")
    try:
        tenant_id = uuid.UUID(tenant)
    except ValueError:
        return None
    if not (20 <= len(token) <= 100):
        return None
    return tenant_id, token


def open_session(db: Database, settings: Settings, access_token: str) -> str:
    """The cookie value of a new session for the user ``access_token`` (just issued by the login) names."""
    claims = decode_access_token(access_token, settings.secret_key)
    if claims is None:  # pragma: no cover - just made with the same key
        raise Unauthorized()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.unit_of_work(claims.tenant_id) as session:
        # Expired sessions of the tenant go as new ones come, so the table stays small.
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                user_id=claims.user_id,
                token_hash=_hash(token),
                csrf_token=secrets.token_urlsafe(32),
                token_version=claims.token_version,
                created_at=now,
                expires_at=now + timedelta(minutes=settings.web_session_minutes),
            )
        )
    return f"{claims.tenant_id}.{token}"


def current(session: TenantSession, token: str) -> SignedIn | None:
    """The signed-in user of this session token, as the user is now; None if the
    session is unknown, expired, or the user was deactivated or changed password."""
    row = session.execute(
        select(WebSession, User)
        .join(User, (User.tenant_id == WebSession.tenant_id) & (User.id == WebSession.user_id))
        .where(WebSession.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if (
        web_session.expires_at <= utcnow()
        or user.status is not UserStatus.ACTIVE
        or user.token_version != web_session.token_version
    ):
        return None
    principal = Principal(user_id=user.id, tenant_id=user.tenant_id, email=user.email, name=user.name, role=user.role)
    return SignedIn(principal=principal, session_id=web_session.id, csrf_token=web_session.csrf_token)


def sign_out(session: TenantSession, session_id: uuid.UUID) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def end_sessions_of(session: TenantSession, user_id: uuid.UUID) -> None:
    """Every browser session of the user (deactivation, password change made from the pages)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())
