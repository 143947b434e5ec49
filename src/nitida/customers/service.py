"""Billing customers: identity rules, uniqueness per tenant, audit, search."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Integer,
    Row,
    Select,
    String,
    Table,
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
from sqlalchemy.dialects import postgresql, sqlite

from nitida.audit import service as audit
from nitida.auth.principal import Principal
from nitida.core import bounds
from nitida.core.db import TenantRead, TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError
from nitida.core.ids import get_or_404, read_or_404
from nitida.core.integrity import Constraint, apply_unless_violates
from nitida.core.schemas import refuse_nulls
from nitida.core.text import fold, spanish_sort_key
from nitida.customers.identity import Identity, InvalidIdentity, TipoDocumento, normalise
from nitida.customers.models import Customer, CustomerStatus
from nitida.customers.schemas import CustomerCreate, CustomerUpdate

ENTITY = "customer"
# API names of the fields a person edits, as the audit trail shows them.
AUDITED = {
    "razonSocial": "razon_social",
    "tipoDocumento": "tipo_documento",
    "nit": "nit",
    "email": "email",
    "telefono": "telefono",
    "direccion": "direccion",
    "status": "status",
    "tipoPersona": "tipo_persona",
    "responsabilidadesFiscales": "responsabilidades_fiscales",
    "tributo": "tributo",
    "municipioCodigo": "municipio_codigo",
    "codigoPostal": "codigo_postal",
}
FISCAL_FIELDS = ("tipo_persona", "responsabilidades_fiscales", "tributo", "municipio_codigo", "codigo_postal")

UNIQUE_NIT = Constraint("uq_customers_tenant_nit", "UNIQUE constraint failed: customers.tenant_id, customers.nit")
# Only invoices reference customers (composite FK, ON DELETE RESTRICT).
HAS_INVOICES = Constraint("fk_invoices_customer", "FOREIGN KEY constraint failed")

# Folded names are kept in an index beside the sort key (migration 0003);
# PostgreSQL caps an index row near 2.7 kB, so both keys are bounded in bytes.
SEARCH_KEY_MAX_BYTES = bounds.SEARCH_KEY
SORT_KEY_MAX_CHARS = 100  # order is decided long before; ties go to the number

# Columns of a customer as the API shows it, in the order customer_json
# unpacks them; the list reads these rows without building ORM objects.
COLUMNS = (
    Customer.id,
    Customer.tenant_id,
    Customer.razon_social,
    Customer.tipo_documento,
    Customer.nit,
    Customer.dv,
    Customer.email,
    Customer.telefono,
    Customer.direccion,
    Customer.tipo_persona,
    Customer.responsabilidades_fiscales,
    Customer.tributo,
    Customer.municipio_codigo,
    Customer.codigo_postal,
    Customer.status,
    Customer.created_at,
    Customer.updated_at,
)


_CUSTOMERS = cast(Table, Customer.__table__)
# COLUMNS as table columns, labelled with the attributes' keys (Core statements' rows).
_COLUMNS_CORE = tuple(attr.property.columns[0].label(attr.key) for attr in COLUMNS)


def audited_values(c: Any, pending: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audited fields in API form; ``pending`` values (by attribute) win over the row's."""
    pending = pending or {}
    values = {}
    for api, attr in AUDITED.items():
        value = pending.get(attr, getattr(c, attr))
        values[api] = value.value if isinstance(value, enum.Enum) else value
    return values


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _identity(tipo: TipoDocumento, raw: str) -> Identity:
    try:
        return normalise(tipo, raw)
    except InvalidIdentity as exc:
        raise BadRequest.field("nit", str(exc)) from None


def _duplicate(existing: Customer) -> BadRequest:
    message = (
        f"Another customer of this business already has number {existing.nit}: "
        f"{existing.razon_social} (id {existing.id})."
    )
    return BadRequest(message, errors=[FieldError(field="nit", message=message)], slug="duplicate-nit")


def _find_by_nit(session: TenantSession, nit: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.nit == nit))


def name_columns(razon_social: str) -> dict[str, str]:
    """The name and the keys derived from it, which always change together."""
    search_key = fold(razon_social)
    if len(search_key.encode()) > SEARCH_KEY_MAX_BYTES:
        # Only names made of ligatures and the like expand this far.
        raise BadRequest.field("razonSocial", "is too long once its characters are decomposed for search")
    return {
        "razon_social": razon_social,
        "razon_social_search": search_key,
        "razon_social_sort": spanish_sort_key(razon_social)[:SORT_KEY_MAX_CHARS],
    }


