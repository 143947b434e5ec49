"""Reads served by the read replica (NITIDA_DATABASE_REPLICA_URL), and when they may not be.

Only lists, searches and reports ask for it (``ReadRouting.session()`` / ``.reader()``); every
other read and every write uses the primary. Even a list is read on the primary when:

* the request is not a GET or HEAD (whatever it reads may follow its own write);
* the request's unit of work has written (a flush or an ORM insert, update or delete);
* the caller asks for it with ``X-Nitida-Read-From: primary``;
* the caller's own last write is not on the replica yet. A stateless service cannot remember
  callers, so the caller carries it: every committed write answers with the WAL position of its
  commit, as the cookie ``nitida_read_after`` (browsers, cookie-keeping clients) and the header
  ``X-Nitida-Read-After`` (an API client sends it back as a request header). The replica serves
  that caller only once ``pg_last_wal_replay_lsn()`` has reached it: read-your-writes is exact,
  however far behind the replica is. The position only ever moves reads to the primary, which
  the opt-out header allows anyway, so it needs no signature; a malformed one means primary;
* the replica is further behind than NITIDA_REPLICA_MAX_LAG_SECONDS (time since its last replayed
  commit, unless it has replayed all it received from a running WAL receiver: an idle primary
  leaves it caught up, not late), or is not a standby (promoted: it no longer follows the primary);
* the replica cannot be reached or answers with an error: the primary answers (never an error
  because of the replica), and the replica is not tried again for RETRY_SECONDS in this process.

A replica session is sealed like any tenant session (core.db): the seal binds the replica
connection's backend pid, and ``nitida_current_tenant()`` and the key exist there because the
replica is a physical copy, so row-level security holds on it too.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import ORMExecuteState, Session

from nitida.core.db import WROTE_KEY, Database, ScopedSession, TenantSession

if TYPE_CHECKING:  # types only: the request's context (auth.context) loads no web framework
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("nitida.replica")

COOKIE = "nitida_read_after"
HEADER = "X-Nitida-Read-After"
OPT_OUT_HEADER = "X-Nitida-Read-From"
# The methods a replica may answer (OPTIONS reads no data: it never needs one).
REPLICA_METHODS = frozenset({"GET", "HEAD"})
RETRY_SECONDS = 5.0
# Where the scope carries the commit position from the request's context to the middleware.
SCOPE_KEY = "nitida.read_after"
# A position no replica reaches: "read from the primary" (a malformed token; a commit whose position is unknown).
NEVER = "FFFFFFFF/FFFFFFFF"
_LSN = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")

_NEVER_REPLAYED = 1 << 64
# How long one look at the replica's state answers for, in this process: it only gets fresher
# (replay moves forward; a caught-up replica is at most this much behind), and it saves a
# query per list. The state is read again after this; a dead replica still fails at BEGIN.
STATE_SECONDS = 0.25

_CHECK = text(
    "SELECT pg_is_in_recovery() AS standby,"
    " coalesce(pg_last_wal_replay_lsn() - '0/0'::pg_lsn, 0) AS replayed,"
    " coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false)"
    "   AND EXISTS (SELECT FROM pg_stat_wal_receiver) AS caught_up,"
    " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) AS lag"
)


@dataclass(frozen=True, slots=True)
class _ReplicaState:
    at: float  # time.monotonic() of the look
    standby: bool
    replayed: int  # pg_last_wal_replay_lsn() as a number
    caught_up: bool  # replayed all its running WAL receiver received
    lag: float | None  # seconds since its last replayed commit

    def serves(self, after: int, max_lag: float, now: float) -> bool:
        age = now - self.at
        late = age if self.caught_up else (None if self.lag is None else self.lag + age)
        return self.standby and self.replayed >= after and late is not None and late <= max_lag


# Per replica engine (id): the last look at its state; the time before which it is not tried again.
_states: dict[int, _ReplicaState] = {}
_down_until: dict[int, float] = {}


@event.listens_for(ScopedSession, "after_flush")
def _mark_flush(session: Session, _flush_context: Any) -> None:
    session.info[WROTE_KEY] = True


@event.listens_for(ScopedSession, "do_orm_execute")
def _mark_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE_KEY] = True


def parse_position(token: str | None) -> int | None:
    """A WAL position as sent back by a caller, as a number; one never replayed when malformed."""
    if token is None:
        return None
    token = token.strip()
    if not _LSN.match(token):
        return _NEVER_REPLAYED
    high, low = token.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def replica_down(db: Database) -> bool:
    engine = db.replica_engine
    return engine is None or _down_until.get(id(engine), 0.0) > time.monotonic()


def _mark_down(db: Database, exc: DBAPIError) -> None:
    _down_until[id(db.replica_engine)] = time.monotonic() + RETRY_SECONDS
    _states.pop(id(db.replica_engine), None)
    log.warning("read replica unavailable, reading from the primary for %.0f s: %s", RETRY_SECONDS, exc.orig)


def _open_replica(db: Database, tenant_id: uuid.UUID, after: int | None) -> tuple[ExitStack, TenantSession] | None:
    """The replica session and the stack that closes it, if the replica may serve; else None."""
    key = id(db.replica_engine)
    after = after or 0
    state = _states.get(key)
    if state is not None and time.monotonic() - state.at >= STATE_SECONDS:
        state = None
    if state is not None and not state.serves(after, db.replica_max_lag_seconds, time.monotonic()):
        return None
    stack = ExitStack()
    try:
        session = stack.enter_context(db.tenant_session(tenant_id, write=False, replica=True))
        if state is None:
            check = session.execute(_CHECK).one()
            lag = None if check.lag is None else float(check.lag)
            state = _ReplicaState(time.monotonic(), check.standby, int(check.replayed), check.caught_up, lag)
            _states[key] = state
        else:
            session.connection()  # BEGIN and the seal now: an unreachable replica fails here, not in the list
    except PoolTimeout:  # every replica connection busy: the primary answers this one
        stack.close()
        return None
    except DBAPIError as exc:
        stack.close()
        _mark_down(db, exc)
        return None
    if not state.serves(after, db.replica_max_lag_seconds, time.monotonic()):
        stack.close()
        return None
    return stack, session


@contextmanager
def read_session(
    db: Database,
    tenant_id: uuid.UUID,
    *,
    after: int | None,
    fallback: Callable[[], AbstractContextManager[TenantSession]],
) -> Iterator[TenantSession]:
    """A read-only session on the replica when it may serve (see the module), else ``fallback()``."""
    replica = None if replica_down(db) else _open_replica(db, tenant_id, after)
    if replica is None:
        with fallback() as session:
            yield session
        return
    stack, session = replica
    with stack:
        try:
            yield session
        except DBAPIError as exc:
            # Lost while the list was read: this request answers 503 (retry); the next ones the primary.
            if exc.connection_invalidated:
                _mark_down(db, exc)
            raise


@dataclass(slots=True)
class ReadRouting:
    """One request's choice of database for its lists, searches and reports."""

    db: Database
    tenant_id: uuid.UUID
    unit_of_work: TenantSession
    replica_allowed: bool
    after: int | None

    @classmethod
    def of(
        cls, db: Database, tenant_id: uuid.UUID, unit_of_work: TenantSession, method: str, headers: Any, cookies: Any
    ) -> ReadRouting:
        allowed = (
            db.replica_engine is not None
            and method in REPLICA_METHODS
            and (headers.get(OPT_OUT_HEADER) or "").strip().lower() != "primary"
        )
        after = parse_position(headers.get(HEADER) or cookies.get(COOKIE)) if allowed else None
        return cls(db, tenant_id, unit_of_work, allowed and after != _NEVER_REPLAYED, after)

    def _replica_may_serve(self) -> bool:
        return self.replica_allowed and not self.unit_of_work.info.get(WROTE_KEY)

    def session(self) -> AbstractContextManager[TenantSession]:
        """For a list, search or report read now: the replica, or the request's own unit of work."""
        if not self._replica_may_serve():
            return nullcontext(self.unit_of_work)
        return read_session(self.db, self.tenant_id, after=self.after, fallback=lambda: nullcontext(self.unit_of_work))

    def reader(self) -> AbstractContextManager[TenantSession]:
        """A short read-only session for a streamed list (read after the unit of work has closed)."""
        primary = lambda: self.db.tenant_session(self.tenant_id, write=False)  # noqa: E731
        if not self._replica_may_serve():
            return primary()
        return read_session(self.db, self.tenant_id, after=self.after, fallback=primary)


