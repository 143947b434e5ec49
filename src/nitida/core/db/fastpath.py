"""The fast path of issue 14: reads built once, and the transaction's first read
sent in the same round trip as its BEGIN.

THIS IS THE ONE MODULE OF THE DATABASE KIT THAT TOUCHES LIBRARY INTERNALS. Keep
every such use here, and re-check each one when SQLAlchemy or psycopg is upgraded
(the tests of tests/core/test_prefetch.py and tests/auth exercise all of them):

* SQLAlchemy: ``Compiled._bind_processors`` (whether a statement's parameters need
  SQLAlchemy's processing on the way in), ``IteratorResult`` and
  ``SimpleResultMetaData`` from ``sqlalchemy.engine.result`` (a driver's rows made
  into a ``Result``), ``TypeEngine.dialect_impl(...).result_processor`` (each
  column's processing on the way out), ``DBAPIError.instance`` and
  ``Dialect.is_disconnect`` / ``Connection.invalidate`` (a driver error wrapped as
  SQLAlchemy would wrap it), ``Connection.connection.dbapi_connection`` (the
  driver's connection under the pool's proxy);
* psycopg 3: ``Connection.pipeline()`` (several statements, one round trip) and
  ``Connection.info.backend_pid``.

What it does:

* ``TenantRead``: a Core SELECT of one tenant-owned table built once (module
  level); the tenant criterion is part of it, ``tenant_id = :nitida_tenant``, a
  parameter only ``TenantSession.read_prepared`` fills in (with its own tenant).
* ``FirstRead``: the one object that carries the transaction's first read between
  ``TenantSession.check_on_begin`` / ``read_prepared`` (core.db.sessions) and the
  ``after_begin`` listener (``begin_sealed`` here, attached in core.db.sessions).
* ``begin_sealed``: on PostgreSQL, the transaction's RLS context (``app.tenant_id``
  and its seal), the check's read and the read riding with it, sent straight on
  psycopg in pipeline mode: one round trip for BEGIN and all of them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, Select, Table, bindparam, select
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.selectable import NamedFromClause

from nitida.core import seals
from nitida.core.db.base import TenantScopeError

# The bind parameter of every TenantRead's tenant criterion: only the session fills it in.
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


# Where a session keeps its FirstRead (session.info), between the read and the listener.
FIRST_READ_KEY = "nitida_first_read"


@dataclass(slots=True)
class FirstRead:
    """The transaction's first statement, waited for by a check: held in
    ``session.info[FIRST_READ_KEY]`` from ``check_on_begin`` until the transaction
    begins, when the ``after_begin`` listener takes it out (it runs once).

    Who writes and who reads each field:

    * ``check``, ``params``, ``verdict`` — written by ``TenantSession.check_on_begin``
      (the read of the caller, its parameters without the tenant, and what raises to
      refuse on its first row or None); read by the ``after_begin`` listener
      (``sessions._begin_transaction``, and ``begin_sealed`` on PostgreSQL), which
      runs the read first and hands its row to ``verdict``.
    * ``rider`` — written by ``TenantSession.read_prepared`` just before it begins the
      transaction (the read, with all its values, tenant included); read by
      ``begin_sealed``, which sends it in the same pipeline, after the check.
    * ``ridden`` — written by ``begin_sealed`` once ``verdict`` has passed (the
      rider's rows, as a ``Result``); read by ``read_prepared``, which returns it.
      Never set when the verdict refused: the rider's rows are never returned.
    """

    check: TenantRead
    params: dict[str, Any]
    verdict: Callable[[Any], None]
    rider: tuple[TenantRead, dict[str, Any]] | None = None
    ridden: Result[Any] | None = None


# set_config(..., is_local => true): the settings die with the transaction,
# so a pooled connection never carries one tenant's context into another's.
_RLS_CONTEXT_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_seal', %s, true), "
    "set_config('app.queue_scan', %s, true)"
)


def begin_sealed(connection: Any, key: bytes, tenant_id: Any, queue: bool, first: FirstRead | None) -> None:
    """On PostgreSQL, as the transaction begins: its RLS context (the tenant and its
    seal, or the queue's seal), then ``first``'s check and the read riding with it.

    Straight on the driver, in pipeline mode: psycopg sends the transaction's BEGIN,
    the context and those reads (after it: under the policies it enables) together
    and waits once: one round trip, not three or four. An error surfaces when the
    pipeline syncs, at the end of the block."""
    raw = connection.connection.dbapi_connection
    pid = raw.info.backend_pid
    tenant = str(tenant_id) if tenant_id else ""
    params = (
        tenant,
        seals.tenant_seal(key, tenant, pid) if tenant else "",
        seals.queue_seal(key, pid) if queue else "",
    )
    reads: list[tuple[TenantRead, dict[str, Any]]] = []
    if first is not None:
        reads.append((first.check, {**first.params, TENANT_PARAM: tenant_id}))
        if first.rider is not None:
            reads.append(first.rider)
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
    if first is not None:
        first.verdict(results[0].first())  # raises to refuse: the riding read's rows are never returned
        if len(results) > 1:
            first.ridden = results[1]


def _not_for_driver(read: TenantRead) -> Any:
    raise RuntimeError(f"a check's read must be one the driver can send as it is: {read.statement}")


def backend_pid(connection: Any) -> int:
    """The PostgreSQL backend process of a SQLAlchemy connection (known to the driver: no round trip)."""
    return connection.connection.dbapi_connection.info.backend_pid
