"""customer search page function: a typeahead's page and its capped count in one search

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:10:00

Why (issue 14: a NIT fragment's p50 was 1.1 ms over the physical floor + 2 ms;
measured on 1,000,000 customers, 100,000 in the tenant): the API's search page
called both functions of 0011, so each request ran the same trigram search
twice (the capped count, then the page's ids; 0.7-1.0 ms each), planned two
PL/pgSQL queries (0.3-0.4 ms each), checked the tenant's seal twice more, and
read the page's rows again under the policies. ``nitida_search_customers``
reads the first matches once, in Spanish order, as many as the count's cap or
the page's end need, and returns the page's rows with their position and the
capped count: rotating over 200 NIT fragments, p50 3.60 -> 2.54 ms, at or
below the old two-query physical floor (2.97 ms).

Safety, as for 0011: SECURITY DEFINER (the owner's ``USING (true)`` search
policy lets LIKE use the trigram and covering indexes), the tenant is only
``nitida_current_tenant()`` (the caller's sealed tenant, NULL: no rows) and
every row read is ``tenant_id = v_tenant``, the tenant_isolation policy's own
predicate, so it returns exactly the rows the service role could read itself.
It takes no tenant argument, returns a fixed list of columns (a column added
to customers later is not exposed by accident), EXECUTE is granted to the
service role alone (core.rls), the search_path is pinned, no dynamic SQL.
``plan_cache_mode = force_custom_plan``: each call is planned with its terms
and tenant (a generic plan sends a common fragment through the trigram index:
11-13 ms instead of 3.5 ms for "mar").

The count: the matches are read in order up to max(cap, offset + limit); the
total is min(matches, cap), exact with no cap. The functions of 0011 stay (a
page past the end counts alone; the typed list reads ids).

PostgreSQL only.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FUNCTION = "public.nitida_search_customers(text, text, text, integer, integer, integer)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION public.nitida_search_customers("
        "p_name text, p_number text, p_status text, p_limit integer, p_offset integer, p_cap integer) "
        "RETURNS TABLE (id uuid, tenant_id uuid, razon_social varchar, tipo_documento varchar, nit varchar, "
        "dv varchar, email varchar, telefono varchar, direccion varchar, tipo_persona varchar, "
        "responsabilidades_fiscales json, tributo varchar, municipio_codigo varchar, codigo_postal varchar, "
        "status varchar, created_at timestamptz, updated_at timestamptz, nitida_row bigint, nitida_total bigint) "
        "LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED "
        "SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan ROWS 50 AS $$ "
        "#variable_conflict use_column\n"
        "DECLARE v_tenant uuid := public.nitida_current_tenant(); "
        "BEGIN "
        "IF v_tenant IS NULL THEN RETURN; END IF; "
        "RETURN QUERY "
        "SELECT c.id, c.tenant_id, c.razon_social, c.tipo_documento, c.nit, c.dv, c.email, c.telefono, "
        "c.direccion, c.tipo_persona, c.responsabilidades_fiscales, c.tributo, c.municipio_codigo, "
        "c.codigo_postal, c.status, c.created_at, c.updated_at, m.r, least(m.n, p_cap) "
        "FROM ("
        " SELECT w.id, w.r, w.n FROM ("
        "  SELECT f.id, row_number() OVER (ORDER BY f.razon_social_sort, f.nit) AS r, count(*) OVER () AS n FROM ("
        "   SELECT s.id, s.razon_social_sort, s.nit FROM public.customers s "
        "   WHERE s.tenant_id = v_tenant "
        "   AND (s.razon_social_search LIKE '%' || p_name || '%' ESCAPE '/' "
        "   OR s.nit LIKE '%' || p_number || '%' ESCAPE '/') "
        "   AND (p_status IS NULL OR s.status = p_status) "
        "   ORDER BY s.razon_social_sort, s.nit "
        "   LIMIT CASE WHEN p_cap IS NOT NULL AND p_limit IS NOT NULL "
        "   THEN greatest(p_cap, coalesce(p_offset, 0) + p_limit) END"
        "  ) f"
        " ) w WHERE w.r > coalesce(p_offset, 0) ORDER BY w.r LIMIT p_limit"
        ") m JOIN public.customers c ON c.tenant_id = v_tenant AND c.id = m.id "
        "ORDER BY m.r; "
        "END $$"
    )
    # Only the service role may call it (granted after every upgrade by core.rls).
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