def shows_writes_made_elsewhere(session: TenantSession) -> None:
    """This request shows its caller writes made on its behalf elsewhere (a finished job): its
    next lists must include them, as after its own write (the answer carries the position)."""
    session.info[WROTE_KEY] = True


def commit_position(db: Database) -> str:
    """The primary's WAL insert position, read after a commit: at or past that commit's record."""
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return str(conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()").scalar_one())
    except DBAPIError:
        log.warning("the primary's WAL position is unknown: this caller reads from the primary for a while")
        return NEVER


def note_commit(scope: Scope, db: Database, unit_of_work: TenantSession, method: str) -> None:
    """After a request's unit of work committed: if it may have written, tell the caller where its write is."""
    holder = scope.get(SCOPE_KEY)
    if holder is None or db.replica_engine is None:
        return
    if method in REPLICA_METHODS and not unit_of_work.info.get(WROTE_KEY):
        return
    holder["position"] = commit_position(db)


class ReadAfterWriteMiddleware:
    """Adds the caller's write position (cookie and header) to the answer of a committed write."""

    def __init__(self, app: ASGIApp, max_age_seconds: int) -> None:
        self.app = app
        self.max_age_seconds = max_age_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder: dict[str, str] = {}
        scope[SCOPE_KEY] = holder

        async def send_with_position(message: Message) -> None:
            position = holder.get("position")
            if message["type"] == "http.response.start" and position:
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = f"{COOKIE}={position}; Max-Age={self.max_age_seconds}; Path=/; HttpOnly; SameSite=Lax{secure}"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"set-cookie", cookie.encode()),
                    (HEADER.lower().encode(), position.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_position)
