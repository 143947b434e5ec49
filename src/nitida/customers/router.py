from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import StreamingResponse

from nitida.audit.schemas import AuditEventRead
from nitida.audit.service import history
from nitida.auth.dependencies import Context, get_database, require_roles
from nitida.core.db import Database
from nitida.core.errors import problem_responses
from nitida.core.schemas import total_count_header
from nitida.customers import service
from nitida.customers.models import CustomerStatus
from nitida.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from nitida.users.models import WRITER_ROLES, Role

router = APIRouter(prefix="/billing/customers", tags=["customers"])

_STREAM_BATCH = 500


@router.get(
    "",
    response_model=list[CustomerRead],
    responses={200: {"headers": total_count_header("Customers")}, **problem_responses(400, 401)},
)
def list_customers(
    ctx: Context,
    db: Annotated[Database, Depends(get_database)],
    search: Annotated[
        str | None,
        Query(max_length=200, description="Name (case- and accent-insensitive) or number fragment"),
    ] = None,
    status_: Annotated[CustomerStatus | None, Query(alias="status")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Page size; omit for the whole list")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Every customer of the caller's tenant, active and inactive, in Spanish alphabetical order.

    Without ``limit`` the whole list is streamed.
    """
    total = service.count_customers(ctx.session, search, status_)
    headers = {"X-Total-Count": str(total)}
    if limit is not None:
        rows = service.list_customers(ctx.session, search, status_, limit, offset)
        body = orjson.dumps([service.customer_json(row) for row in rows])
        return Response(body, media_type="application/json", headers=headers)
    ctx.session.close()  # the stream reads in short transactions of its own
    rows = service.stream_customers(db, ctx.tenant_id, search, status_, offset)
    return StreamingResponse(_json_array(rows), media_type="application/json", headers=headers)


def _json(body: dict, status_code: int = status.HTTP_200_OK) -> Response:
    """The customer JSON as bytes: customer_json already has the shape of
    CustomerRead (the documented model), so it is not validated twice."""
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _json_array(rows) -> Iterator[bytes]:
    """A JSON array sent in batches, so memory stays flat however long the list."""
    yield b"["
    first = True
    batch: list[bytes] = []
    for row in rows:
        batch.append(orjson.dumps(service.customer_json(row)))
        if len(batch) >= _STREAM_BATCH:
            yield (b"" if first else b",") + b",".join(batch)
            first, batch = False, []
    if batch:
        yield (b"" if first else b",") + b",".join(batch)
    yield b"]"


@router.post(
    "",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_customer(body: CustomerCreate, ctx: Context, _: object = require_roles(*WRITER_ROLES)) -> Response:
    """Create a customer (ADMIN, OPERADOR). The number is unique in the tenant."""
    row = service.create_customer(ctx.session, ctx.principal, body)
    ctx.session.commit()
    return _json(service.customer_json(row), status.HTTP_201_CREATED)


@router.get("/{customer_id}", response_model=CustomerRead, responses=problem_responses(401, 404))
def get_customer(customer_id: str, ctx: Context) -> Response:
    return _json(service.customer_json(service.read_customer(ctx.session, customer_id)))


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    responses=problem_responses(400, 401, 403, 404, 413),
)
def update_customer(customer_id: str, body: CustomerUpdate, ctx: Context) -> Response:
    """Change the fields present (ADMIN, OPERADOR); null clears an optional field."""
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.require(*WRITER_ROLES)
    service.update_customer(ctx.session, ctx.principal, customer, body)
    ctx.session.commit()
    return _json(service.customer_json(customer))


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_customer(customer_id: str, ctx: Context) -> Response:
    """Delete a customer without invoices (ADMIN). One with invoices is 409: set it INACTIVE."""
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.require(Role.ADMIN)
    service.delete_customer(ctx.session, ctx.principal, customer)
    ctx.session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{customer_id}/history",
    response_model=list[AuditEventRead],
    responses=problem_responses(401, 404),
)
def customer_history(customer_id: str, ctx: Context) -> list[AuditEventRead]:
    """Who created or changed the customer, when, and each field's old and new value."""
    customer = service.get_customer(ctx.session, customer_id)
    events = history(ctx.session, entity_type=service.ENTITY, entity_id=customer.id)
    return [AuditEventRead.model_validate(e) for e in events]
