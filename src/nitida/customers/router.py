from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from nitida.audit.schemas import AuditEventRead
from nitida.audit.service import history
from nitida.auth.dependencies import TenantContext, guard
from nitida.core import bounds
from nitida.core.problems import problem_responses
from nitida.core.schemas import total_count_header
from nitida.customers import service
from nitida.customers.access import CUSTOMERS
from nitida.customers.models import CustomerStatus
from nitida.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from nitida.customers.views import customer_response, customers_page, customers_stream

router = APIRouter(prefix="/billing/customers", tags=["customers"])

Reader = Annotated[TenantContext, guard(CUSTOMERS["read"])]
ItemReader = Annotated[TenantContext, guard(CUSTOMERS["read"], after_lookup=True)]
Writer = Annotated[TenantContext, guard(CUSTOMERS["write"])]
ItemWriter = Annotated[TenantContext, guard(CUSTOMERS["write"], after_lookup=True)]
ItemDeleter = Annotated[TenantContext, guard(CUSTOMERS["delete"], after_lookup=True)]


@router.get(
    "",
    response_model=list[CustomerRead],
    responses={200: {"headers": total_count_header("Customers")}, **problem_responses(400, 401)},
)
def list_customers(
    ctx: Reader,
    search: Annotated[
        str | None,
        Query(max_length=bounds.SEARCH_TERM, description="Name (case- and accent-insensitive) or number fragment"),
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
        page = service.list_customers(ctx.session, search, status_, limit, offset)
        return Response(customers_page(page), media_type="application/json", headers=headers)
    # The request's session has closed by the time the body is sent: the
    # stream reads page by page in short transactions of its own.
    stream = service.stream_customers(ctx.reader, search, status_, offset)
    return StreamingResponse(customers_stream(stream), media_type="application/json", headers=headers)


@router.post(
    "",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_customer(body: CustomerCreate, ctx: Writer) -> Response:
    """Create a customer (ADMIN, OPERADOR). The number is unique in the tenant."""
    row = service.create_customer(ctx.session, ctx.principal, body)
    return customer_response(row, status.HTTP_201_CREATED)


@router.get("/{customer_id}", response_model=CustomerRead, responses=problem_responses(401, 404))
def get_customer(customer_id: str, ctx: ItemReader) -> Response:
    customer = service.read_customer(ctx.session, customer_id)
    ctx.authorize()
    return customer_response(customer)


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    responses=problem_responses(400, 401, 403, 404, 413),
)
def update_customer(customer_id: str, body: CustomerUpdate, ctx: ItemWriter) -> Response:
    """Change the fields present (ADMIN, OPERADOR); null clears an optional field."""
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.authorize()
    service.update_customer(ctx.session, ctx.principal, customer, body)
    return customer_response(customer)


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_customer(customer_id: str, ctx: ItemDeleter) -> Response:
    """Delete a customer without invoices (ADMIN). One with invoices is 409: set it INACTIVE."""
    customer = service.get_customer(ctx.session, customer_id, for_update=True)
    ctx.authorize()
    service.delete_customer(ctx.session, ctx.principal, customer)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{customer_id}/history",
    response_model=list[AuditEventRead],
    responses=problem_responses(401, 404),
)
def customer_history(customer_id: str, ctx: ItemReader) -> list[AuditEventRead]:
    """Who created or changed the customer, when, and each field's old and new value."""
    customer = service.get_customer(ctx.session, customer_id)
    ctx.authorize()
    events = history(ctx.session, entity_type=service.ENTITY, entity_id=customer.id)
    return [AuditEventRead.model_validate(e) for e in events]
