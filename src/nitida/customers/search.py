"""Finding customers: search (accent- and case-insensitive, numbers as people type them), pages with their
count, and the whole list streamed; Spanish order throughout."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    Row,
    Select,
    String,
    Text,
    bindparam,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import column as sql_column

from nitida.core.db import TenantRead, TenantSession
from nitida.core.text import fold
from nitida.customers.models import Customer, CustomerStatus
from nitida.customers.service import COLUMNS, COLUMNS_CORE, CUSTOMERS_TABLE
from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise

ORDER = (Customer.razon_social_sort, Customer.nit)
STREAM_PAGE = 1000


def _escape_like(term: str) -> str:
    """The term as contains(..., autoescape=True) binds it: %, _ and / escaped by "/"."""
    return re.sub(r"([/%_])", r"/\1", term)


def search_terms(search: str | None) -> tuple[str | None, str | None]:
    """The folded name fragment and the number fragment a search looks for (None: no such condition)."""
    if not search:
        return None, None
    # Numbers are stored without separators: "900.123" finds 900123456.
    number = re.sub(r"[\s.\-]", "", search).upper()
    # ... and without their check digit: "901.234.567-7" and "9012345677" (DV glued on) find NIT 901234567,
    # read as the customer form reads a NIT (vocabulary.identity).
    try:
        nit = normalise(TipoDocumento.NIT, search).number
    except InvalidIdentity:
        nit = number
    return fold(search).strip() or None, (nit if number.startswith(nit) else number) or None


def _filtered(stmt: Select, search: str | None, status: CustomerStatus | None) -> Select:
    if status is not None:
        stmt = stmt.where(Customer.status == status)
    name_term, number_term = search_terms(search)
    conditions = []
    # autoescape: %, _ and the escape character are plain characters.
    if name_term:
        conditions.append(Customer.razon_social_search.contains(name_term, autoescape=True))
    if number_term:
        conditions.append(Customer.nit.contains(number_term, autoescape=True))
    if conditions:
        stmt = stmt.where(or_(*conditions))
    return stmt


def _search_function_args(
    session: TenantSession, search: str | None, status: CustomerStatus | None
) -> dict[str, str | None] | None:
    """On PostgreSQL, a search goes through the SECURITY DEFINER functions of
    migrations 0011 and 0013 (the trigram indexes, which row-level security keeps from the
    service role's own LIKE); their arguments, or None for the plain query."""
    name_term, number_term = search_terms(search)
    if (name_term is None and number_term is None) or session.get_bind().dialect.name != "postgresql":
        return None
    return {
        "name": None if name_term is None else _escape_like(name_term),
        "number": None if number_term is None else _escape_like(number_term),
        "status": None if status is None else status.value,
    }


# The search functions' statements, built once (their arguments travel as parameters).
_SEARCH_ARGS = (
    bindparam("name", type_=String),
    bindparam("number", type_=String),
    bindparam("status", type_=String),
)
_SEARCH_COUNT = select(func.nitida_count_customers(*_SEARCH_ARGS, bindparam("at_most", type_=Integer)))
_SEARCH_PAGE_IDS = select(
    func.nitida_search_customer_ids(
        *_SEARCH_ARGS, bindparam("limit", type_=Integer), bindparam("offset", type_=Integer)
    )
    .table_valued("customer_id")
    .c.customer_id
)


def count_customers(
    session: TenantSession, search: str | None, status: CustomerStatus | None, *, at_most: int | None = None
) -> int:
    """The customers matching; with ``at_most``, counting stops there (the result is then min(matches, at_most))."""
    args = _search_function_args(session, search, status)
    if args is not None:
        # The function applies the sealed tenant itself: a Core call, no ORM layer.
        return int(session.connection().execute(_SEARCH_COUNT, {**args, "at_most": at_most}).scalar_one())
    if at_most is None:
        return session.scalar(_filtered(select(func.count(Customer.id)), search, status))
    matching = _filtered(select(Customer.id), search, status).limit(at_most).subquery()
    return session.execute(select(func.count()).select_from(matching)).scalar_one()


def count_for_page(
    session: TenantSession, search: str | None, status: CustomerStatus | None, limit: int | None, offset: int
) -> tuple[int, bool]:
    """X-Total-Count for a list request, and whether it is only a lower bound.

    A page of a search (``limit`` given) counts its matches only up to one past
    the page's end (offset + limit + 1): an exact count of a common fragment
    reads every match (19 ms beside a 1 ms page for "mar" in 100,000
    customers), this reads about what the page reads. When that many match,
    the count is that bound, a lower bound that says a next page exists.
    Without a search, or without ``limit`` (the whole list is sent), exact.
    """
    if not search or limit is None:
        return count_customers(session, search, status), False
    bound = offset + limit + 1
    found = count_customers(session, search, status, at_most=bound)
    return found, found >= bound


def list_customers(
    session: TenantSession,
    search: str | None,
    status: CustomerStatus | None,
    limit: int,
    offset: int,
    *,
    for_json: bool = False,
) -> list[Row]:
    """One page of rows of COLUMNS in Spanish order, read in one round trip.

    Core reads of the customers table alone (``read_rows`` or a ``TenantRead`` adds
    the tenant; SQLite's search stays an ORM statement, see below): no ORM layer
    per page on PostgreSQL. ``for_json``: the rows only go to ``views.customer_json``,
    which takes the stored values as they are (see ``_row_columns``).
    """
    columns = _row_columns(session.get_bind().dialect.name if for_json else "")
    if search:
        # Typeahead: the page's ids first, then those rows (read under the
        # ordinary row-level security: the search function returns ids only).
        args = _search_function_args(session, search, status)
        if args is None:
            # SQLite: the ids' subquery reads customers too, so it stays an ORM
            # statement, which the session scopes to the tenant as a whole. The
            # page's keys come from the search index (migration 0012), then its
            # rows by primary key: a join, so the rows' read cannot walk the
            # tenant's sort index instead (what an "id IN (...)" invites).
            page = (
                _filtered(select(Customer.id, *ORDER), search, status)
                .order_by(*ORDER)
                .offset(offset)
                .limit(limit)
                .subquery("page")
            )
            stmt = select(*COLUMNS).join(page, Customer.id == page.c.id).order_by(*(page.c[o.key] for o in ORDER))
            return list(session.execute(stmt).all())
        # The function applies the sealed tenant itself; the TenantRead adds it to the rows' read.
        # (The API's pages come through page_with_count; typed rows suit customer_json too.)
        return list(session.read_prepared(_SEARCH_PAGE, {**args, "limit": limit, "offset": offset}).all())
    stmt = _filtered(select(*columns), search, status).order_by(*ORDER).offset(offset)
    return list(session.read_rows(stmt.limit(limit), CUSTOMERS_TABLE).all())


def _row_columns(dialect: str) -> tuple[Any, ...]:
    """COLUMNS as Core columns, for rows that only go to ``views.customer_json``.

    On PostgreSQL the rows skip SQLAlchemy's per-value processing (the two
    enums and the two UTC instants, four Python calls per row): psycopg already
    gives aware datetimes, and the enums' stored names are their values, which
    customer_json looks up as they are; the ids and the responsibilities' JSON
    come as text (``_AS_TEXT``). SQLite stores naive UTC text, so it keeps the
    column types that make it aware.
    """
    if dialect != "postgresql":
        return COLUMNS_CORE
    return _COLUMNS_RAW


_RAW_TYPES: dict[str, Any] = {"tipo_documento": String(), "status": String(), "created_at": DateTime(timezone=True)}
_RAW_TYPES["updated_at"] = _RAW_TYPES["created_at"]
# Sent as text by PostgreSQL: the ids (no UUID built, then formatted, twice per row) and the
# stored JSON of the responsibilities (no parse and re-serialise: customer_json embeds it).
_AS_TEXT = {"id", "tenant_id", "responsabilidades_fiscales"}


def _raw_columns(source: Any) -> tuple[Any, ...]:
    """COLUMNS read from ``source`` (the table, or the search function's rows) as
    ``_row_columns`` gives them on PostgreSQL."""
    columns = []
    for attr in COLUMNS:
        read = source.c[attr.key]
        if attr.key in _AS_TEXT:
            columns.append(sql_cast(read, Text).label(attr.key))
        elif attr.key in _RAW_TYPES:
            columns.append(type_coerce(read, _RAW_TYPES[attr.key]).label(attr.key))
        else:
            columns.append(read.label(attr.key))
    return tuple(columns)


_COLUMNS_RAW = _raw_columns(CUSTOMERS_TABLE)


# A search's page on PostgreSQL: the rows of the ids the search function returns, in Spanish order.
_SEARCH_PAGE = TenantRead(
    CUSTOMERS_TABLE, COLUMNS_CORE, lambda stmt: stmt.where(CUSTOMERS_TABLE.c.id.in_(_SEARCH_PAGE_IDS)).order_by(*ORDER)
)
# The API's page: the page's rows and their capped count from one search (migration 0013's
# function, which applies the sealed tenant itself; the session's tenant is a condition too).
_FOUND = (
    func.nitida_search_customers(
        *_SEARCH_ARGS,
        bindparam("limit", type_=Integer),
        bindparam("offset", type_=Integer),
        bindparam("at_most", type_=Integer),
    )
    .table_valued(
        *(sql_column(attr.key, attr.property.columns[0].type) for attr in COLUMNS),
        sql_column("nitida_row", Integer),
        sql_column("nitida_total", Integer),
    )
    .alias("found")
)
_SEARCH_PAGE_COUNTED_JSON = TenantRead(
    _FOUND,
    (*_raw_columns(_FOUND), _FOUND.c.nitida_total),
    lambda stmt: stmt.order_by(_FOUND.c.nitida_row),
)


def page_with_count(
    session: TenantSession, search: str | None, status: CustomerStatus | None, limit: int, offset: int
) -> tuple[list[Row], int, bool]:
    """The API's page (rows for ``views.customer_json``) with its X-Total-Count and
    whether that is a lower bound, as ``count_for_page`` and ``list_customers``
    give them; a search on PostgreSQL reads both in one statement."""
    args = _search_function_args(session, search, status)
    if args is None:
        total, capped = count_for_page(session, search, status, limit, offset)
        return list_customers(session, search, status, limit, offset, for_json=True), total, capped
    bound = offset + limit + 1
    params = {**args, "limit": limit, "offset": offset, "at_most": bound}
    rows = list(session.read_prepared(_SEARCH_PAGE_COUNTED_JSON, params).all())
    if rows:
        found = int(rows[0].nitida_total)
    elif offset == 0:
        found = 0  # no row at all: nothing matches
    else:  # past the end: how many there are, for the header
        found = count_customers(session, search, status, at_most=bound)
    return rows, found, found >= bound


def _stream_columns(dialect: str) -> tuple[Any, ...]:
    """The whole list's columns: ``_row_columns`` and the sort key (the next page's key)."""
    return (*_row_columns(dialect), CUSTOMERS_TABLE.c.razon_social_sort)


def stream_customers(
    reader: Callable[[], AbstractContextManager[TenantSession]],
    search: str | None,
    status: CustomerStatus | None,
    offset: int,
    *,
    for_json: bool = False,
) -> Iterator[Row]:
    """The whole list, page after page, each page read in its own short transaction.

    ``for_json``: the rows only go to ``views.customer_json``, which takes the
    stored values as they are (see ``_stream_columns``).

    No connection is held while the client reads, so slow readers cannot
    exhaust the pool; pages follow each other by key (sort key, number), so a
    change made meanwhile never repeats or skips a row that stays.
    """
    after: tuple[str, str] | None = None
    columns: tuple[Any, ...] | None = None
    while True:
        with reader() as session:
            if columns is None:
                columns = _stream_columns(session.get_bind().dialect.name if for_json else "")
            stmt = _filtered(select(*columns), search, status).order_by(*ORDER)
            stmt = stmt.offset(offset) if after is None else stmt.where(tuple_(*ORDER) > after)
            rows = session.read_rows(stmt.limit(STREAM_PAGE), CUSTOMERS_TABLE).all()
        yield from rows
        if len(rows) < STREAM_PAGE:
            return
        last = rows[-1]
        after = (last.razon_social_sort, last.nit)
