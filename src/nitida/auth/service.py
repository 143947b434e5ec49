"""Login: one answer for a wrong email and a wrong password, and throttling."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nitida.auth.models import LoginThrottle
from nitida.core.db import Database, LoginSession, utcnow
from nitida.core.errors import TooManyRequests, Unauthorized
from nitida.core.security import TokenClaims, create_access_token, verify_password
from nitida.core.settings import Settings
from nitida.users.models import EMAIL_MAX_LENGTH, User, UserStatus

INVALID_LOGIN = "Invalid email or password."


@dataclass(frozen=True, slots=True)
class _Candidate:
    claims: TokenClaims
    password_hash: str
    active: bool


def login(db: Database, settings: Settings, email: str, password: str) -> tuple[str, int]:
    """An access token and its lifetime in seconds, or 401 / 429.

    The attempt is counted as a failure *before* the password is checked, in
    a short transaction, and forgiven after a success: parallel guesses are
    all counted, and no lock is held while argon2 works.
    """
    email_lower = email.strip().lower()
    if len(email_lower) > EMAIL_MAX_LENGTH:  # nobody's email; same work, same answer
        verify_password(None, password)
        raise Unauthorized(INVALID_LOGIN)
    candidate = _reserve_attempt(db, settings, email_lower)
    # Always verify a hash, even for an unknown email, so both failures take as long.
    password_ok = verify_password(candidate.password_hash if candidate else None, password)
    if candidate is None or not password_ok or not candidate.active:
        raise Unauthorized(INVALID_LOGIN)
    with db.login_session(email_lower, write=True) as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.email_lower == email_lower))
        session.commit()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = create_access_token(candidate.claims, settings.secret_key, lifetime)
    return token, int(lifetime.total_seconds())


def _reserve_attempt(db: Database, settings: Settings, email_lower: str) -> _Candidate | None:
    """Count the attempt (429 if the email is locked) and read the user, if any."""
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    with db.login_session(email_lower, write=True) as session:
        _purge_expired(session, now - window)
        throttle = _locked_throttle(session, email_lower)
        if throttle.locked_until is not None and throttle.locked_until > now:
            remaining = (throttle.locked_until - now).total_seconds()
            raise TooManyRequests(
                "Too many failed logins for this email. Try again later.",
                headers={"Retry-After": str(math.ceil(remaining))},
            )
        if now - throttle.window_started_at > window:
            throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
        throttle.failures += 1
        if throttle.failures >= settings.login_max_failures:
            throttle.locked_until = now + window
        candidate = find_login(db, session, email_lower)
        session.commit()
    return candidate


def find_login(db: Database, session: LoginSession, email_lower: str) -> _Candidate | None:
    """What login needs of the user with this e-mail, or None.

    On PostgreSQL the service role cannot read users by e-mail nor any
    password hash: ``nitida_login_candidate`` answers, for one e-mail, only
    when called with the service's seal of that e-mail (core.seals).
    """
    if session.bind.dialect.name == "postgresql":
        row = session.execute(
            text(
                "SELECT user_id, tenant_id, password_hash, status, token_version "
                "FROM nitida_login_candidate(:email, :seal)"
            ),
            {"email": email_lower, "seal": db.login_seal(session, email_lower)},
        ).first()
    else:
        row = session.execute(
            select(User.id.label("user_id"), User.tenant_id, User.password_hash, User.status, User.token_version).where(
                User.email_lower == email_lower
            )
        ).first()
    if row is None:
        return None
    return _Candidate(
        claims=TokenClaims(user_id=row.user_id, tenant_id=row.tenant_id, token_version=row.token_version),
        password_hash=row.password_hash,
        active=UserStatus(row.status) is UserStatus.ACTIVE,
    )


def _locked_throttle(session: Session, email_lower: str) -> LoginThrottle:
    """The email's throttle row, created if missing, locked until the transaction ends."""
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle)
        .values(email_lower=email_lower, failures=0, window_started_at=utcnow())
        .on_conflict_do_nothing()
    )
    return session.scalars(
        select(LoginThrottle).where(LoginThrottle.email_lower == email_lower).with_for_update()
    ).one()


def _purge_expired(session: Session, window_start) -> None:
    """Forget throttle rows whose window and lock are both over, so guesses at
    unknown emails do not grow the table for ever."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < window_start,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < utcnow()),
        )
    )
