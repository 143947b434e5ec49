"""Applying a customers file (customers.importing reads and validates it): the plan of what a dry run reports, and
its all-or-nothing application, each change in the customer's history."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    select,
)

from nitida.audit import service as audit
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import Conflict
from nitida.core.integrity import apply_unless_violates
from nitida.core.principal import Principal
from nitida.customers.models import Customer
from nitida.customers.service import ENTITY, UNIQUE_NIT, audited_values, name_columns, new_customer_values, stored_value
from nitida.jobs.registry import declare

# The background import of a large file (customers.jobs handles it).
IMPORT = declare("customers.import")
IMPORT_CREATED = "IMPORT_CREATED"  # history actions that mark a change made by a file import
IMPORT_UPDATED = "IMPORT_UPDATED"
_LOOKUP_CHUNK = 500
# A report names at most this many new and this many changed customers (every one of a file
# the request imports itself; a background job's file of up to 100,000 rows is counted beyond).
DETAIL_LIMIT = 2_000
# Keys the service derives from the name: never shown as changes of their own.
_DERIVED = {"razon_social_search", "razon_social_sort"}


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
            updates[attr] = stored_value(getattr(row.data, attr))
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
            plan["update" if changes else "unchanged"].append((customer, changes, row.row))
    validated.errors.sort(key=lambda e: e.row)
    return plan


def _shown(value: Any) -> Any:
    """A value as the API shows it (enums by their value, lists as they are, None as null)."""
    return stored_value(value)


def plan_details(plan: dict[str, Any]) -> dict[str, Any]:
    """What a plan would do, for its report: each new customer (row, name, number) and each customer
    that would change (row, id, its name and number now, and every field's old and new value)."""
    from pydantic.alias_generators import to_camel

    new_rows = plan.get("new", [])
    updates = plan.get("update", [])
    return {
        "newCustomers": [
            {
                "row": row.row,
                "razonSocial": row.data.razon_social,
                "tipoDocumento": row.identity.tipo.value,
                "nit": row.identity.number,
                "dv": row.identity.dv,
            }
            for row in new_rows[:DETAIL_LIMIT]
        ],
        "updates": [
            {
                "row": row,
                "customerId": str(customer.id),
                "razonSocial": customer.razon_social,
                "nit": customer.nit,
                "changes": [
                    {"field": to_camel(attr), "old": _shown(getattr(customer, attr)), "new": _shown(value)}
                    for attr, value in changes.items()
                    if attr not in _DERIVED
                ],
            }
            for customer, changes, row in updates[:DETAIL_LIMIT]
        ],
        "detailTruncated": len(new_rows) > DETAIL_LIMIT or len(updates) > DETAIL_LIMIT,
    }


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
    for customer, changes, _row in plan["update"]:
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
        for customer, changes, _row in plan["update"]:
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
    details = plan_details(plan)  # before applying: the old values are the customers' as they were
    if applied:
        apply_import(session, actor, plan)
    return importing.report(validated, plan, dry_run=dry_run, mode=mode.value, applied=applied, details=details)
