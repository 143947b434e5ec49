"""Login: one answer for a wrong email and a wrong password, throttling, and one path for every door.

``login`` is the only way in: the API's ``/auth/login`` and the back office's sign-in form both await it, so
both get the same admission limit (503 when busy), argon2 on the login pool's own threads, the per-e-mail and
per-address throttles (429) and security events that carry the client's address.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import case, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nitida.auth.models import LoginThrottle
from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.cpu_pool import CpuPool, PoolSaturated
from nitida.core.db import Database, LoginSession, utcnow
from nitida.core.errors import ServiceUnavailable, TooManyRequests, Unauthorized
from nitida.core.security import TokenClaims, create_access_token, verify_password
from nitida.core.settings import Settings
from nitida.security_events import service as events
from nitida.security_events.models import SecurityEventType
from nitida.users.models import EMAIL_MAX_LENGTH, User, UserStatus

INVALID_LOGIN = "Invalid email or password."
log = logging.getLogger("nitida.security")


@dataclass(frozen=True, slots=True)
class _Candidate:
    claims: TokenClaims
    password_hash: str
    active: bool
    email: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt counted (as a failure until proven otherwise) and the user it names, if any."""

    email_lower: str
    candidate: _Candidate | None
    client: ClientInfo

    @property
    def password_hash(self) -> str | None:
        return self.candidate.password_hash if self.candidate else None


ADDRESS_KEY = "addr:"  # throttle rows per client address; e-mails always hold an "@", these never do


async def login(
    db: Database, settings: Settings, pool: CpuPool, email: str, password: str, client: ClientInfo
) -> tuple[str, int]:
    """An access token and its lifetime in seconds; 401, 429, or 503 when more logins are under way than
    ``pool`` admits (with Retry-After, having done nothing).

    Admitted logins wait holding no thread; the two short transactions run on the shared thread pool and
    argon2 (tens of ms of CPU) on the pool's own low-priority threads, so a flood of sign-ins cannot stall
    the other requests of every tenant.
    """
    try:
        async with pool.admitted():
            attempt = await anyio.to_thread.run_sync(begin_login, db, settings, email, client)
            password_ok = await pool.run(verify_password, attempt.password_hash, password)
            return await anyio.to_thread.run_sync(finish_login, db, settings, attempt, password_ok)
    except PoolSaturated as busy:  # raised only when not admitted
        raise ServiceUnavailable(
            "Too many logins at once. Try again shortly.",
            headers={"Retry-After": str(busy.retry_after)},
            slug="login-busy",
        ) from None


def begin_login(db: Database, settings: Settings, email: str, client: ClientInfo = UNKNOWN_CLIENT) -> Attempt:
    """Count the attempt, per e-mail and per client address, and find the user.

    The attempt is counted as a failure *before* the password is checked, in
    a short transaction, and forgiven after a success: parallel guesses are
    all counted, and no lock is held while argon2 works. 429 when either
    count is over its limit (the e-mail's owner gets a LOGIN_FAILED event).
    """
    email_lower = email.strip().lower()
    if len(email_lower) > EMAIL_MAX_LENGTH:  # nobody's email: the same work (a hash), the same answer
        return Attempt(email_lower=email_lower, candidate=None, client=client)
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    locked: str | None = None
    with db.login_session(email_lower, write=True) as session:
        _purge_expired(session, now - window)
        candidate = find_login(db, session, email_lower)
        keys = [(email_lower, settings.login_max_failures, "this email")]
        if client.address:
            keys.append((ADDRESS_KEY + client.address, settings.login_max_failures_per_address, "this address"))
        for key, limit, what in keys:
            throttle = _locked_throttle(session, key)
            if throttle.locked_until is not None and throttle.locked_until > now:
                locked = what
                remaining = (throttle.locked_until - now).total_seconds()
                break
            if now - throttle.window_started_at > window:
                throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
            throttle.failures += 1
            if throttle.failures >= limit:
                throttle.locked_until = now + window
        if locked is None:
            session.commit()
    attempt = Attempt(email_lower=email_lower, candidate=candidate, client=client)
    if locked is not None:
        _record_failure(db, attempt, "locked")
        raise TooManyRequests(
            f"Too many failed logins for {locked}. Try again later.",
            headers={"Retry-After": str(math.ceil(remaining))},
        )
    return attempt


