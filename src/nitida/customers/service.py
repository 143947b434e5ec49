"""Billing customers: identity rules, uniqueness per tenant, audit (search: customers.search; importing a file:
customers.importing and customers.import_apply)."""

from __future__ import annotations

import enum
import uuid
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from nitida.audit import service as audit
from nitida.core import bounds
from nitida.core.db import TenantSession, utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError
from nitida.core.ids import get_or_404, read_or_404
from nitida.core.integrity import Constraint, apply_unless_violates
from nitida.core.principal import Principal
from nitida.core.schemas import refuse_nulls
from nitida.core.text import fold, spanish_sort_key
from nitida.customers.models import Customer
from nitida.customers.schemas import CustomerCreate, CustomerUpdate
from nitida.vocabulary import codelists, fiscal
from nitida.vocabulary.identity import Identity, InvalidIdentity, TipoDocumento, normalise

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
    "paisCodigo": "pais_codigo",
    "ciudadExterior": "ciudad_exterior",
    "regionExterior": "region_exterior",
}
FISCAL_FIELDS = (
    "tipo_persona",
    "responsabilidades_fiscales",
    "tributo",
    "municipio_codigo",
    "codigo_postal",
    "pais_codigo",
    "ciudad_exterior",
    "region_exterior",
)

UNIQUE_NIT = Constraint("uq_customers_tenant_nit", "UNIQUE constraint failed: customers.tenant_id, customers.nit")
# Only invoices reference customers (composite FK, ON DELETE RESTRICT).
HAS_INVOICES = Constraint("fk_invoices_customer", "FOREIGN KEY constraint failed")

# Folded names are kept in an index beside the sort key (migration 0003);
# PostgreSQL caps an index row near 2.7 kB, so both keys are bounded in bytes.
SEARCH_KEY_MAX_BYTES = bounds.SEARCH_KEY
SORT_KEY_MAX_CHARS = 100  # order is decided long before; ties go to the number

# Columns of a customer as the API shows it, in the order customer_json
# unpacks them; the list reads these rows without building ORM objects.
COLUMNS: tuple[Any, ...] = (
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
    Customer.pais_codigo,
    Customer.ciudad_exterior,
    Customer.region_exterior,
    Customer.status,
    Customer.created_at,
    Customer.updated_at,
)


CUSTOMERS_TABLE = cast(Table, Customer.__table__)
# COLUMNS as table columns, labelled with the attributes' keys (Core statements' rows).
COLUMNS_CORE = tuple(attr.property.columns[0].label(attr.key) for attr in COLUMNS)


def audited_values(c: Any, pending: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audited fields in API form; ``pending`` values (by attribute) win over the row's."""
    pending = pending or {}
    values = {}
    for api, attr in AUDITED.items():
        value = pending.get(attr, getattr(c, attr))
        values[api] = value.value if isinstance(value, enum.Enum) else value
    return values


def stored_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _identity(tipo: TipoDocumento, raw: str) -> Identity:
    try:
        return normalise(tipo, raw)
    except InvalidIdentity as exc:
        raise BadRequest.field("nit", str(exc)) from None


def _check_country(values: dict[str, Any]) -> None:
    """400 naming each field where the customer's country and address disagree (issue 25)."""
    tipo = values["tipo_documento"]
    found = fiscal.foreign_address_problems(
        values["pais_codigo"] or codelists.COLOMBIA,
        values["municipio_codigo"],
        values["codigo_postal"],
        values["ciudad_exterior"],
        values["region_exterior"],
        tipo.codigo if isinstance(tipo, TipoDocumento) else TipoDocumento(tipo).codigo,
    )
    if found:
        raise BadRequest(
            "; ".join(f"{field}: {message}" for field, message in found),
            errors=[FieldError(field=field, message=message) for field, message in found],
        )


def _default_person_type(data: CustomerCreate) -> CustomerCreate:
    """A customer abroad without a person type takes the one that cannot be wrong (issue 25): a foreign
    company named with its legal form (Inc., LLC, GmbH, S.A.…) is a persona jurídica, never a natural
    person; a name that says nothing leaves it to be asked before issuing (einvoicing's person_type_of)."""
    if data.tipo_persona is not None or data.pais_codigo == codelists.COLOMBIA:
        return data
    derived = fiscal.derived_person_type(data.tipo_documento.codigo, data.razon_social)
    return data.model_copy(update={"tipo_persona": derived}) if derived is not None else data


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
        **{name: stored_value(getattr(data, name)) for name in FISCAL_FIELDS},
        "created_at": now,
        "updated_at": now,
        **name_columns(data.razon_social),
    }


# A new customer's INSERT on SQLite, built once (its values travel as parameters);
# audit.record_now follows it.
_INSERT_NEW_SQLITE = (
    sqlite.insert(CUSTOMERS_TABLE).on_conflict_do_nothing(index_elements=["tenant_id", "nit"]).returning(*COLUMNS_CORE)
)
# On PostgreSQL the INSERT and its audit event are one statement (audit.with_event);
# inside WITH its values are named parameters, apart from the columns' own names.
_NEW_PARAM = {column.key: f"new_{column.key}" for column in CUSTOMERS_TABLE.columns}
_INSERT_NEW_AUDITED = audit.with_event(
    postgresql.insert(CUSTOMERS_TABLE)
    .values({column: bindparam(_NEW_PARAM[column.key], type_=column.type) for column in CUSTOMERS_TABLE.columns})
    .on_conflict_do_nothing(index_elements=["tenant_id", "nit"])
    .returning(*COLUMNS_CORE),
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
    data = _default_person_type(data)
    values = new_customer_values(session.tenant_id, identity, data)
    _check_country(values)
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


def _write_or_duplicate(session: TenantSession, nit: str, change: Any) -> None:
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
    refuse_nulls(data, "razon_social", "nit", "tipo_documento", "status", "pais_codigo")
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
            updates[name] = stored_value(fields[name])
    if updates.keys() & {"tipo_documento", *FISCAL_FIELDS}:
        _check_country(
            {name: updates.get(name, getattr(customer, name)) for name in ("tipo_documento", *FISCAL_FIELDS)}
        )
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