def new_customer_values(tenant_id: uuid.UUID, identity: Identity, data: CustomerCreate) -> dict[str, Any]:
    """The columns of a new customer (the API's create and the import both insert these)."""
    now = utcnow()
    return {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "tipo_documento": identity.tipo,
        "nit": identity.number,
        "dv": identity.dv,
        "email": data.email,
        "telefono": data.telefono,
        "direccion": data.direccion,
        "status": data.status,
        **{name: _stored(getattr(data, name)) for name in FISCAL_FIELDS},
        "created_at": now,
        "updated_at": now,
        **name_columns(data.razon_social),
    }


# A new customer's INSERT on SQLite, built once (its values travel as parameters);
# audit.record_now follows it.
_INSERT_NEW_SQLITE = (
    sqlite.insert(_CUSTOMERS).on_conflict_do_nothing(index_elements=["tenant_id", "nit"]).returning(*_COLUMNS_CORE)
)
# On PostgreSQL the INSERT and its audit event are one statement (audit.with_event);
# inside WITH its values are named parameters, apart from the columns' own names.
_NEW_PARAM = {column.key: f"new_{column.key}" for column in _CUSTOMERS.columns}
_INSERT_NEW_AUDITED = audit.with_event(
    postgresql.insert(_CUSTOMERS)
    .values({column: bindparam(_NEW_PARAM[column.key], type_=column.type) for column in _CUSTOMERS.columns})
    .on_conflict_do_nothing(index_elements=["tenant_id", "nit"])
    .returning(*_COLUMNS_CORE),
    entity_type=ENTITY,
    action="CREATED",
)


def create_customer(session: TenantSession, actor: Principal, data: CustomerCreate) -> Row:
    """Insert the customer, or 400 naming the one that already has its number.

    One INSERT … ON CONFLICT DO NOTHING decides, atomically, between a new
    row and a duplicate (also when two creates of one number race): no
    pre-check, no savepoint, no exception. Returns the new row (COLUMNS).
    """
    identity = _identity(data.tipo_documento, data.nit)
    values = new_customer_values(session.tenant_id, identity, data)
    changes = audit.diff({}, audited_values(SimpleNamespace(**values)))
    # Core statements on the session's connection (its transaction, its RLS
    # context): the tenant is in ``values``, as the flush would have stamped it.
    audited = session.connection().dialect.name == "postgresql"
    if audited:  # the row and its audit event in one statement
        params = {_NEW_PARAM[key]: value for key, value in values.items()} | audit.event_params(actor, changes)
        row = session.write_rows(_INSERT_NEW_AUDITED, params).first()
    else:
        row = session.write_rows(_INSERT_NEW_SQLITE, values).first()
    if row is None:
        existing = _find_by_nit(session, identity.number)
        if existing is None:  # the other transaction rolled back meanwhile
            raise BadRequest.field("nit", "This number was being registered at the same moment; retry.")
        raise _duplicate(existing)
    if not audited:
        audit.record_now(session, actor, entity_type=ENTITY, entity_id=row.id, action="CREATED", changes=changes)
    return row


def _write_or_duplicate(session: TenantSession, nit: str, change) -> None:
    """Apply and flush ``change``; a unique-index violation (a concurrent
    create or change won) becomes the duplicate 400."""
    if apply_unless_violates(session, UNIQUE_NIT, change):
        return
    existing = _find_by_nit(session, nit)
    if existing is None:  # the other transaction rolled back meanwhile
        raise BadRequest.field("nit", "This number was being registered at the same moment; retry.")
    raise _duplicate(existing)


def get_customer(session: TenantSession, customer_id: str, *, for_update: bool = False) -> Customer:
    return get_or_404(session, Customer, customer_id, "Customer", for_update=for_update)


def read_customer(session: TenantSession, customer_id: str) -> Row:
    """The customer's row of COLUMNS, for reading only."""
    return read_or_404(session, Customer, COLUMNS, customer_id, "Customer")


