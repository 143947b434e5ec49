"""Database plumbing: engines, sessions and tenant scoping by construction.

Every session is opened for exactly one tenant (or, for login, for one email).
Tenant scoping is applied by the session itself, never by the query author:

* every ORM SELECT/UPDATE/DELETE gets ``tenant_id = <session tenant>`` added for
  each tenant-owned entity it touches (``with_loader_criteria``);
* every new tenant-owned row is stamped with the session's tenant on flush, and
  a row stamped with another tenant is refused;
* on PostgreSQL each transaction also sets ``app.tenant_id`` with its seal
  (core.seals), so row-level security policies (core.rls) are a second wall
  under the first that SQL run as the service role cannot move.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    CursorResult,
    DateTime,
    Engine,
    Executable,
    ForeignKey,
    MetaData,
    Result,
    Select,
    Table,
    Uuid,
    bindparam,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.selectable import NamedFromClause
from sqlalchemy.types import TypeDecorator

from nitida.core import seals

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC on both engines.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    marked as UTC on the way out; naive datetimes are refused outright.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TenantScoped:
    """Mixin for every tenant-owned table: ``(tenant_id, id)`` is the primary key.

    tenant_id leads every key and index so the tables can be distributed by
    tenant (Citus) and so composite foreign keys make a cross-tenant reference
    impossible in the database itself.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid,
            ForeignKey("tenants.id", ondelete="RESTRICT"),
            primary_key=True,
            sort_order=-2,  # first column, first in the primary key
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4, sort_order=-1)


class TenantRoot:
    """Mixin for the tenants table itself: a session sees only its own tenant's row."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TenantScopeError(RuntimeError):
    """A query or write was attempted outside of a tenant's session."""


log = logging.getLogger("nitida.db")

AFTER_COMMIT_KEY = "after_commit"


class ScopedSession(Session):
    """A session with after-commit hooks: work that must happen only once the
    transaction is durable (enqueueing outside the database, sending mail)."""

    def after_commit(self, hook: Callable[[], Any]) -> None:
        """Run ``hook`` once this session's transaction commits; never if it rolls back.

        A hook registered inside a savepoint that rolls back is dropped with it.
        """
        self.info.setdefault(AFTER_COMMIT_KEY, []).append((self.get_nested_transaction(), hook))


