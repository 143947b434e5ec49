"""Billing customers: identity rules, uniqueness per tenant, audit, search."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nitida.audit import service as audit
from nitida.auth.dependencies import Principal
from nitida.core.db import utcnow
from nitida.core.errors import BadRequest, Conflict, FieldError, NotFound
from nitida.core.ids import parse_id
from nitida.core.schemas import BOGOTA
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
}

# Columns of a customer as the API shows it; the list streams these rows
# without building ORM objects.
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
    Customer.status,
    Customer.created_at,
    Customer.updated_at,
)


# Enum members to their API strings, looked up once per row instead of
# through the enum properties (the whole list formats 100,000 rows).
_TIPO_JSON = {t: (t.value, t.codigo) for t in TipoDocumento}
_STATUS_JSON = {s: s.value for s in CustomerStatus}


def customer_json(c: Any) -> dict[str, Any]:
    """A customer (ORM object or row of COLUMNS) as the API's JSON object."""
    if isinstance(c, Row):
        # Rows of COLUMNS (the list): unpacked by position, which costs a
        # fraction of 12 lookups by name.
        (id_, tenant_id, razon_social, tipo, nit, dv, email, telefono, direccion, status,
         created_at, updated_at) = c
    else:
        id_, tenant_id, razon_social, tipo, nit, dv = c.id, c.tenant_id, c.razon_social, c.tipo_documento, c.nit, c.dv
        email, telefono, direccion, status = c.email, c.telefono, c.direccion, c.status
        created_at, updated_at = c.created_at, c.updated_at
    tipo_value, tipo_codigo = _TIPO_JSON[tipo]
    created = created_at.astimezone(BOGOTA).isoformat()
    return {
        "id": str(id_),
        "tenantId": str(tenant_id),
        "razonSocial": razon_social,
        "tipoDocumento": tipo_value,
        "tipoDocumentoCodigo": tipo_codigo,
        "nit": nit,
        "dv": dv,
        "email": email,
        "telefono": telefono,
        "direccion": direccion,
        "status": _STATUS_JSON[status],
        "createdAt": created,
        # A customer never edited has updated_at == created_at: one conversion.
        "updatedAt": created if updated_at == created_at else updated_at.astimezone(BOGOTA).isoformat(),
    }


def _audited_values(c: Customer) -> dict[str, Any]:
    return {
        api: (getattr(c, attr).value if hasattr(getattr(c, attr), "value") else getattr(c, attr))
        for api, attr in AUDITED.items()
    }


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


def _find_by_nit(session: Session, nit: str) -> Customer | None:
    return session.scalar(select(Customer).where(Customer.nit == nit))


def _set_name(customer: Customer, razon_social: str) -> None:
    customer.razon_social = razon_social
    customer.razon_social_search = fold(razon_social)
    customer.razon_social_sort = spanish_sort_key(razon_social)


def create_customer(session: Session, actor: Principal, data: CustomerCreate) -> Customer:
    identity = _identity(data.tipo_documento, data.nit)
    existing = _find_by_nit(session, identity.number)
    if existing is not None:
        raise _duplicate(existing)
    now = utcnow()
    customer = Customer(
        tipo_documento=identity.tipo,
        nit=identity.number,
        dv=identity.dv,
        email=data.email,
        telefono=data.telefono,
        direccion=data.direccion,
        status=data.status,
        created_at=now,
        updated_at=now,
    )
    _set_name(customer, data.razon_social)
    session.add(customer)
    _flush_or_duplicate(session, identity.number)
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=customer.id,
        action="CREATED",
        changes=audit.diff({}, _audited_values(customer)),
    )
    session.flush()
    return customer


