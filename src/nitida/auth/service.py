"""Login: one answer for a wrong email and a wrong password, and throttling."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nitida.auth.models import LoginThrottle
from nitida.core.db import Database, utcnow
from nitida.core.errors import TooManyRequests, Unauthorized
from nitida.core.security import TokenClaims, create_access_token, verify_password
from nitida.core.settings import Settings
from nitida.users.models import User, UserStatus

INVALID_LOGIN = "Invalid email or password."


def login(db: Database, settings: Settings, email: str, password: str) -> tuple[str, int]:
    """An access token and its lifetime in seconds, or 401 / 429."""
    email_lower = email.strip().lower()
    with db.login_session(email_lower, write=True) as session:
        _refuse_if_locked(session, email_lower)
        user = session.scalar(select(User).where(User.email_lower == email_lower))
        # Always verify a hash, even for an unknown email, so both failures take as long.
        password_ok = verify_password(user.password_hash if user else None, password)
        if user is None or not password_ok or user.status is not UserStatus.ACTIVE:
            _record_failure(session, settings, email_lower)
            session.commit()
            raise Unauthorized(INVALID_LOGIN)
        throttle = session.get(LoginThrottle, email_lower)
        if throttle is not None:
            session.delete(throttle)
        session.commit()
        lifetime = timedelta(minutes=settings.access_token_minutes)
        token = create_access_token(
            TokenClaims(user_id=user.id, tenant_id=user.tenant_id, token_version=user.token_version),
            settings.secret_key,
            lifetime,
        )
        return token, int(lifetime.total_seconds())


def _refuse_if_locked(session: Session, email_lower: str) -> None:
    # The row is locked before the password is checked: concurrent attempts
    # for one email take turns, so a burst of parallel guesses cannot all slip
    # past the check before the first failures are counted.
    throttle = _locked_throttle(session, email_lower)
    if throttle.locked_until is None:
        return
    remaining = (throttle.locked_until - utcnow()).total_seconds()
    if remaining > 0:
        raise TooManyRequests(
            "Too many failed logins for this email. Try again later.",
            headers={"Retry-After": str(math.ceil(remaining))},
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


def _record_failure(session: Session, settings: Settings, email_lower: str) -> None:
    now = utcnow()
    throttle = _locked_throttle(session, email_lower)
    window = timedelta(seconds=settings.login_window_seconds)
    if now - throttle.window_started_at > window:
        throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + window