class TenantSession(ScopedSession):
    """A session opened for one tenant: it sees and writes only that tenant's rows."""

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.info[TENANT_KEY]

    def read_rows(self, stmt: Select, table: Table) -> CursorResult[Any]:
        """A Core SELECT of one tenant-owned table, with this session's tenant
        criterion added here as the ORM's auto-filter would add it.

        For hot reads of plain rows (a request's user, a row by id): no ORM
        compilation, no loader criteria, a fraction of the Python cost. Only
        ``table`` is filtered, so the statement must read that table alone.
        """
        if "tenant_id" not in table.c:
            raise TenantScopeError(f"{table.name} is not a tenant-owned table")
        return self.connection().execute(stmt.where(table.c.tenant_id == self.tenant_id))

    def read_by_key(self, table: Table, columns: tuple[Any, ...], key: str, value: Any) -> Any:
        """The row of ``columns`` of ``table`` whose ``key`` column is ``value`` in this
        session's tenant, or None: ``read_rows`` for the hottest reads (a request's
        caller, a row by id), with the statement built once per shape, so a request
        pays neither its construction nor its cache key (issue 14)."""
        return self.read_prepared(by_key_read(table, columns, key), {"nitida_key": value}).first()

    def read_prepared(self, read: TenantRead, params: dict[str, Any] | None = None) -> Result[Any]:
        """Run a ``TenantRead`` (a statement built once) for this session's tenant.

        The transaction's first statement, when a check waits for it (``check_on_begin``):
        on PostgreSQL it rides in the pipeline of BEGIN, the RLS context and the check's
        read, and its rows are returned only once the check has passed."""
        values = {**(params or {}), TENANT_PARAM: self.tenant_id}
        if BEGIN_CHECK_KEY in self.info and not self.in_transaction():
            dialect = self.get_bind().dialect
            if dialect.name == "postgresql" and read.for_driver(dialect) is not None:
                self.info[RIDER_KEY] = (read, values)
                self.connection()  # begins: the check, then this read, in one round trip
                ridden = self.info.pop(RIDDEN_KEY, None)
                if ridden is not None:
                    return ridden
        return self.connection().execute(read.statement, values)

    def check_on_begin(self, read: TenantRead, params: dict[str, Any], check: Callable[[Any], None]) -> None:
        """Make ``read`` the transaction's first statement and hand its first row (or
        None) to ``check``, which raises to refuse, before any other result of the
        transaction is returned. A request's caller is checked this way.

        On PostgreSQL it rides in the pipeline of BEGIN and the RLS context (after it:
        the policies apply), with the transaction's first ``read_prepared`` after it:
        the check costs no round trip of its own, and that first read none either.
        A session whose transaction has begun already (SQLite's writers begin at
        once) runs the check now."""
        if self.in_transaction():
            check(self.read_prepared(read, params).first())
            return
        self.info[BEGIN_CHECK_KEY] = (read, params, check)

    def write_rows(self, stmt: Executable, values: dict[str, Any] | None = None) -> CursorResult[Any]:
        """A Core INSERT/UPDATE/DELETE on this session's connection (its transaction,
        its RLS context), for hot paths that skip the ORM's flush. The statement (or
        ``values``, the parameters of a statement built once) carries the tenant
        itself; the session is marked as having written, as a flush marks it
        (core.replica: what it lists next reads the primary)."""
        self.info[WROTE_KEY] = True
        return self.connection().execute(stmt, values)


TENANT_PARAM = "nitida_tenant"


class TenantRead:
    """A Core SELECT of one tenant-owned table, built once (module level) and run
    by ``TenantSession.read_prepared``: hot reads pay neither the statement's
    construction nor its cache key per request. The tenant criterion is part of
    it by construction, a parameter that only the session fills in (its tenant).

    ``table`` may also be the rows of a SECURITY DEFINER function that applies the
    tenant itself and returns ``tenant_id`` (the criterion then holds on its rows).
    ``refine`` adds the rest (conditions, order); like ``read_rows``, only
    ``table`` is filtered, so the statement must read that table alone (a
    subquery may read such a function).
    """

    __slots__ = ("statement", "_driver")

    def __init__(
        self, table: NamedFromClause, columns: tuple[Any, ...], refine: Callable[[Select], Select] = lambda s: s
    ):
        if "tenant_id" not in table.c:
            raise TenantScopeError(f"{table.name} is not a tenant-owned table")
        self.statement = refine(select(*columns).where(table.c.tenant_id == bindparam(TENANT_PARAM)))
        self._driver: dict[str, tuple[str, Callable[[list[tuple]], Result[Any]]] | None] = {}

    def for_driver(self, dialect: Any) -> tuple[str, Callable[[list[tuple]], Result[Any]]] | None:
        """The statement as the driver's SQL, and what makes the driver's rows into a
        result as SQLAlchemy would give it (named fields, each column's result
        processing): for a read sent straight on the driver, in a pipeline
        (``TenantSession.check_on_begin``). None when a parameter needs SQLAlchemy's
        own processing on the way in: such a read goes through SQLAlchemy."""
        found = self._driver.get(dialect.name, _UNCOMPILED)
        if found is _UNCOMPILED:
            compiled = self.statement.compile(dialect=dialect)
            columns = self.statement.selected_columns
            keys = [str(column.key) for column in columns]
            # Only the columns that have a result processing (a page of 50 rows as JSON text has none).
            processors = [
                (i, processor)
                for i, column in enumerate(columns)
                if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
            ]

            def processed(row: tuple) -> tuple:
                values = list(row)
                for i, processor in processors:
                    values[i] = processor(values[i])
                return tuple(values)

            def make_result(rows: list[tuple]) -> Result[Any]:
                return IteratorResult(SimpleResultMetaData(keys), iter(map(processed, rows) if processors else rows))

            found = None if compiled._bind_processors else (compiled.string, make_result)
            self._driver[dialect.name] = found
        return found


