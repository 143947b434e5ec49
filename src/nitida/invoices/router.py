from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from nitida.audit.schemas import AuditEventRead
from nitida.audit.service import history
from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core import bounds
from nitida.core.principal import Role
from nitida.core.problems import problem_responses
from nitida.core.schemas import total_count_header
from nitida.invoices import numbering, service, views
from nitida.invoices.access import INVOICES, RESOLUTIONS
from nitida.invoices.models import InvoiceStatus
from nitida.invoices.schemas import (
    InvoiceCreate,
    InvoiceRead,
    InvoiceSummary,
    InvoiceUpdate,
    PaymentCreate,
    ResolutionRead,
    ResolutionUpdate,
)

router = APIRouter(prefix="/billing/invoices", tags=["invoices"], route_class=UnitOfWorkRoute)
resolutions_router = APIRouter(
    prefix="/billing/resolutions", tags=["numbering resolutions"], route_class=UnitOfWorkRoute
)

ResolutionReader = Annotated[TenantContext, guard(RESOLUTIONS["read"])]
ResolutionItemReader = Annotated[TenantContext, guard(RESOLUTIONS["read"], after_lookup=True)]
ResolutionManager = Annotated[TenantContext, guard(RESOLUTIONS["manage"])]
ResolutionItemManager = Annotated[TenantContext, guard(RESOLUTIONS["manage"], after_lookup=True)]
Reader = Annotated[TenantContext, guard(INVOICES["read"])]
ItemReader = Annotated[TenantContext, guard(INVOICES["read"], after_lookup=True)]
Writer = Annotated[TenantContext, guard(INVOICES["write"])]
ItemWriter = Annotated[TenantContext, guard(INVOICES["write"], after_lookup=True)]


# --- numbering resolutions -------------------------------------------------------


def _resolution_read(resolution: Any, role: Role) -> ResolutionRead:
    read = ResolutionRead.model_validate(resolution)
    # The technical key is what makes an invoice's CUFE valid for the DIAN: ADMIN only.
    return read if role is Role.ADMIN else read.model_copy(update={"technical_key": None})


@resolutions_router.get("", response_model=list[ResolutionRead], responses=problem_responses(401))
def list_resolutions(ctx: ResolutionReader) -> list[ResolutionRead]:
    """The tenant's DIAN numbering resolutions, by prefix and range."""
    return [_resolution_read(r, ctx.principal.role) for r in numbering.list_resolutions(ctx.session)]


@resolutions_router.get("/{resolution_id}", response_model=ResolutionRead, responses=problem_responses(401, 404))
def get_resolution(resolution_id: str, ctx: ResolutionItemReader) -> ResolutionRead:
    resolution = numbering.get_resolution(ctx.session, resolution_id)
    ctx.authorize()
    return _resolution_read(resolution, ctx.principal.role)


