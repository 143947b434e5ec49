"""Database plumbing: engines, sessions and tenant scoping by construction.

Every session is opened for exactly one tenant (or, for login, for one email).
Tenant scoping is applied by the session itself, never by the query author:

* every ORM SELECT/UPDATE/DELETE gets ``tenant_id = <session tenant>`` added for
  each tenant-owned entity it touches (``with_loader_criteria``);
* every new tenant-owned row is stamped with the session's tenant on flush, and
  a row stamped with another tenant is refused;
* on PostgreSQL each transaction also sets ``app.tenant_id`` so row-level
  security policies (see the migrations) are a second wall under the first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    Uuid,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator

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
        """Run ``hook`` once this session's transaction commits; never if it rolls back."""
        self.info.setdefault(AFTER_COMMIT_KEY, []).append(hook)


class TenantSession(ScopedSession):
    """A session opened for one tenant: it sees and writes only that tenant's rows."""

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.info[TENANT_KEY]


class QueueSession(ScopedSession):
    """A job worker's session: it finds and claims due jobs of every tenant, and
    sees nothing else (models opt in with ``__queue_table__ = True``)."""


class LoginSession(ScopedSession):
    """A session that sees one user, by e-mail, before any tenant is known."""

    @property
    def email_lower(self) -> str:
        return self.info[LOGIN_EMAIL_KEY]


# --- session scoping -------------------------------------------------------

TENANT_KEY = "tenant_id"
LOGIN_EMAIL_KEY = "login_email"
QUEUE_KEY = "queue_scan"


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
        if not hasattr(cls, "email_lower"):
            raise TenantScopeError(f"{cls.__name__} queried in a login session")
        state.statement = state.statement.options(
            with_loader_criteria(cls, cls.email_lower == email, include_aliases=True)
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


@event.listens_for(Session, "after_begin")
def _set_rls_context(session: Session, transaction, connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant_id = session.info.get(TENANT_KEY)
    email = session.info.get(LOGIN_EMAIL_KEY)
    # set_config(..., is_local => true): the setting dies with the transaction,
    # so a pooled connection never carries one tenant's context into another's.
    queue_scan = "on" if session.info.get(QUEUE_KEY) else ""
    connection.execute(
        text(
            "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.login_email', :email, true), "
            "set_config('app.queue_scan', :queue_scan, true)"
        ),
        {"tenant": str(tenant_id) if tenant_id else "", "email": email or "", "queue_scan": queue_scan},
    )


@event.listens_for(Session, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    hooks = session.info.pop(AFTER_COMMIT_KEY, [])
    for hook in hooks:
        try:
            hook()
        except Exception:  # the commit stands: a failed hook must not turn it into an error
            log.exception("after-commit hook failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit_hooks(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its work is gone
        session.info.pop(AFTER_COMMIT_KEY, None)


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


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,  # then 503: better than queueing requests for long
        # No pre-ping (a SELECT 1 before every request): after a PostgreSQL
        # restart the first request on a dead connection fails (503), which
        # invalidates the whole pool, and the next ones reconnect.
        pool_pre_ping=False,
        pool_recycle=1800,
    )


class Database:
    """The engine and the only ways to open a session on it."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self._tenant_factory = sessionmaker(self.engine, class_=TenantSession, expire_on_commit=False, autoflush=False)
        self._login_factory = sessionmaker(self.engine, class_=LoginSession, expire_on_commit=False, autoflush=False)
        self._queue_factory = sessionmaker(self.engine, class_=QueueSession, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _begin_write(self, session: Session, write: bool) -> None:
        if write and self.dialect == "sqlite":
            session.connection(execution_options={"nitida_write": True})

    @contextmanager
    def tenant_session(self, tenant_id: uuid.UUID, *, write: bool = True) -> Iterator[TenantSession]:
        """A session that can only see and write ``tenant_id``'s rows; the caller commits.

        Requests do not call this: they get ``unit_of_work`` through their
        context dependency. Work that did not come from a request (the job
        worker, the command line, tests) opens its tenant's session here.
        """
        session = self._tenant_factory(info={TENANT_KEY: tenant_id})
        try:
            self._begin_write(session, write)
            yield session
        finally:
            session.close()

    @contextmanager
    def unit_of_work(self, tenant_id: uuid.UUID, *, write: bool = True) -> Iterator[TenantSession]:
        """A tenant session that commits once when the block ends normally and
        rolls back (running no after-commit hook) when it raises."""
        with self.tenant_session(tenant_id, write=write) as session:
            yield session
            session.commit()

    @contextmanager
    def login_session(self, email_lower: str, *, write: bool = False) -> Iterator[LoginSession]:
        """A session for finding a user by email before any tenant is known."""
        session = self._login_factory(info={LOGIN_EMAIL_KEY: email_lower})
        try:
            self._begin_write(session, write)
            yield session
        finally:
            session.close()

    @contextmanager
    def queue_session(self) -> Iterator[QueueSession]:
        """A short write transaction of a job worker, to claim due jobs across tenants.

        The job itself then runs in its tenant's ``unit_of_work``.
        """
        session = self._queue_factory(info={QUEUE_KEY: True})
        try:
            self._begin_write(session, True)
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
