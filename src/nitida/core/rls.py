"""Row-level security on PostgreSQL: the second wall under the ORM's tenant scoping.

Each transaction sets ``app.tenant_id`` and its seal ``app.tenant_seal`` (see
core.db and core.seals). Every tenant-owned table gets a forced policy that
shows and accepts only the rows of ``nitida_current_tenant()``: the tenant of
the setting when its seal is valid, NULL (no rows) otherwise. The key that
checks seals lives in ``nitida_private.rls_key``, which only the owner role
(the one running the migrations) can read; the service role owns nothing, so
it can neither read the key, nor ALTER a table, nor drop a policy.

This wall and the sealed functions (SERVICE_FUNCTIONS, the login function) are
two of the four ways tenancy is enforced; all four, with where each lives, are
listed in core/db/__init__.py.

Cost: the policies compare with ``(SELECT nitida_current_tenant())``, a scalar
sub-select with no reference to the row, which PostgreSQL plans as an InitPlan
and evaluates once per statement (one HMAC), not once per row; its result is
a plain parameter, so ``tenant_id = $1`` is still an index condition. A bare
``nitida_current_tenant()`` would be STABLE, hence also usable in index
conditions, but re-evaluated for every row of a sequential or bitmap scan.

The functions are SECURITY DEFINER (they run as the owner, who may read the
key) with ``search_path`` pinned to pg_catalog and pg_temp last (pgcrypto's
``hmac`` is schema-qualified), so nothing the service role can create is
called in their place. STABLE: their result depends only on settings that do
not change within a statement. PARALLEL RESTRICTED: the seal includes the
backend pid, which differs in a parallel worker; the InitPlan runs in the
leader. Not LEAKPROOF (only a superuser may mark that, and it is not needed):
they take no argument from the row, so a policy built on them leaks nothing.

The migrations' helpers (``enable_tenant_rls``, ``enable_queue_scan``) create
the functions if they do not exist yet, whatever the order of the migrations.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

CURRENT_TENANT = "(SELECT nitida_current_tenant())"
QUEUE_SCAN = "(SELECT nitida_queue_scan())"

# The privileges of the service role, table by table; any other table of the
# schema gets DEFAULT_PRIVILEGES. No TRUNCATE (it ignores row-level security),
# no REFERENCES or TRIGGER, and no DDL: the service owns nothing.
DEFAULT_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SERVICE_PRIVILEGES = {
    "alembic_version": "SELECT",  # serve checks the schema is at head
    "tenants": "SELECT, INSERT, UPDATE",
    # Append-only for the service: a compromised service cannot erase its trail.
    "audit_events": "SELECT, INSERT",
    "security_events": "SELECT, INSERT",
}
# Columns the service role may never SELECT (login reads them through
# nitida_login_candidate, which demands a seal of the e-mail).
HIDDEN_COLUMNS = {"users": ("password_hash",)}
# SECURITY DEFINER functions only the service role may call (EXECUTE revoked
# from PUBLIC by their migration); each applies the sealed tenant itself.
SERVICE_FUNCTIONS = (
    "public.nitida_search_customer_ids(text, text, text, integer, integer)",
    "public.nitida_count_customers(text, text, text, integer)",
    "public.nitida_search_customers(text, text, text, integer, integer, integer)",
)


def _pgcrypto_schema(conn: Connection) -> str:
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
    return conn.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pgcrypto'"
        )
    ).scalar_one()


# The seal of ``message`` as core.seals computes it: hex(HMAC-SHA256(key, message ||
# ':' || backend pid)), for PL/pgSQL bodies that have read the key into ``v_key``.
def _seal_of(message: str, crypto: str) -> str:
    return f"encode({crypto}.hmac(convert_to({message} || ':' || pg_backend_pid(), 'UTF8'), v_key, 'sha256'), 'hex')"


# The key, read by a statement with no parameter: PL/pgSQL plans it once per session.
# (The seal compared inside the statement made it a query with parameters, which
# PostgreSQL planned again on every call: 60-80 us, more than the rest.)
_READ_KEY = "SELECT k.key INTO v_key FROM nitida_private.rls_key k; "


def ensure_rls_functions(conn: Connection) -> None:
    """The key table and the seal-checking functions (idempotent; replaced after every upgrade).

    PL/pgSQL, not SQL: a SQL function that cannot be inlined (SECURITY DEFINER, SET
    search_path) is parsed and planned again on every call, and the policies call
    ``nitida_current_tenant()`` once per statement; PL/pgSQL keeps the plan of its one
    query (the key's) for the session and computes the seal as an expression. It checks
    the seal itself rather than through ``seal_ok``: one SECURITY DEFINER call (and
    search_path switch) per statement instead of two. Issue 14: a transaction that sets
    the context and calls it went from 0.75 to 0.56 ms on PostgreSQL 15; two or three
    calls per request.
    """
    crypto = _pgcrypto_schema(conn)
    definer = "STABLE SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp"
    tenant_seal = _seal_of("'tenant:' || v_tenant", crypto)
    for statement in (
        "CREATE SCHEMA IF NOT EXISTS nitida_private",
        "REVOKE ALL ON SCHEMA nitida_private FROM PUBLIC",
        "CREATE TABLE IF NOT EXISTS nitida_private.rls_key ("
        "id smallint PRIMARY KEY CHECK (id = 1), key bytea NOT NULL CHECK (length(key) >= 32))",
        "REVOKE ALL ON nitida_private.rls_key FROM PUBLIC",
        # False for a missing or empty seal or message, and when no key is stored.
        "CREATE OR REPLACE FUNCTION nitida_private.seal_ok(message text, seal text) RETURNS boolean "
        f"LANGUAGE plpgsql {definer} AS $$ "
        "DECLARE v_key bytea; "
        "BEGIN "
        "IF message IS NULL OR seal IS NULL OR seal = '' THEN RETURN false; END IF; "
        f"{_READ_KEY}"
        f"RETURN coalesce({_seal_of('message', crypto)} = seal, false); "
        "END $$",
        "REVOKE ALL ON FUNCTION nitida_private.seal_ok(text, text) FROM PUBLIC",
        # The tenant of app.tenant_id when app.tenant_seal is its seal; NULL (no rows) otherwise.
        "CREATE OR REPLACE FUNCTION public.nitida_current_tenant() RETURNS uuid "
        f"LANGUAGE plpgsql {definer} AS $$ "
        "DECLARE v_tenant text := current_setting('app.tenant_id', true); "
        "v_seal text := current_setting('app.tenant_seal', true); "
        "v_key bytea; "
        "BEGIN "
        "IF v_tenant IS NULL OR v_tenant = '' OR v_seal IS NULL OR v_seal = '' THEN RETURN NULL; END IF; "
        f"{_READ_KEY}"
        f"IF {tenant_seal} = v_seal THEN RETURN v_tenant::uuid; END IF; "
        "RETURN NULL; "
        "END $$",
        "CREATE OR REPLACE FUNCTION public.nitida_queue_scan() RETURNS boolean "
        f"LANGUAGE plpgsql {definer} AS $$ "
        "BEGIN RETURN nitida_private.seal_ok('queue', current_setting('app.queue_scan', true)); END $$",
    ):
        conn.execute(text(statement))


def ensure_login_function(conn: Connection) -> None:
    """Login's one way to a user before any tenant is known: what login needs,
    for one e-mail, and only with the service's seal of that e-mail."""
    ensure_rls_functions(conn)
    conn.execute(text("DROP FUNCTION IF EXISTS public.nitida_login_candidate(text, text)"))
    conn.execute(
        text(
            "CREATE FUNCTION public.nitida_login_candidate(p_email text, p_seal text) "
            "RETURNS TABLE (user_id uuid, tenant_id uuid, password_hash text, status text, token_version integer, "
            "email text) "
            "LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$ "
            "SELECT u.id, u.tenant_id, u.password_hash::text, u.status::text, u.token_version, u.email::text "
            "FROM public.users u WHERE u.email_lower = p_email "
            "AND nitida_private.seal_ok('login:' || p_email, p_seal) $$"
        )
    )
    # The function runs as the owner, whom FORCE ROW LEVEL SECURITY binds too.
    conn.execute(text("DROP POLICY IF EXISTS owner_login_lookup ON users"))
    conn.execute(text("CREATE POLICY owner_login_lookup ON users FOR SELECT TO CURRENT_USER USING (true)"))


def enable_tenant_rls(table: str, tenant_column: str = "tenant_id") -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    ensure_rls_functions(op.get_bind())
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({tenant_column} = {CURRENT_TENANT}) "
        f"WITH CHECK ({tenant_column} = {CURRENT_TENANT})"
    )