@resolutions_router.patch(
    "/{resolution_id}",
    response_model=ResolutionRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def update_resolution(resolution_id: str, body: ResolutionUpdate, ctx: ResolutionItemManager) -> ResolutionRead:
    """Change validTo, technicalKey or rangeTo (ADMIN); rangeTo never below the numbers used.

    Once an invoice is issued under it: validTo never before that invoice, technicalKey fixed (409).
    """
    resolution = numbering.get_resolution(ctx.session, resolution_id, for_update=True)
    ctx.authorize()
    numbering.update_resolution(ctx.session, ctx.principal, resolution, body)
    return _resolution_read(resolution, ctx.principal.role)


# --- invoices ------------------------------------------------------------------------


def _read(ctx: TenantContext, invoice_id: uuid.UUID) -> InvoiceRead:
    return views.invoice_read(ctx.session, service.load_full(ctx.session, invoice_id))


@router.get(
    "",
    response_model=list[InvoiceSummary],
    responses={200: {"headers": total_count_header("Invoices")}, **problem_responses(400, 401)},
)
def list_invoices(
    ctx: Reader,
    response: Response,
    customer_id: Annotated[uuid.UUID | None, Query(alias="customerId")] = None,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    issued_from: Annotated[date | None, Query(alias="issuedFrom", description="Issue date from (inclusive)")] = None,
    issued_to: Annotated[date | None, Query(alias="issuedTo", description="Issue date to (inclusive)")] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=bounds.SEARCH_TERM, description="Invoice number or customer name (case- and accent-insensitive)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[InvoiceSummary]:
    """The tenant's invoices, newest first (by creation), with the total count in X-Total-Count."""
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        total, rows = service.list_invoices(
            session,
            customer_id=customer_id,
            status=status_,
            issued_from=issued_from,
            issued_to=issued_to,
            search=search,
            limit=limit,
            offset=offset,
        )
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.post(
    "",
    response_model=InvoiceRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_invoice(body: InvoiceCreate, ctx: Writer) -> InvoiceRead:
    """Create a DRAFT invoice (ADMIN, OPERADOR). Totals are computed by the server."""
    invoice = service.create_draft(ctx.session, ctx.principal, body)
    return _read(ctx, invoice.id)


@router.get("/{invoice_id}", response_model=InvoiceRead, responses=problem_responses(401, 404))
def get_invoice(invoice_id: str, ctx: ItemReader) -> InvoiceRead:
    """The whole invoice: lines, tax groups, totals, payments and the customer's fiscal data."""
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return _read(ctx, invoice.id)


@router.patch(
    "/{invoice_id}",
    response_model=InvoiceRead,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def update_invoice(invoice_id: str, body: InvoiceUpdate, ctx: ItemWriter) -> InvoiceRead:
    """Change a DRAFT (ADMIN, OPERADOR); ``lines`` replaces every line. Not a DRAFT: 409."""
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    service.update_draft(ctx.session, ctx.principal, invoice, body)
    return _read(ctx, invoice.id)


@router.delete(
    "/{invoice_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 409),
)
def delete_invoice(invoice_id: str, ctx: ItemWriter) -> Response:
    """Delete a DRAFT (ADMIN, OPERADOR). Issued invoices are never deleted (409): void them."""
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    service.delete_draft(ctx.session, ctx.principal, invoice)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{invoice_id}/payments",
    response_model=InvoiceRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
def record_payment(invoice_id: str, body: PaymentCreate, ctx: ItemWriter) -> InvoiceRead:
    """Record a payment on an ISSUED invoice (ADMIN, OPERADOR); PAID when the balance reaches 0.

    More than the balance: 400. Not ISSUED: 409. Answers the whole invoice.
    """
    invoice = service.get_invoice(ctx.session, invoice_id, for_update=True)
    ctx.authorize()
    service.record_payment(ctx.session, ctx.principal, invoice, body)
    return _read(ctx, invoice.id)


XML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "Signed UBL 2.1"}
}


@router.get(
    "/{invoice_id}/xml",
    response_class=Response,
    responses={**XML_RESPONSE, **problem_responses(401, 404, 409)},
)
def invoice_xml(invoice_id: str, ctx: ItemReader) -> Response:
    """The signed electronic invoice (UBL 2.1, XAdES-EPES), as stored at issue.

    409 for a draft, or an invoice issued without electronic-invoicing settings.
    """
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    return Response(service.signed_xml(ctx.session, invoice), media_type="application/xml")


@router.get(
    "/{invoice_id}/history",
    response_model=list[AuditEventRead],
    responses=problem_responses(401, 404),
)
def invoice_history(invoice_id: str, ctx: ItemReader) -> list[AuditEventRead]:
    """Who created, changed, issued, paid or voided the invoice, when, and what changed."""
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.authorize()
    events = history(ctx.session, entity_type=service.ENTITY, entity_id=invoice.id)
    return [AuditEventRead.model_validate(e) for e in events]