def _flush_or_duplicate(session: Session, nit: str) -> None:
    """Flush; a unique-index violation (a concurrent create won) becomes the duplicate 400."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _find_by_nit(session, nit)
        if existing is None:  # pragma: no cover - the winner rolled back meanwhile
            raise BadRequest.field("nit", "This number was being registered at the same moment; retry.")
        raise _duplicate(existing) from None


def get_customer(session: Session, customer_id: str, *, for_update: bool = False) -> Customer:
    cid = parse_id(customer_id)
    if cid is None:
        raise NotFound("Customer not found.")
    stmt = select(Customer).where(Customer.id == cid)
    if for_update:
        stmt = stmt.with_for_update()
    customer = session.scalar(stmt)
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def update_customer(session: Session, actor: Principal, customer: Customer, data: CustomerUpdate) -> Customer:
    fields = data.model_dump(exclude_unset=True)
    for required in ("razon_social", "nit", "tipo_documento", "status"):
        if required in fields and fields[required] is None:
            api_name = {"razon_social": "razonSocial", "tipo_documento": "tipoDocumento"}.get(required, required)
            raise BadRequest.field(api_name, "must not be null")
    before = _audited_values(customer)
    if "nit" in fields or "tipo_documento" in fields:
        tipo = fields.get("tipo_documento", customer.tipo_documento)
        identity = _identity(tipo, fields.get("nit", customer.nit))
        if identity.number != customer.nit:
            other = _find_by_nit(session, identity.number)
            if other is not None and other.id != customer.id:
                raise _duplicate(other)
        customer.tipo_documento, customer.nit, customer.dv = identity.tipo, identity.number, identity.dv
    if "razon_social" in fields:
        _set_name(customer, fields["razon_social"])
    for name in ("email", "telefono", "direccion", "status"):
        if name in fields:
            setattr(customer, name, fields[name])
    changes = audit.diff(before, _audited_values(customer))
    if changes:
        customer.updated_at = utcnow()
        _flush_or_duplicate(session, customer.nit)
        audit.record(
            session, actor, entity_type=ENTITY, entity_id=customer.id, action="UPDATED", changes=changes
        )
        session.flush()
    return customer


def delete_customer(session: Session, actor: Principal, customer: Customer) -> None:
    audit.record(
        session,
        actor,
        entity_type=ENTITY,
        entity_id=customer.id,
        action="DELETED",
        changes=audit.diff(_audited_values(customer), {k: None for k in AUDITED}),
    )
    session.delete(customer)
    try:
        session.flush()
    except IntegrityError:
        # The invoice -> customer foreign key is RESTRICT: whatever the path,
        # a customer with invoices stays.
        session.rollback()
        raise Conflict(
            "This customer has invoices and cannot be deleted. "
            'Set "status": "INACTIVE" instead to retire it while keeping its invoice history.',
            slug="customer-has-invoices",
        ) from None


# --- listing ----------------------------------------------------------------

_LIKE_SPECIALS = re.compile(r"([\\%_])")


def _contains(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, with %, _ and \\ taken literally."""
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", term) + "%"


def _filtered(stmt: Select, search: str | None, status: CustomerStatus | None) -> Select:
    if status is not None:
        stmt = stmt.where(Customer.status == status)
    if search:
        conditions = []
        name_term = fold(search).strip()
        if name_term:
            conditions.append(Customer.razon_social_search.like(_contains(name_term), escape="\\"))
        # Numbers are stored without separators: "900.123" finds 900123456.
        number_term = re.sub(r"[\s.\-]", "", search).upper()
        if number_term:
            conditions.append(Customer.nit.like(_contains(number_term), escape="\\"))
        if conditions:
            stmt = stmt.where(or_(*conditions))
    return stmt


def count_customers(session: Session, search: str | None, status: CustomerStatus | None) -> int:
    return session.scalar(_filtered(select(func.count(Customer.id)), search, status))


def list_customers(
    session: Session,
    search: str | None,
    status: CustomerStatus | None,
    limit: int | None,
    offset: int,
) -> Iterator[Any]:
    """Rows of COLUMNS in Spanish order, fetched in batches (never the whole list at once)."""
    order = (Customer.razon_social_sort, Customer.nit)
    if search and limit is not None:
        # Typeahead: the page's ids first, then those rows. On PostgreSQL the
        # ids come from an index-only scan of ix_customers_tenant_sort_search
        # (migration 0003: order, folded name, number and id in one index), so
        # a rare word no longer reads every row of the tenant; only the page's
        # rows are read from the table.
        page = _filtered(select(Customer.id), search, status).order_by(*order)
        if offset:
            page = page.offset(offset)
        stmt = select(*COLUMNS).where(Customer.id.in_(page.limit(limit))).order_by(*order)
        yield from session.execute(stmt)
        return
    stmt = _filtered(select(*COLUMNS), search, status).order_by(*order)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        # A page is read in one round trip. A server-side cursor (yield_per)
        # would add DECLARE, FETCH and CLOSE round trips, and PostgreSQL would
        # plan it for its first rows (cursor_tuple_fraction).
        yield from session.execute(stmt.limit(limit))
        return
    result = session.execute(stmt, execution_options={"yield_per": 1000})
    yield from result