_UNCOMPILED: Any = object()


@functools.cache
def by_key_read(table: Table, columns: tuple[Any, ...], key: str) -> TenantRead:
    """The read of a row of ``table`` by its ``key`` column (parameter ``nitida_key``)."""
    return TenantRead(table, columns, lambda stmt: stmt.where(table.c[key] == bindparam("nitida_key")))


class QueueSession(ScopedSession):
    """A job worker's session: it finds and claims due jobs of every tenant, and
    sees nothing else (models opt in with ``__queue_table__ = True``)."""


_S = TypeVar("_S", bound="ScopedSession")


class LoginSession(ScopedSession):
    """A session that sees one user, by e-mail, before any tenant is known."""

    @property
    def email_lower(self) -> str:
        return self.info[LOGIN_EMAIL_KEY]


# --- session scoping -------------------------------------------------------

TENANT_KEY = "tenant_id"
LOGIN_EMAIL_KEY = "login_email"
QUEUE_KEY = "queue_scan"
RLS_KEY = "rls_key"
# Set once a session has written (a flush, ORM DML, write_rows): core.replica reads it.
WROTE_KEY = "nitida_wrote"
# The check of the transaction's first statement (TenantSession.check_on_begin), and the
# read riding with it on PostgreSQL with its result (TenantSession.read_prepared).
BEGIN_CHECK_KEY = "nitida_begin_check"
RIDER_KEY = "nitida_rider"
RIDDEN_KEY = "nitida_ridden"


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement already carried the criteria
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is not None:
        state.statement = state.statement.options(
            with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True),
            with_loader_criteria(TenantRoot, lambda cls: cls.id == tenant_id, include_aliases=True),
        )
        return
    if state.session.info.get(QUEUE_KEY):
        # A queue session (job workers) sees the rows of queue tables of every
        # tenant, and nothing else: the same rule as their RLS policy.
        for mapper in state.all_mappers:
            if not getattr(mapper.class_, "__queue_table__", False):
                raise TenantScopeError(f"{mapper.class_.__name__} queried in a queue session")
        return
    email = state.session.info.get(LOGIN_EMAIL_KEY)
    if email is None:
        raise TenantScopeError("query outside of a tenant session")
    # A login session sees one user, by email, and no other tenant-owned row:
    # the same rule as the RLS policy "login_lookup".
    for mapper in state.all_mappers:
        cls = mapper.class_
        if issubclass(cls, TenantRoot):
            raise TenantScopeError("tenants queried in a login session")
        if not issubclass(cls, TenantScoped):
            continue
        email_column = getattr(cls, "email_lower", None)
        if email_column is None:
            raise TenantScopeError(f"{cls.__name__} queried in a login session")
        state.statement = state.statement.options(
            with_loader_criteria(cls, email_column == email, include_aliases=True)
        )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        if session.info.get(QUEUE_KEY):
            if getattr(obj, "__queue_table__", False) and obj not in session.new:
                continue  # a worker updates the row it claims; it never creates one
            raise TenantScopeError("queue sessions only update queue rows")
        if tenant_id is None:
            raise TenantScopeError("write outside of a tenant session")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantScopeError("row belongs to another tenant")


# set_config(..., is_local => true): the settings die with the transaction,
# so a pooled connection never carries one tenant's context into another's.
_RLS_CONTEXT_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_seal', %s, true), "
    "set_config('app.queue_scan', %s, true)"
)


