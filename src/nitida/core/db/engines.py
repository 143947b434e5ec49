"""Engines (PostgreSQL, and SQLite's configuration), and ``Database``: the engine
and the only ways to open a session on it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

from nitida.core import seals
from nitida.core.db.fastpath import backend_pid
from nitida.core.db.sessions import (
    LOGIN_EMAIL_KEY,
    QUEUE_KEY,
    RLS_KEY,
    TENANT_KEY,
    LoginSession,
    QueueSession,
    ScopedSession,
    TenantSession,
)

_S = TypeVar("_S", bound=ScopedSession)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that BEGIN
        # is ours to emit (below): writers take the lock up front and wait
        # for each other instead of failing with "database is locked".
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("nitida_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# 19 digits in a row may be an integer beyond 64 bits: orjson would read it
# as a float, the standard library exactly (such documents take that path).
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _json_loads(document: str | bytes) -> Any:
    """JSON columns parsed by orjson, several times faster than the standard
    library (the whole list of customers parses one per row), same values."""
    raw = document.encode() if isinstance(document, str) else document
    if _LONG_DIGITS.search(raw):
        return json.loads(raw)
    return orjson.loads(raw)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_deserializer=_json_loads
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        json_deserializer=_json_loads,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,  # then 503: better than queueing requests for long
        # No pre-ping (a SELECT 1 before every request): after a PostgreSQL
        # restart the first request on a dead connection fails (503), which
        # invalidates the whole pool, and the next ones reconnect.
        pool_pre_ping=False,
        pool_recycle=1800,
    )


def make_replica_engine(url: str, *, pool_size: int = 10) -> Engine:
    """The read replica's engine: short waits, because the primary can always answer instead."""
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=1,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"connect_timeout": 2},
    )


class Database:
    """The engine and the only ways to open a session on it.

    On PostgreSQL ``secret_key`` (NITIDA_SECRET_KEY) is required: the seals of
    the row-level-security settings are derived from it (core.seals).
    """

    def __init__(
        self,
        url: str,
        *,
        secret_key: str | None = None,
        pool_size: int = 10,
        replica_url: str | None = None,
        replica_max_lag_seconds: float = 10.0,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        if self.dialect == "postgresql" and not secret_key:
            raise ValueError("a Database on PostgreSQL needs the secret key (row-level-security seals)")
        self.rls_key: bytes | None = seals.derive_rls_key(secret_key) if secret_key else None
        # A hot-standby replica for lists, searches and reports (core.replica decides when it may serve).
        self.replica_engine: Engine | None = None
        self.replica_max_lag_seconds = replica_max_lag_seconds
        if replica_url:
            if self.dialect != "postgresql" or not replica_url.startswith("postgresql"):
                raise ValueError("a read replica (NITIDA_DATABASE_REPLICA_URL) needs PostgreSQL for both databases")
            self.replica_engine = make_replica_engine(replica_url, pool_size=pool_size)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _open(self, kind: type[_S], info: dict[str, Any], write: bool, replica: bool = False) -> Iterator[_S]:
        bind = self.engine
        if replica:
            if write or self.replica_engine is None:
                raise ValueError("a replica session is read-only and needs NITIDA_DATABASE_REPLICA_URL")
            bind = self.replica_engine
        session = kind(bind, info={**info, RLS_KEY: self.rls_key}, expire_on_commit=False, autoflush=False)
        try:
            if write and self.dialect == "sqlite":
                # BEGIN IMMEDIATE: writers queue for the lock instead of failing later.
                session.connection(execution_options={"nitida_write": True})
            yield session
        finally:
            session.close()

    def tenant_session(
        self, tenant_id: uuid.UUID, *, write: bool = True, replica: bool = False
    ) -> AbstractContextManager[TenantSession]:
        """A session that can only see and write ``tenant_id``'s rows; the caller commits.

        Requests do not call this: they get ``unit_of_work`` through their
        context dependency. Work that did not come from a request (the job
        worker, the command line, tests) opens its tenant's session here.
        ``replica=True``: a read-only session on the read replica, sealed the
        same way (the seal binds the replica connection's pid); requests get
        one through core.replica, which decides whether the replica may serve.
        """
        return self._open(TenantSession, {TENANT_KEY: tenant_id}, write, replica)

    @contextmanager
    def unit_of_work(self, tenant_id: uuid.UUID, *, write: bool = True) -> Iterator[TenantSession]:
        """A tenant session that commits once when the block ends normally and
        rolls back (running no after-commit hook) when it raises."""
        with self.tenant_session(tenant_id, write=write) as session:
            yield session
            session.commit()

    def login_session(self, email_lower: str, *, write: bool = False) -> AbstractContextManager[LoginSession]:
        """A session for finding a user by email before any tenant is known."""
        return self._open(LoginSession, {LOGIN_EMAIL_KEY: email_lower}, write)

    def queue_session(self) -> AbstractContextManager[QueueSession]:
        """A short write transaction of a job worker, to claim due jobs across tenants.

        The job itself then runs in its tenant's ``unit_of_work``.
        """
        return self._open(QueueSession, {QUEUE_KEY: True}, True)

    def login_seal(self, session: Session, email_lower: str) -> str:
        """The seal that lets ``nitida_login_candidate`` answer for this e-mail on this session's connection."""
        assert self.rls_key is not None
        return seals.login_seal(self.rls_key, email_lower, backend_pid(session.connection()))

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()
