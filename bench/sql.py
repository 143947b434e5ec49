"""The floor: the SQL the service sends for each endpoint, run straight through psycopg.

Each statement is the one SQLAlchemy emits for the endpoint (captured with
``echo``; see bench/README.md), in the same transaction shape: BEGIN, the RLS
context (set_config), the caller's user row (every authenticated request reads
it), the endpoint's statements, then ROLLBACK for reads and COMMIT for writes.
The whole list is read as the service reads it: pages of 1,000 by key, each
in a short transaction of its own. Nothing is parsed into JSON: the floor
is the database and the driver, no web framework, no ORM.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import UTC, datetime

from nitida.core import seals

SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
RLS_KEY = seals.derive_rls_key(SECRET)
RLS = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.tenant_seal', %s, true), "
    "set_config('app.queue_scan', '', true)"
)


def rls_params(conn, tenant) -> tuple[str, str]:
    """The tenant setting and its seal for this connection, as core.db sets them."""
    return str(tenant), seals.tenant_seal(RLS_KEY, str(tenant), conn.info.backend_pid)


USER = (
    "SELECT users.tenant_id, users.id, users.email, users.email_lower, users.name, users.role, "
    "users.status, users.token_version, users.created_at, users.updated_at "
    "FROM users WHERE users.tenant_id = %s::UUID AND users.id = %s::UUID AND users.tenant_id = %s::UUID"
)
CUSTOMER_ALL = (
    "customers.tenant_id, customers.id, customers.razon_social, customers.razon_social_search, "
    "customers.razon_social_sort, customers.tipo_documento, customers.nit, customers.dv, customers.email, "
    "customers.telefono, customers.direccion, customers.status, customers.created_at, customers.updated_at"
)
# nitida.customers.service.COLUMNS (the row customer_json unpacks).
CUSTOMER_API = (
    "customers.id, customers.tenant_id, customers.razon_social, customers.tipo_documento, customers.nit, "
    "customers.dv, customers.email, customers.telefono, customers.direccion, customers.tipo_persona, "
    "customers.responsabilidades_fiscales, customers.tributo, customers.municipio_codigo, customers.codigo_postal, "
    "customers.status, customers.created_at, customers.updated_at"
)
GET = f"SELECT {CUSTOMER_ALL} FROM customers WHERE customers.id = %s::UUID AND customers.tenant_id = %s::UUID"
BY_NIT = f"SELECT {CUSTOMER_ALL} FROM customers WHERE customers.nit = %s::VARCHAR AND customers.tenant_id = %s::UUID"
# The typeahead as the service sends it on PostgreSQL since issue 14, round 4: one
# SECURITY DEFINER function (migration 0013: the trigram indexes, the sealed tenant)
# returns the page's rows with the capped count (customers.search.page_with_count).
SEARCH_PAGE_COUNTED = (
    "SELECT CAST(found.id AS TEXT) AS id, CAST(found.tenant_id AS TEXT) AS tenant_id, found.razon_social, "
    "found.tipo_documento, found.nit, found.dv, found.email, found.telefono, found.direccion, found.tipo_persona, "
    "CAST(found.responsabilidades_fiscales AS TEXT) AS responsabilidades_fiscales, found.tributo, "
    "found.municipio_codigo, found.codigo_postal, found.status, found.created_at, found.updated_at, "
    "found.nitida_total FROM nitida_search_customers(%s::VARCHAR, %s::VARCHAR, NULL, %s::INTEGER, %s::INTEGER, "
    "%s::INTEGER) AS found WHERE found.tenant_id = %s::UUID ORDER BY found.nitida_row"
)
# The capped count alone (migration 0011), as the service sends it for a page past the end.
SEARCH_COUNT = "SELECT nitida_count_customers(%s::VARCHAR, %s::VARCHAR, NULL, %s::INTEGER) AS nitida_count_customers_1"
# The physical floor: the same search in plain SQL, run by the superuser (no
# row-level security), so the planner may use any index (the trigram GIN ones).
# contains(..., autoescape=True): the term is bound with %, _ and / escaped by "/".
SEARCH_WHERE = (
    "((customers.razon_social_search LIKE '%%' || %s::VARCHAR || '%%' ESCAPE '/') "
    "OR (customers.nit LIKE '%%' || %s::VARCHAR || '%%' ESCAPE '/')) "
    "AND customers.tenant_id = %s::UUID"
)
PHYSICAL_COUNT = (
    f"SELECT count(*) AS count_1 FROM (SELECT customers.id FROM customers WHERE {SEARCH_WHERE} "
    "LIMIT %s::INTEGER) AS anon_1"
)
# The page and its capped count in one statement, as migration 0013's function reads
# them: the first matches in order (as many as the cap or the page's end need), counted,
# then the page's rows by key.
PHYSICAL_PAGE_COUNTED = (
    f"SELECT {CUSTOMER_API}, least(m.n, %s::INTEGER) AS nitida_total FROM (SELECT w.id, w.r, w.n FROM ("
    "SELECT f.id, row_number() OVER (ORDER BY f.razon_social_sort, f.nit) AS r, count(*) OVER () AS n FROM ("
    f"SELECT customers.id, customers.razon_social_sort, customers.nit FROM customers WHERE {SEARCH_WHERE} "
    "ORDER BY customers.razon_social_sort, customers.nit LIMIT %s::INTEGER) f) w WHERE w.r > 0 ORDER BY w.r "
    "LIMIT %s::INTEGER) m JOIN customers ON customers.tenant_id = %s::UUID AND customers.id = m.id ORDER BY m.r"
)
# What the count cost before issue 14 (every match, row-level security on): for the count table only.
EXACT_COUNT_UNDER_RLS = f"SELECT count(customers.id) AS count_1 FROM customers WHERE {SEARCH_WHERE}"


def count_bound(limit: int, offset: int = 0) -> int:
    """customers.search.count_for_page: a search's matches are counted up to one past the page's end."""
    return offset + limit + 1


LIST_COUNT = "SELECT count(customers.id) AS count_1 FROM customers WHERE customers.tenant_id = %s::UUID"
# The whole list: pages of 1,000 by key (sort key, number), each in a transaction of its own.
STREAM_PAGE = 1000
LIST_FIRST = (
    f"SELECT {CUSTOMER_API}, customers.razon_social_sort FROM customers WHERE customers.tenant_id = %s::UUID "
    "ORDER BY customers.razon_social_sort, customers.nit LIMIT %s::INTEGER OFFSET %s::INTEGER"
)
LIST_AFTER = (
    f"SELECT {CUSTOMER_API}, customers.razon_social_sort FROM customers "
    "WHERE (customers.razon_social_sort, customers.nit) > (%s::VARCHAR, %s::VARCHAR) "
    "AND customers.tenant_id = %s::UUID ORDER BY customers.razon_social_sort, customers.nit LIMIT %s::INTEGER"
)
INSERT_CUSTOMER = (
    "INSERT INTO customers (tenant_id, id, razon_social, razon_social_search, razon_social_sort, tipo_documento, "
    "nit, dv, email, telefono, direccion, status, created_at, updated_at) VALUES (%s::UUID, %s::UUID, "
    "%s::VARCHAR, %s::VARCHAR, %s::VARCHAR, %s, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR, "
    "%s::VARCHAR, %s, %s::TIMESTAMP WITH TIME ZONE, %s::TIMESTAMP WITH TIME ZONE)"
)
INSERT_CUSTOMER_RETURNING = (
    "INSERT INTO customers (tenant_id, id, tipo_documento, nit, dv, email, telefono, direccion, status, "
    "created_at, updated_at, razon_social, razon_social_search, razon_social_sort) VALUES (%s::UUID, %s::UUID, "
    "%s, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR, %s, %s::TIMESTAMP WITH TIME ZONE, "
    "%s::TIMESTAMP WITH TIME ZONE, %s::VARCHAR, %s::VARCHAR, %s::VARCHAR) "
    f"ON CONFLICT (tenant_id, nit) DO NOTHING RETURNING {CUSTOMER_API}"
)
# The service's create since issue 14 round 4: the row and its audit event in one
# statement (audit.with_event), the event written only if the row was.
INSERT_CUSTOMER_AUDITED = (
    f"WITH nitida_new_row AS ({INSERT_CUSTOMER_RETURNING}), "
    "nitida_new_event AS (INSERT INTO audit_events (tenant_id, entity_type, entity_id, action, id, actor_user_id, "
    "actor_email, occurred_at, changes) SELECT nitida_new_row.tenant_id, 'customer', nitida_new_row.id, 'CREATED', "
    "%s::UUID, %s::UUID, %s::VARCHAR, %s::TIMESTAMP WITH TIME ZONE, %s::JSON FROM nitida_new_row) "
    "SELECT * FROM nitida_new_row"
)
INSERT_AUDIT = (
    "INSERT INTO audit_events (tenant_id, id, entity_type, entity_id, action, actor_user_id, actor_email, "
    "occurred_at, changes) VALUES (%s::UUID, %s::UUID, %s::VARCHAR, %s::UUID, %s::VARCHAR, %s::UUID, "
    "%s::VARCHAR, %s::TIMESTAMP WITH TIME ZONE, %s::JSON)"
)
GET_FOR_UPDATE = GET + " FOR UPDATE"
UPDATE_TELEFONO = (
    "UPDATE customers SET telefono=%s::VARCHAR, updated_at=%s::TIMESTAMP WITH TIME ZONE "
    "WHERE customers.tenant_id = %s::UUID AND customers.id = %s::UUID"
)
THROTTLE = (
    "SELECT login_throttle.email_lower, login_throttle.failures, login_throttle.window_started_at, "
    "login_throttle.locked_until FROM login_throttle WHERE login_throttle.email_lower = %s::VARCHAR"
)
USER_BY_EMAIL = "SELECT user_id, tenant_id, password_hash, status, token_version FROM nitida_login_candidate(%s, %s)"


def _begin(conn, tenant: uuid.UUID, user: uuid.UUID) -> None:
    conn.execute(RLS, rls_params(conn, tenant))
    conn.execute(USER, (tenant, user, tenant)).fetchone()


def get(conn, tenant, user, customer_id) -> None:
    _begin(conn, tenant, user)
    row = conn.execute(GET, (customer_id, tenant)).fetchone()
    conn.rollback()
    if row is None:
        raise LookupError("customer not found")


def search(conn, tenant, user, name_pattern, nit_pattern, limit=50, *, count=True, page=True) -> None:
    """The RLS floor: the service's statement (the search function) as the app role.
    Count alone: the capped count's function. Page alone: the page's function with its
    cap at the page's end, so it reads no row for the count."""
    _begin(conn, tenant, user)
    if count and not page:
        conn.execute(SEARCH_COUNT, (name_pattern, nit_pattern, count_bound(limit))).fetchone()
    elif page:
        cap = count_bound(limit) if count else limit
        conn.execute(SEARCH_PAGE_COUNTED, (name_pattern, nit_pattern, limit, 0, cap, tenant)).fetchall()
    conn.rollback()