def finish_login(db: Database, settings: Settings, attempt: Attempt, password_ok: bool) -> tuple[str, int]:
    """The token after a good password (forgiving the attempt), or 401 recorded as a security event."""
    candidate = attempt.candidate
    if candidate is None or not password_ok or not candidate.active:
        reason = "unknown-email" if candidate is None else ("wrong-password" if not password_ok else "inactive-user")
        _record_failure(db, attempt, reason)
        raise Unauthorized(INVALID_LOGIN)
    with db.unit_of_work(candidate.claims.tenant_id) as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.email_lower == attempt.email_lower))
        if attempt.client.address:
            # The address's count only loses this attempt: a valid account must
            # not wipe out the failures the same address made guessing others.
            # (Its reservation may have set the lock: it stands only if the failures alone reach the limit.)
            session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.email_lower == ADDRESS_KEY + attempt.client.address, LoginThrottle.failures > 0)
                .values(
                    failures=LoginThrottle.failures - 1,
                    locked_until=case(
                        (LoginThrottle.failures - 1 < settings.login_max_failures_per_address, None),
                        else_=LoginThrottle.locked_until,
                    ),
                )
            )
        events.record(
            session,
            SecurityEventType.LOGIN_SUCCEEDED,
            user_id=candidate.claims.user_id,
            user_email=candidate.email,
            client=attempt.client,
        )
    lifetime = timedelta(minutes=settings.access_token_minutes)
    token = create_access_token(candidate.claims, settings.secret_key, lifetime)
    return token, int(lifetime.total_seconds())


def _record_failure(db: Database, attempt: Attempt, reason: str) -> None:
    """A failed login is a security event of the user's tenant, in a short
    transaction of its own (the request itself fails). An unknown e-mail has
    no tenant: it is only logged, with the address, never stored."""
    candidate = attempt.candidate
    if candidate is None:
        log.info("login failed: unknown email from %s (%s)", attempt.client.address, attempt.client.user_agent)
        return
    with db.unit_of_work(candidate.claims.tenant_id) as session:
        events.record(
            session,
            SecurityEventType.LOGIN_FAILED,
            user_id=candidate.claims.user_id,
            user_email=candidate.email,
            client=attempt.client,
            details={"reason": reason},
        )


def _locked_throttle(session: Session, key: str) -> LoginThrottle:
    """The key's throttle row, created if missing, locked until the transaction ends."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottle).values(email_lower=key, failures=0, window_started_at=utcnow()).on_conflict_do_nothing()
    )
    return session.scalars(select(LoginThrottle).where(LoginThrottle.email_lower == key).with_for_update()).one()


def find_login(db: Database, session: LoginSession, email_lower: str) -> _Candidate | None:
    """What login needs of the user with this e-mail, or None.

    On PostgreSQL the service role cannot read users by e-mail nor any
    password hash: ``nitida_login_candidate`` answers, for one e-mail, only
    when called with the service's seal of that e-mail (core.seals).
    """
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            text(
                "SELECT user_id, tenant_id, password_hash, status, token_version, email "
                "FROM nitida_login_candidate(:email, :seal)"
            ),
            {"email": email_lower, "seal": db.login_seal(session, email_lower)},
        ).first()
    else:
        row = session.execute(
            select(
                User.id.label("user_id"),
                User.tenant_id,
                User.password_hash,
                User.status,
                User.token_version,
                User.email,
            ).where(User.email_lower == email_lower)
        ).first()
    if row is None:
        return None
    return _Candidate(
        claims=TokenClaims(user_id=row.user_id, tenant_id=row.tenant_id, token_version=row.token_version),
        password_hash=row.password_hash,
        active=UserStatus(row.status) is UserStatus.ACTIVE,
        email=row.email,
    )


def _purge_expired(session: Session, window_start: Any) -> None:
    """Forget throttle rows whose window and lock are both over, so guesses at
    unknown emails do not grow the table for ever."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < window_start,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < utcnow()),
        )
    )