def disable_tenant_rls(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def enable_queue_scan(table: str) -> None:
    """Let a job worker's queue session (a sealed ``app.queue_scan``, see
    core.db) find and claim rows of every tenant in a queue table. Permissive
    policies add up: tenant sessions still see only their own rows."""
    if op.get_bind().dialect.name != "postgresql":
        return
    ensure_rls_functions(op.get_bind())
    op.execute(f"CREATE POLICY queue_scan ON {table} USING ({QUEUE_SCAN}) WITH CHECK ({QUEUE_SCAN})")


def disable_queue_scan(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS queue_scan ON {table}")


# --- after every upgrade: the service role's grants and the seal key ---------------


def grant_service_role(conn: Connection, role: str) -> None:
    """Give the service role exactly what it needs on every table of the schema,
    starting from nothing each time (so a privilege removed here is removed there)."""
    role_ident = conn.dialect.identifier_preparer.quote(role)
    owner = conn.execute(text("SELECT current_user")).scalar_one()
    if owner == role:
        raise ValueError(f"the service role {role!r} must not be the role that runs the migrations (the owner)")
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).scalars()
    conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role_ident}"))
    for table in tables:
        conn.execute(text(f'REVOKE ALL ON TABLE public."{table}" FROM {role_ident}'))
        privileges = SERVICE_PRIVILEGES.get(table, DEFAULT_PRIVILEGES)
        hidden = HIDDEN_COLUMNS.get(table)
        if hidden:
            columns = conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name = :t ORDER BY ordinal_position"
                ),
                {"t": table},
            ).scalars()
            visible = ", ".join(f'"{c}"' for c in columns if c not in hidden)
            privileges = ", ".join(p for p in privileges.split(", ") if p != "SELECT")
            conn.execute(text(f'GRANT SELECT ({visible}) ON TABLE public."{table}" TO {role_ident}'))
        if privileges:
            conn.execute(text(f'GRANT {privileges} ON TABLE public."{table}" TO {role_ident}'))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role_ident}"))
    for function in SERVICE_FUNCTIONS:
        if conn.execute(text("SELECT to_regprocedure(:f)"), {"f": function}).scalar() is not None:
            conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {role_ident}"))


def store_rls_key(conn: Connection, key: bytes) -> None:
    conn.execute(
        text(
            "INSERT INTO nitida_private.rls_key (id, key) VALUES (1, :key) "
            "ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key"
        ),
        {"key": key},
    )
