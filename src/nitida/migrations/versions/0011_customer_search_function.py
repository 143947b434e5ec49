"""customer search functions: typeahead through the trigram indexes with row-level security on

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 16:40:00

Why (issue 14, measured by ``python -m bench``): under row-level security
PostgreSQL keeps a non-LEAKPROOF operator such as LIKE out of index
conditions, so the service role's ``razon_social_search LIKE '%mar%'`` can
never use the trigram GIN indexes of 0001 and reads the whole tenant.

``nitida_search_customer_ids`` (the page's ids, in order) and
``nitida_count_customers`` (the matches, optionally capped) run the search as
the owner (SECURITY DEFINER), for whom a SELECT policy ``USING (true)`` makes
the row-level security condition constant, so LIKE is an index condition
again. They take the search terms, never a tenant: the tenant is
``nitida_current_tenant()``, the sealed (HMAC-checked) tenant of the caller's
transaction, and NULL (no rows) without a valid seal. They return ids (or a
number) only; the service then reads the page's rows under the ordinary
policies. EXECUTE is granted to the service role alone (core.rls), and the
search_path is pinned. PL/pgSQL with ``plan_cache_mode = force_custom_plan``:
each call is planned with its own terms and tenant, so a rare word goes
through the trigram index and a common fragment through the sorted index,
as the planner would choose for the same query with literals.

PostgreSQL only; SQLite keeps its LIKE over the table.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The search predicate, as customers.search._filtered writes it for SQLite
# (contains(..., autoescape=True): %, _ and / escaped by "/"). A NULL term
# matches nothing, as an empty term adds no condition there.
PREDICATE = (
    "c.tenant_id = v_tenant "
    "AND (c.razon_social_search LIKE '%' || p_name || '%' ESCAPE '/' "
    "OR c.nit LIKE '%' || p_number || '%' ESCAPE '/') "
    "AND (p_status IS NULL OR c.status = p_status)"
)
DEFINER = (
    "SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan"
)
IDS = "public.nitida_search_customer_ids(text, text, text, integer, integer)"
COUNT = "public.nitida_count_customers(text, text, text, integer)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION public.nitida_search_customer_ids("
        "p_name text, p_number text, p_status text, p_limit integer, p_offset integer) "
        "RETURNS TABLE (customer_id uuid) LANGUAGE plpgsql STABLE "
        f"{DEFINER} ROWS 50 AS $$ "
        "DECLARE v_tenant uuid := public.nitida_current_tenant(); "
        "BEGIN "
        "IF v_tenant IS NULL THEN RETURN; END IF; "
        f"RETURN QUERY SELECT c.id FROM public.customers c WHERE {PREDICATE} "
        "ORDER BY c.razon_social_sort, c.nit LIMIT p_limit OFFSET p_offset; "
        "END $$"
    )
    # p_cap: count at most this many matches (NULL: all of them).
    op.execute(
        "CREATE FUNCTION public.nitida_count_customers(p_name text, p_number text, p_status text, p_cap integer) "
        "RETURNS bigint LANGUAGE plpgsql STABLE "
        f"{DEFINER} AS $$ "
        "DECLARE v_tenant uuid := public.nitida_current_tenant(); v_count bigint; "
        "BEGIN "
        "IF v_tenant IS NULL THEN RETURN 0; END IF; "
        f"SELECT count(*) INTO v_count FROM (SELECT 1 FROM public.customers c WHERE {PREDICATE} LIMIT p_cap) s; "
        "RETURN v_count; "
        "END $$"
    )
    for function in (IDS, COUNT):
        # Only the service role may call them (granted after every upgrade by core.rls).
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    # FORCE ROW LEVEL SECURITY binds the owner too: this permissive policy
    # (OR'd with tenant_isolation) is constant true for the owner alone, so its
    # searches may use any index. The service role is not the owner (serve
    # refuses a role that may act as one), so its policies are unchanged.
    op.execute("CREATE POLICY owner_search ON customers FOR SELECT TO CURRENT_USER USING (true)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS owner_search ON customers")
    op.execute(f"DROP FUNCTION IF EXISTS {COUNT}")
    op.execute(f"DROP FUNCTION IF EXISTS {IDS}")
