"""buyers abroad and the export invoice: a customer's country and foreign address, an invoice's currency

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 16:00:00

Issue 25. ``customers.pais_codigo`` (ISO 3166-1 alpha-2 of the DIAN's list, "CO" for every customer so far),
``ciudad_exterior`` and ``region_exterior`` (a foreign address's city and region, free text: a buyer abroad has
no DANE municipality). An invoice keeps them in its snapshot of the buyer (``customer_*``). ``invoices.export``
(InvoiceTypeCode 02), ``currency`` (ISO 4217, "COP" so far) and ``exchange_rate`` (the pesos of one unit of
it); an exported line's ``brand`` and ``model`` (Item/BrandName, ModelName).

On PostgreSQL the customer search function of 0013 returns a fixed list of columns: it is created again with
the three new ones (same body, same safety), so a search's rows carry the country as the list's rows do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nitida.core import bounds
from nitida.core.money import ScaledDecimal

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FUNCTION = "public.nitida_search_customers(text, text, text, integer, integer, integer)"

_COLUMNS_0013 = (
    "id uuid, tenant_id uuid, razon_social varchar, tipo_documento varchar, nit varchar, "
    "dv varchar, email varchar, telefono varchar, direccion varchar, tipo_persona varchar, "
    "responsabilidades_fiscales json, tributo varchar, municipio_codigo varchar, codigo_postal varchar, "
)
_SELECT_0013 = (
    "c.id, c.tenant_id, c.razon_social, c.tipo_documento, c.nit, c.dv, c.email, c.telefono, "
    "c.direccion, c.tipo_persona, c.responsabilidades_fiscales, c.tributo, c.municipio_codigo, "
    "c.codigo_postal, "
)
_FOREIGN_COLUMNS = "pais_codigo varchar, ciudad_exterior varchar, region_exterior varchar, "
_FOREIGN_SELECT = "c.pais_codigo, c.ciudad_exterior, c.region_exterior, "


def _search_function(columns: str, select: str) -> str:
    """0013's function, returning ``columns`` (read as ``select``) before status and the two instants."""
    return (
        "CREATE FUNCTION public.nitida_search_customers("
        "p_name text, p_number text, p_status text, p_limit integer, p_offset integer, p_cap integer) "
        f"RETURNS TABLE ({columns}"
        "status varchar, created_at timestamptz, updated_at timestamptz, nitida_row bigint, nitida_total bigint) "
        "LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED "
        "SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan ROWS 50 AS $$ "
        "#variable_conflict use_column\n"
        "DECLARE v_tenant uuid := public.nitida_current_tenant(); "
        "BEGIN "
        "IF v_tenant IS NULL THEN RETURN; END IF; "
        "RETURN QUERY "
        f"SELECT {select}c.status, c.created_at, c.updated_at, m.r, least(m.n, p_cap) "
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


def _replace_search_function(columns: str, select: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
    op.execute(_search_function(columns, select))
    # Only the service role may call it (granted after every upgrade by core.rls).
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("pais_codigo", sa.String(length=bounds.COUNTRY_CODE), nullable=False, server_default="CO")
        )
        batch.add_column(sa.Column("ciudad_exterior", sa.String(length=bounds.PLACE_NAME), nullable=True))
        batch.add_column(sa.Column("region_exterior", sa.String(length=bounds.PLACE_NAME), nullable=True))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("export", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(
            sa.Column("currency", sa.String(length=bounds.CURRENCY_CODE), nullable=False, server_default="COP")
        )
        batch.add_column(sa.Column("exchange_rate", ScaledDecimal(2), nullable=True))
        batch.add_column(sa.Column("customer_pais_codigo", sa.String(length=bounds.COUNTRY_CODE), nullable=True))
        batch.add_column(sa.Column("customer_ciudad_exterior", sa.String(length=bounds.PLACE_NAME), nullable=True))
        batch.add_column(sa.Column("customer_region_exterior", sa.String(length=bounds.PLACE_NAME), nullable=True))
    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(sa.Column("brand", sa.String(length=bounds.BRAND), nullable=True))
        batch.add_column(sa.Column("model", sa.String(length=bounds.BRAND), nullable=True))
    _replace_search_function(_COLUMNS_0013 + _FOREIGN_COLUMNS, _SELECT_0013 + _FOREIGN_SELECT)


def downgrade() -> None:
    _replace_search_function(_COLUMNS_0013, _SELECT_0013)
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_column("model")
        batch.drop_column("brand")
    with op.batch_alter_table("invoices") as batch:
        for name in (
            "customer_region_exterior",
            "customer_ciudad_exterior",
            "customer_pais_codigo",
            "exchange_rate",
            "currency",
            "export",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("region_exterior")
        batch.drop_column("ciudad_exterior")
        batch.drop_column("pais_codigo")
