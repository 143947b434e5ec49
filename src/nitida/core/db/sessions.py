"""The session kinds, and the listeners that scope them.

``Database`` (core.db.engines) opens every session; each kind is told what it may
see by its ``info`` when opened, and the listeners below enforce it:

* ``TenantSession``: one tenant. Every ORM SELECT/UPDATE/DELETE gets ``tenant_id =
  <its tenant>`` for each tenant-owned entity it touches (``with_loader_criteria``),
  every new tenant-owned row is stamped with its tenant on flush, and a row of
  another tenant is refused;
* ``LoginSession``: one user, by e-mail, before any tenant is known;
* ``QueueSession``: a job worker's claim of due jobs across tenants (queue tables
  only);
* a ``ScopedSession`` opened with none of these (no tenant, no e-mail, no queue)
  may not query a tenant-owned model at all.

The listeners are attached to ``ScopedSession``, the project's own session class
(and so to its subclasses): a plain ``sqlalchemy.orm.Session`` elsewhere in the
process is not touched (tests/core/test_session_scoping.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import CursorResult, Executable, Result, Select, Table, event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from nitida.core.db import fastpath
from nitida.core.db.base import TenantRoot, TenantScoped, TenantScopeError
from nitida.core.db.fastpath import FIRST_READ_KEY, TENANT_PARAM, FirstRead, TenantRead, by_key_read

log = logging.getLogger("nitida.db")

# What a session was opened for (session.info, set by Database when it opens one).
TENANT_KEY = "tenant_id"
LOGIN_EMAIL_KEY = "login_email"
QUEUE_KEY = "queue_scan"
RLS_KEY = "rls_key"
# Set once a session has written (a flush, ORM DML, write_rows): core.replica reads it.
WROTE_KEY = "nitida_wrote"
# The hooks of ScopedSession.after_commit, with the savepoint each was registered in.
AFTER_COMMIT_KEY = "after_commit"


class ScopedSession(Session):
    """The project's session class: every session ``Database`` opens is one of its
    kinds, and the scoping listeners below are attached to it alone.

    It has after-commit hooks: work that must happen only once the transaction is
    durable (enqueueing outside the database, sending mail)."""

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
        read (core.db.fastpath), and its rows are returned only once the check has passed."""
        values = {**(params or {}), TENANT_PARAM: self.tenant_id}
        first: FirstRead | None = self.info.get(FIRST_READ_KEY)
        if first is not None and not self.in_transaction():
            dialect = self.get_bind().dialect
            if dialect.name == "postgresql" and read.for_driver(dialect) is not None:
                first.rider = (read, values)
                self.connection()  # begins: the check, then this read, in one round trip
                ridden, first.ridden = first.ridden, None
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
        self.info[FIRST_READ_KEY] = FirstRead(read, params, check)

    def write_rows(self, stmt: Executable, values: dict[str, Any] | None = None) -> CursorResult[Any]:
        """A Core INSERT/UPDATE/DELETE on this session's connection (its transaction,
        its RLS context), for hot paths that skip the ORM's flush. The statement (or
        ``values``, the parameters of a statement built once) carries the tenant
        itself; the session is marked as having written, as a flush marks it
        (core.replica: what it lists next reads the primary)."""
        self.info[WROTE_KEY] = True
        return self.connection().execute(stmt, values)


class QueueSession(ScopedSession):
    """A job worker's session: it finds and claims due jobs of every tenant, and
    sees nothing else (models opt in with ``__queue_table__ = True``)."""


class LoginSession(ScopedSession):
    """A session that sees one user, by e-mail, before any tenant is known."""

    @property
    def email_lower(self) -> str:
        return self.info[LOGIN_EMAIL_KEY]


# --- the listeners, on ScopedSession only --------------------------------------


@event.listens_for(ScopedSession, "do_orm_execute")
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


@event.listens_for(ScopedSession, "before_flush")
def _stamp_tenant(session: Session, flush_context: Any, instances: Any) -> None:
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


@event.listens_for(ScopedSession, "after_begin")
def _begin_transaction(session: Session, transaction: Any, connection: Any) -> None:
    """The transaction's RLS context (PostgreSQL), then the check that waits for its
    first statement (``TenantSession.check_on_begin``), before any other result."""
    info = session.info
    tenant_id = info.get(TENANT_KEY)
    first: FirstRead | None = info.pop(FIRST_READ_KEY, None) if tenant_id is not None else None
    key: bytes | None = info.get(RLS_KEY)
    if connection.dialect.name != "postgresql" or key is None:
        if first is not None:  # no pipeline: the check's read is the first statement
            values = {**first.params, TENANT_PARAM: tenant_id}
            first.verdict(connection.execute(first.check.statement, values).first())
        return
    queue = bool(info.get(QUEUE_KEY))
    if tenant_id is None and not queue:
        return  # nothing to see: no setting, no rows (a login session reads through a function)
    fastpath.begin_sealed(connection, key, tenant_id, queue, first)


@event.listens_for(ScopedSession, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction itself is not durable yet
    hooks = session.info.pop(AFTER_COMMIT_KEY, [])
    for _savepoint, hook in hooks:
        try:
            hook()
        except Exception:  # the commit stands: a failed hook must not turn it into an error
            log.exception("after-commit hook failed")


@event.listens_for(ScopedSession, "after_soft_rollback")
def _drop_after_commit_hooks(session: Session, previous_transaction: Any) -> None:
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