def update_customer(session: TenantSession, actor: Principal, customer: Customer, data: CustomerUpdate) -> Customer:
    refuse_nulls(data, "razon_social", "nit", "tipo_documento", "status")
    fields = data.model_dump(exclude_unset=True)
    updates: dict[str, Any] = {}
    if "nit" in fields or "tipo_documento" in fields:
        tipo = fields.get("tipo_documento", customer.tipo_documento)
        identity = _identity(tipo, fields.get("nit", customer.nit))
        if identity.number != customer.nit:
            other = _find_by_nit(session, identity.number)
            if other is not None and other.id != customer.id:
                raise _duplicate(other)
        updates.update(tipo_documento=identity.tipo, nit=identity.number, dv=identity.dv)
    if "razon_social" in fields:
        updates.update(name_columns(fields["razon_social"]))
    for name in ("email", "telefono", "direccion", "status"):
        if name in fields:
            updates[name] = fields[name]
    for name in FISCAL_FIELDS:
        if name in fields:
            updates[name] = _stored(fields[name])
    changes = audit.diff(audited_values(customer), audited_values(customer, updates))
    if not changes:
        return customer
    updates["updated_at"] = utcnow()

    def apply() -> None:
        for attr, value in updates.items():
            setattr(customer, attr, value)

    _write_or_duplicate(session, updates.get("nit", customer.nit), apply)
    audit.record(session, actor, entity_type=ENTITY, entity_id=customer.id, action="UPDATED", changes=changes)
    session.flush()
    return customer


def delete_customer(session: TenantSession, actor: Principal, customer: Customer) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=customer.id,
        action="DELETED",
        changes=audit.diff(audited_values(customer), {k: None for k in AUDITED}),
    )
    # The invoice -> customer foreign key is RESTRICT: whatever the path, a
    # customer with invoices stays.
    if not apply_unless_violates(session, HAS_INVOICES, lambda: session.delete(customer)):
        raise Conflict(
            "This customer has invoices and cannot be deleted. "
            'Set "status": "INACTIVE" instead to retire it while keeping its invoice history.',
            slug="customer-has-invoices",
        )


# --- listing ----------------------------------------------------------------

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
    return fold(search).strip() or None, re.sub(r"[\s.\-]", "", search).upper() or None


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
    return list(session.read_rows(stmt.limit(limit), _CUSTOMERS).all())


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
        return _COLUMNS_CORE
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


_COLUMNS_RAW = _raw_columns(_CUSTOMERS)


