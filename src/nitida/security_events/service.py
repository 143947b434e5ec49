"""Security events: recorded in the caller's transaction (a failed login, whose
request fails, in a short transaction of its own: auth.service), listed for
the tenant's ADMIN, purged after two years."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text

from nitida.core.client import UNKNOWN_CLIENT, ClientInfo
from nitida.core.db import Database, TenantSession, utcnow
from nitida.core.principal import Principal
from nitida.security_events.models import SecurityEvent, SecurityEventType

# Kept for two years, then deleted by ``nitida security-events purge`` (run it daily,
# e.g. from cron; on PostgreSQL it calls nitida_purge_security_events(), which
# has the same two years written in migration 0009).
RETENTION_YEARS = 2


def retention_cutoff(now: datetime) -> datetime:
    """The same instant two years back (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - RETENTION_YEARS)
    except ValueError:
        return now.replace(year=now.year - RETENTION_YEARS, day=28)


def record(
    session: TenantSession,
    type_: SecurityEventType,
    *,
    user_id: uuid.UUID | None = None,
    user_email: str | None = None,
    actor: Principal | None = None,
    client: ClientInfo = UNKNOWN_CLIENT,
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    event = SecurityEvent(
        type=type_,
        user_id=user_id,
        user_email=user_email,
        actor_user_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else None,
        client_address=client.address,
        user_agent=client.user_agent,
        details=dict(details or {}),
    )
    session.add(event)
    return event


def count_since(
    session: TenantSession, type_: SecurityEventType, since: datetime, *, actor_user_id: uuid.UUID | None = None
) -> int:
    """How many events of ``type_`` the tenant (or one actor of it) recorded since ``since``: the memory of
    rate limits that must also be on the record."""
    query = (
        select(func.count())
        .select_from(SecurityEvent)
        .where(SecurityEvent.type == type_, SecurityEvent.occurred_at >= since)
    )
    if actor_user_id is not None:
        query = query.where(SecurityEvent.actor_user_id == actor_user_id)
    return session.scalar(query) or 0


def record_user_changes(
    session: TenantSession,
    actor: Principal,
    client: ClientInfo,
    user: Any,
    *,
    role_before: Any,
    status_before: Any,
    password_changed: bool,
) -> None:
    """The security events of one change to a user (role, status, password)."""
    common = {"user_id": user.id, "user_email": user.email, "actor": actor, "client": client}
    if user.role != role_before:
        record(
            session,
            SecurityEventType.ROLE_CHANGED,
            details={"from": role_before.value, "to": user.role.value},
            **common,
        )
    if user.status != status_before:
        kind = (
            SecurityEventType.USER_DEACTIVATED
            if user.status.value == "INACTIVE"
            else SecurityEventType.USER_REACTIVATED
        )
        record(session, kind, **common)
    if password_changed:
        record(session, SecurityEventType.PASSWORD_RESET, details={"role": user.role.value}, **common)


def list_events(
    session: TenantSession,
    *,
    user_id: uuid.UUID | None,
    type_: SecurityEventType | None,
    from_: datetime | None,
    to: datetime | None,
    limit: int,
    offset: int,
) -> list[SecurityEvent]:
    stmt = select(SecurityEvent).order_by(SecurityEvent.occurred_at.desc(), SecurityEvent.id)
    if user_id is not None:
        stmt = stmt.where(SecurityEvent.user_id == user_id)
    if type_ is not None:
        stmt = stmt.where(SecurityEvent.type == type_)
    if from_ is not None:
        stmt = stmt.where(SecurityEvent.occurred_at >= from_)
    if to is not None:
        stmt = stmt.where(SecurityEvent.occurred_at < to)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def purge_expired(db: Database) -> int:
    """Delete the events of every tenant older than the retention; how many went."""
    if db.dialect == "postgresql":
        # The service role may not DELETE security events; this function may,
        # and only those older than two years.
        with db.engine.begin() as conn:
            return conn.execute(text("SELECT nitida_purge_security_events()")).scalar_one()
    with db.engine.begin() as conn:
        return conn.execute(
            delete(SecurityEvent).where(SecurityEvent.occurred_at < retention_cutoff(utcnow()))
        ).rowcount