def physical_search(conn, tenant, user, name_pattern, nit_pattern, limit=50, *, count=True, page=True) -> None:
    """The physical floor: the same search, same transaction shape (the caller's user
    row, the page with its capped count), in plain SQL as the superuser: no RLS, no seal."""
    conn.execute(USER, (tenant, user, tenant)).fetchone()
    if count and not page:
        conn.execute(PHYSICAL_COUNT, (name_pattern, nit_pattern, tenant, count_bound(limit))).fetchone()
    elif page:
        cap = count_bound(limit) if count else limit
        conn.execute(PHYSICAL_PAGE_COUNTED, (cap, name_pattern, nit_pattern, tenant, cap, limit, tenant)).fetchall()
    conn.rollback()


def exact_count_under_rls(conn, tenant, user, name_pattern, nit_pattern) -> None:
    _begin(conn, tenant, user)
    conn.execute(EXACT_COUNT_UNDER_RLS, (name_pattern, nit_pattern, tenant)).fetchone()
    conn.rollback()


def list_all(conn, tenant, user, marks: list, *, count=True) -> int:
    """The request's own transaction (user, count), then the pages, each in its own."""
    _begin(conn, tenant, user)
    if count:
        conn.execute(LIST_COUNT, (tenant,)).fetchone()
    conn.rollback()
    n, after = 0, None
    while True:
        conn.execute(RLS, rls_params(conn, tenant))
        if after is None:
            rows = conn.execute(LIST_FIRST, (tenant, STREAM_PAGE, 0)).fetchall()
        else:
            rows = conn.execute(LIST_AFTER, (*after, tenant, STREAM_PAGE)).fetchall()
        conn.rollback()
        if not n:
            marks.append(time.perf_counter())
        n += len(rows)
        if len(rows) < STREAM_PAGE:
            return n
        after = (rows[-1][-1], rows[-1][4])