# A search's page on PostgreSQL: the rows of the ids the search function returns, in Spanish order.
_SEARCH_PAGE = TenantRead(
    _CUSTOMERS, _COLUMNS_CORE, lambda stmt: stmt.where(_CUSTOMERS.c.id.in_(_SEARCH_PAGE_IDS)).order_by(*ORDER)
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
    return (*_row_columns(dialect), _CUSTOMERS.c.razon_social_sort)


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
            rows = session.read_rows(stmt.limit(STREAM_PAGE), _CUSTOMERS).all()
        yield from rows
        if len(rows) < STREAM_PAGE:
            return
        last = rows[-1]
        after = (last.razon_social_sort, last.nit)


# --- import -----------------------------------------------------------------------

IMPORT_CREATED = "IMPORT_CREATED"  # history actions that mark a change made by a file import
IMPORT_UPDATED = "IMPORT_UPDATED"
_LOOKUP_CHUNK = 500


class ImportMode(enum.StrEnum):
    CREATE = "create"  # a number already registered is an invalid row
    UPSERT = "upsert"  # a number already registered updates that customer


def _existing_by_nit(session: TenantSession, numbers: list[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = numbers[start : start + _LOOKUP_CHUNK]
        found.update({c.nit: c for c in session.scalars(select(Customer).where(Customer.nit.in_(chunk)))})
    return found


def import_changes(customer: Customer, row: Any) -> dict[str, Any]:
    """The columns an upsert row changes on ``customer``: only the fields its file has
    (a blank optional cell clears the field, as null does in a PATCH)."""
    updates: dict[str, Any] = {}
    if {"nit", "tipoDocumento", "tipoDocumentoCodigo"} & row.given:
        updates.update(tipo_documento=row.identity.tipo, nit=row.identity.number, dv=row.identity.dv)
    if "razonSocial" in row.given and row.data.razon_social != customer.razon_social:
        updates.update(name_columns(row.data.razon_social))
    for api, attr in (("email", "email"), ("telefono", "telefono"), ("direccion", "direccion"), ("status", "status")):
        if api in row.given and (api != "status" or "status" in row.data.model_fields_set):
            updates[attr] = getattr(row.data, attr)
    fiscal_columns = (
        ("tipoPersona", "tipo_persona"),
        ("responsabilidadesFiscales", "responsabilidades_fiscales"),
        ("tributo", "tributo"),
        ("municipioCodigo", "municipio_codigo"),
        ("codigoPostal", "codigo_postal"),
    )
    for api, attr in fiscal_columns:
        if api in row.given and attr in row.data.model_fields_set | {"municipio_codigo", "codigo_postal"}:
            updates[attr] = _stored(getattr(row.data, attr))
    return {attr: value for attr, value in updates.items() if getattr(customer, attr) != value}


def plan_import(session: TenantSession, validated: Any, mode: ImportMode) -> dict[str, Any]:
    """Sort the valid rows into new, unchanged and to update; in create mode a
    number already registered becomes an invalid row."""
    from nitida.customers.importing import RowError

    existing = _existing_by_nit(session, [row.identity.number for row in validated.valid])
    plan: dict[str, Any] = {"new": [], "unchanged": [], "update": []}
    for row in validated.valid:
        customer = existing.get(row.identity.number)
        if customer is None:
            plan["new"].append(row)
        elif mode is ImportMode.CREATE:
            validated.errors.append(
                RowError(
                    row.row,
                    "nit",
                    f"number {customer.nit} is already registered: {customer.razon_social} (id {customer.id}); "
                    "import with mode=upsert to update it",
                )
            )
        else:
            changes = import_changes(customer, row)
            plan["update" if changes else "unchanged"].append((customer, changes))
    validated.errors.sort(key=lambda e: e.row)
    return plan


def apply_import(session: TenantSession, actor: Principal | None, plan: dict[str, Any]) -> None:
    """Insert the new customers and change the others, each with its history entry
    (marked as an import), in the caller's transaction: all of it or, on error, nothing."""
    from nitida.audit.models import AuditEvent

    now = utcnow()
    actor_fields = {"actor_user_id": actor.user_id if actor else None, "actor_email": actor.email if actor else None}
    new_values = [new_customer_values(session.tenant_id, row.identity, row.data) for row in plan["new"]]
    events = [
        {
            "tenant_id": session.tenant_id,
            "id": uuid.uuid4(),
            "entity_type": ENTITY,
            "entity_id": values["id"],
            "action": IMPORT_CREATED,
            "occurred_at": now,
            "changes": audit.diff({}, audited_values(Customer(**values))),
            **actor_fields,
        }
        for values in new_values
    ]
    for customer, changes in plan["update"]:
        events.append(
            {
                "tenant_id": session.tenant_id,
                "id": uuid.uuid4(),
                "entity_type": ENTITY,
                "entity_id": customer.id,
                "action": IMPORT_UPDATED,
                "occurred_at": now,
                "changes": audit.diff(audited_values(customer), audited_values(customer, changes)),
                **actor_fields,
            }
        )

    def write() -> None:
        from sqlalchemy import insert

        if new_values:
            session.execute(insert(Customer), new_values)
        for customer, changes in plan["update"]:
            for attr, value in {**changes, "updated_at": now}.items():
                setattr(customer, attr, value)
        session.flush()

    if not apply_unless_violates(session, UNIQUE_NIT, write):
        raise Conflict(
            "Another user registered one of these numbers while the file was being imported; "
            "nothing was imported. Run the import again.",
            slug="import-raced",
        )
    if events:
        from sqlalchemy import insert

        session.execute(insert(AuditEvent), events)


def run_import(
    session: TenantSession,
    actor: Principal | None,
    data: bytes,
    *,
    mode: ImportMode,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Validate a file, sort its rows against the tenant's customers and, unless
    ``dry_run`` or any row is invalid, apply it. Returns the import's report."""
    from nitida.customers import importing

    validated = importing.validate(importing.read_table(data), name_columns, progress)
    plan = plan_import(session, validated, mode)
    applied = not dry_run and not validated.errors
    if applied:
        apply_import(session, actor, plan)
    return importing.report(validated, plan, dry_run=dry_run, mode=mode.value, applied=applied)
