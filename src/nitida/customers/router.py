from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse

from nitida.audit.schemas import AuditEventRead
from nitida.audit.service import history
from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core import spreadsheets
from nitida.core.errors import PROBLEM_JSON
from nitida.core.problems import problem_responses
from nitida.customers import exporting, import_apply, importing, service
from nitida.customers import search as customer_lists
from nitida.customers.access import CUSTOMERS
from nitida.customers.models import CustomerImportFile
from nitida.customers.schemas import CustomerCreate, CustomerListQuery, CustomerRead, CustomerUpdate
from nitida.customers.views import customer_response, customers_page, customers_stream
from nitida.jobs.service import enqueue

router = APIRouter(prefix="/billing/customers", tags=["customers"], route_class=UnitOfWorkRoute)

SEARCH_TOTAL_COUNT_HEADERS = {
    "X-Total-Count": {
        "description": (
            "Customers matching the filters, before limit/offset. Exact, except for a page of a search "
            "(`search` and `limit` given): its matches are counted only up to one past the page's end "
            "(offset + limit + 1), so the count costs no more than the page. When that many match, this is "
            "offset + limit + 1, a lower bound (there is a next page), and X-Total-Count-Capped is sent."
        ),
        "schema": {"type": "integer"},
    },
    "X-Total-Count-Capped": {
        "description": "Sent (`true`) only when X-Total-Count is a lower bound: at least that many customers match.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

Reader = Annotated[TenantContext, guard(CUSTOMERS["read"])]
ItemReader = Annotated[TenantContext, guard(CUSTOMERS["read"], after_lookup=True)]
Writer = Annotated[TenantContext, guard(CUSTOMERS["write"])]
ItemWriter = Annotated[TenantContext, guard(CUSTOMERS["write"], after_lookup=True)]
ItemDeleter = Annotated[TenantContext, guard(CUSTOMERS["delete"], after_lookup=True)]
Importer = Annotated[TenantContext, guard(CUSTOMERS["import"])]


@router.get(
    "",
    response_model=list[CustomerRead],
    responses={200: {"headers": SEARCH_TOTAL_COUNT_HEADERS}, **problem_responses(400, 401)},
)
def list_customers(ctx: Reader, query: Annotated[CustomerListQuery, Query()]) -> Response:
    """Every customer of the caller's tenant, active and inactive, in Spanish alphabetical order.

    Without ``limit`` the whole list is streamed.
    """
    search, status_, limit, offset = query.search, query.status, query.limit, query.offset
    with ctx.listing() as session:  # the read replica when it may serve (core.replica)
        if limit is None:
            total, capped = customer_lists.count_for_page(session, search, status_, limit, offset)
            page = None
        else:
            page, total, capped = customer_lists.page_with_count(session, search, status_, limit, offset)
    headers = {"X-Total-Count": str(total)}
    if capped:
        headers["X-Total-Count-Capped"] = "true"
    if page is not None:
        return Response(customers_page(page), media_type="application/json", headers=headers)
    # The request's session has closed by the time the body is sent: the
    # stream reads page by page in short transactions of its own.
    stream = customer_lists.stream_customers(ctx.reader, search, status_, offset, for_json=True)
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


# Declared before "/{customer_id}": these two words are not ids.
@router.get(
    "/export",
    response_model=list[CustomerRead],
    responses={
        200: {"content": spreadsheets.file_content_doc(), "description": "Every customer (JSON, CSV or XLSX)"},
        **problem_responses(400, 401),
    },
)
def export_customers(
    ctx: Reader,
    format_: Annotated[
        Literal["json", "csv", "xlsx"] | None,
        Query(alias="format", description="json (default), csv or xlsx; or send Accept: text/csv or the XLSX type"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Every customer with every field, the DIAN code beside the document type, streamed.

    CSV is UTF-8 with BOM, ``;`` between fields (as Excel in Colombia opens it);
    its header row is what the import reads back.
    """
    rows = customer_lists.stream_customers(ctx.reader, None, None, 0)
    fmt = spreadsheets.negotiate(format_, accept)
    if fmt == spreadsheets.JSON:
        return StreamingResponse(customers_stream(rows), media_type="application/json")
    body, media, headers = spreadsheets.file_response_parts(exporting.export_table(rows), fmt, "clientes")
    return StreamingResponse(body, media_type=media, headers=headers)


async def _upload(request: Request) -> bytes:
    # The body cap for this path is the import's 20 MB (see main.py), checked before this reads it.
    return await request.body()


IMPORT_BODY = {
    "required": True,
    "description": "The file itself (not a multipart form): CSV (UTF-8 or Windows-1252, ';' or ',') or XLSX",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        spreadsheets.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    },
}
IMPORT_REPORT = {
    "type": "object",
    "properties": {
        "dryRun": {"type": "boolean"},
        "mode": {"type": "string", "enum": ["create", "upsert"]},
        "applied": {"type": "boolean"},
        "totalRows": {"type": "integer"},
        "new": {"type": "integer"},
        "unchanged": {"type": "integer"},
        "toUpdate": {"type": "integer"},
        "invalid": {"type": "integer"},
        "invalidRows": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"row": {"type": "integer"}, "field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "ignoredColumns": {"type": "array", "items": {"type": "string"}},
        "newCustomers": {
            "type": "array",
            "description": "Each customer the file creates (in create mode, or upsert of a number not registered)",
            "items": {
                "type": "object",
                "properties": {
                    "row": {"type": "integer"},
                    "razonSocial": {"type": "string"},
                    "tipoDocumento": {"type": "string"},
                    "nit": {"type": "string"},
                    "dv": {"type": ["string", "null"]},
                },
            },
        },
        "updates": {
            "type": "array",
            "description": "Each registered customer the file changes (upsert): its name and number now, and each "
            "field that changes with its old and new value",
            "items": {
                "type": "object",
                "properties": {
                    "row": {"type": "integer"},
                    "customerId": {"type": "string", "format": "uuid"},
                    "razonSocial": {"type": "string"},
                    "nit": {"type": "string"},
                    "changes": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"field": {"type": "string"}, "old": {}, "new": {}},
                        },
                    },
                },
            },
        },
        "detailTruncated": {
            "type": "boolean",
            "description": f"true when newCustomers or updates name only the first {import_apply.DETAIL_LIMIT}",
        },
    },
}


@router.post(
    "/import",
    responses={
        200: {"description": "The import's report", "content": {"application/json": {"schema": IMPORT_REPORT}}},
        202: {
            "description": f"More than {importing.JOB_THRESHOLD} rows: a background job (GET /jobs/{{jobId}})",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"jobId": {"type": "string"}}}}
            },
        },
        **problem_responses(400, 401, 403, 409, 413),
    },
    openapi_extra={"requestBody": IMPORT_BODY},
)
def import_customers(
    ctx: Importer,
    data: Annotated[bytes, Depends(_upload)],
    dry_run: Annotated[bool, Query(alias="dryRun", description="true (default): only report, change nothing")] = True,
    mode: Annotated[import_apply.ImportMode, Query(description="create (default) or upsert (match on the number)")] = (
        import_apply.ImportMode.CREATE
    ),
) -> Response:
    """Load customers from a CSV or XLSX file (ADMIN, OPERADOR), all or nothing.

    With ``dryRun=true`` (the default) nothing changes: the answer counts the
    rows that are new, unchanged, to update and invalid, names every
    invalid row's number, field and message, every new customer
    (``newCustomers``) and, for every customer that would change
    (``updates``), each field with its old and new value. With ``dryRun=false`` a file with
    any invalid row is refused (400, nothing written); a valid one is applied
    in one transaction. Files of more than 2,000 rows run as a background job:
    202 with its id; ``GET /jobs/{id}`` shows rows done of total and, at the
    end, the same report as its result.
    """
    rows = importing.count_rows(data)
    if rows > importing.JOB_THRESHOLD:
        upload = CustomerImportFile(content=data, size_bytes=len(data), created_by=ctx.principal.user_id)
        ctx.session.add(upload)
        ctx.session.flush()
        payload = {"fileId": str(upload.id), "mode": mode.value, "dryRun": dry_run, "rows": rows}
        job = enqueue(ctx.session, import_apply.IMPORT, payload, actor=ctx.principal, max_attempts=3)
        return JSONResponse(
            {"jobId": str(job.id), "rows": rows, "status": job.status.value},
            status_code=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/jobs/{job.id}"},
        )
    report = import_apply.run_import(ctx.session, ctx.principal, data, mode=mode, dry_run=dry_run)
    if not dry_run and not report["applied"]:
        # Nothing is written; the problem names every invalid row.
        errors = [{"field": f"row {e['row']}: {e['field']}", "message": e["message"]} for e in report["invalidRows"]]
        body = {
            "type": "https://nitida.co/problems/import-has-invalid-rows",
            "title": "Bad Request",
            "status": 400,
            "detail": f"{report['invalid']} of {report['totalRows']} rows are invalid: nothing was imported.",
            "errors": errors,
        }
        return JSONResponse(body, status_code=400, media_type=PROBLEM_JSON)
    return JSONResponse(report)


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