def create(conn, tenant, user, email, values: dict, changes_json: str) -> None:
    """As the service: one INSERT ... ON CONFLICT DO NOTHING RETURNING decides between
    a new row and a duplicate (no pre-check, since 7e218e7); its audit event is written
    in the same statement (since issue 14 round 4)."""
    now = datetime.now(UTC)
    _begin(conn, tenant, user)
    cid = uuid.uuid4()
    row = conn.execute(
        INSERT_CUSTOMER_AUDITED,
        (
            tenant,
            cid,
            values["tipo_documento"],
            values["nit"],
            None,
            values["email"],
            values["telefono"],
            None,
            "ACTIVE",
            now,
            now,
            values["razon_social"],
            values["razon_social_search"],
            values["razon_social_sort"],
            uuid.uuid4(),
            user,
            email,
            now,
            changes_json,
        ),
    ).fetchone()
    if row is None:
        conn.execute(BY_NIT, (values["nit"], tenant)).fetchone()
        conn.rollback()
        raise ValueError("duplicate number")
    conn.commit()


def patch(conn, tenant, user, email, customer_id, telefono: str, changes_json: str) -> None:
    """The row locked, the change flushed inside a savepoint (a unique-number
    violation rolls back only that), the audit event, COMMIT."""
    now = datetime.now(UTC)
    _begin(conn, tenant, user)
    if conn.execute(GET_FOR_UPDATE, (customer_id, tenant)).fetchone() is None:
        conn.rollback()
        raise LookupError("customer not found")
    conn.execute("SAVEPOINT sa_savepoint_1")
    conn.execute(UPDATE_TELEFONO, (telefono, now, tenant, customer_id))
    conn.execute("RELEASE SAVEPOINT sa_savepoint_1")
    conn.execute(
        INSERT_AUDIT, (tenant, uuid.uuid4(), "customer", customer_id, "UPDATED", user, email, now, changes_json)
    )
    conn.commit()