@event.listens_for(Session, "after_begin")
def _begin_tenant_transaction(session: Session, transaction, connection) -> None:
    """The transaction's RLS context (PostgreSQL), then the check that waits for its
    first statement (``TenantSession.check_on_begin``), before any other result."""
    tenant_id = session.info.get(TENANT_KEY)
    check = session.info.pop(BEGIN_CHECK_KEY, None) if tenant_id is not None else None
    if check is not None:
        check_read, check_params, verdict = check
        check_values = {**check_params, TENANT_PARAM: tenant_id}
    key: bytes | None = session.info.get(RLS_KEY)
    if connection.dialect.name != "postgresql" or key is None:
        if check is not None:  # no pipeline: the check's read is the first statement
            verdict(connection.execute(check_read.statement, check_values).first())
        return
    if tenant_id is None and not session.info.get(QUEUE_KEY):
        return  # nothing to see: no setting, no rows (a login session reads through a function)
    raw = connection.connection.dbapi_connection
    pid = raw.info.backend_pid
    tenant = str(tenant_id) if tenant_id else ""
    params = (
        tenant,
        seals.tenant_seal(key, tenant, pid) if tenant else "",
        seals.queue_seal(key, pid) if session.info.get(QUEUE_KEY) else "",
    )
    # The check's read, and the first read riding with it (TenantSession.read_prepared).
    reads: list[tuple[TenantRead, dict[str, Any]]] = []
    if check is not None:
        reads.append((check_read, check_values))
        if RIDER_KEY in session.info:
            reads.append(session.info.pop(RIDER_KEY))
    # Straight on the driver, in pipeline mode: psycopg sends the transaction's BEGIN,
    # this statement and those reads (after it: under the policies it enables)
    # together and waits once: one round trip, not three or four. An error surfaces
    # when the pipeline syncs, at the end of the block.
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with raw.pipeline():
            raw.execute(_RLS_CONTEXT_SQL, params)
            sent = []
            for read, values in reads:
                sql, make_result = read.for_driver(connection.dialect) or _not_for_driver(read)
                sent.append((make_result, raw.execute(sql, values)))
        results = [make_result(cursor.fetchall()) for make_result, cursor in sent]
    except dbapi_error as exc:
        # Straight on the driver, so SQLAlchemy did not see it: wrap it as it would
        # (problem handlers, the replica's fallback), and drop a lost connection.
        lost = connection.dialect.is_disconnect(exc, raw, None)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            _RLS_CONTEXT_SQL, params, exc, dbapi_error, connection_invalidated=lost, dialect=connection.dialect
        ) from exc
    if check is not None:
        verdict(results[0].first())  # raises to refuse: the riding read's rows are never returned
        if len(results) > 1:
            session.info[RIDDEN_KEY] = results[1]


def _not_for_driver(read: TenantRead) -> Any:
    raise RuntimeError(f"a check's read must be one the driver can send as it is: {read.statement}")


def backend_pid(connection) -> int:
    """The PostgreSQL backend process of a SQLAlchemy connection (known to the driver: no round trip)."""
    return connection.connection.dbapi_connection.info.backend_pid


@event.listens_for(Session, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction itself is not durable yet
    hooks = session.info.pop(AFTER_COMMIT_KEY, [])
    for _savepoint, hook in hooks:
        try:
            hook()
        except Exception:  # the commit stands: a failed hook must not turn it into an error
            log.exception("after-commit hook failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit_hooks(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its work is gone
        session.info.pop(AFTER_COMMIT_KEY, None)
    elif AFTER_COMMIT_KEY in session.info:  # a savepoint: only the work done inside it is gone
        session.info[AFTER_COMMIT_KEY] = [
            (savepoint, hook)
            for savepoint, hook in session.info[AFTER_COMMIT_KEY]
            if not _inside(savepoint, previous_transaction)
        ]


def _inside(savepoint: Any, transaction: Any) -> bool:
    """Whether ``savepoint`` is ``transaction`` or was opened inside it."""
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False


# --- engines ---------------------------------------------------------------


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
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
    def _on_begin(conn) -> None:
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