def login(conn, email: str) -> None:
    conn.execute(THROTTLE, (email,)).fetchone()
    seal = seals.login_seal(RLS_KEY, email, conn.info.backend_pid)
    if conn.execute(USER_BY_EMAIL, (email, seal)).fetchone() is None:
        conn.rollback()
        raise LookupError("user not found")
    conn.execute(THROTTLE, (email,)).fetchone()
    conn.commit()


# --- SQLite (the embedded default) ----------------------------------------------------

SQLITE_USER = (
    "SELECT users.tenant_id, users.id, users.email, users.email_lower, users.name, users.role, users.status, "
    "users.password_hash, users.token_version, users.created_at, users.updated_at "
    "FROM users WHERE users.tenant_id = ? AND users.id = ? AND users.tenant_id = ?"
)
SQLITE_WHERE = (
    "((customers.razon_social_search LIKE '%' || ? || '%' ESCAPE '/') "
    "OR (customers.nit LIKE '%' || ? || '%' ESCAPE '/')) AND customers.tenant_id = ?"
)
SQLITE_COUNT = (
    f"SELECT count(*) AS count_1 FROM (SELECT customers.id AS id FROM customers WHERE {SQLITE_WHERE} "
    "LIMIT ? OFFSET ?) AS anon_1"
)
# As the service since issue 14 round 4: the page's keys (from the search index of
# migration 0012), then its rows joined by key.
SQLITE_PAGE = (
    f"SELECT {CUSTOMER_API} FROM customers JOIN (SELECT customers.id AS id, customers.razon_social_sort AS "
    f"razon_social_sort, customers.nit AS nit FROM customers WHERE {SQLITE_WHERE} "
    "ORDER BY customers.razon_social_sort, customers.nit LIMIT ? OFFSET ?) AS page ON customers.id = page.id "
    "WHERE customers.tenant_id = ? ORDER BY page.razon_social_sort, page.nit"
)


def sqlite_connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def sqlite_search(conn, tenant: uuid.UUID, user: uuid.UUID, name_pattern: str, nit_pattern: str) -> None:
    t, u = tenant.hex, user.hex  # SQLAlchemy's Uuid is CHAR(32) hex on SQLite
    conn.execute("BEGIN")
    conn.execute(SQLITE_USER, (t, u, t)).fetchone()
    conn.execute(SQLITE_COUNT, (name_pattern, nit_pattern, t, count_bound(50), 0)).fetchone()
    conn.execute(SQLITE_PAGE, (name_pattern, nit_pattern, t, 50, 0, t)).fetchall()
    conn.execute("ROLLBACK")
