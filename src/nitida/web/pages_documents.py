"""An issued electronic invoice's files as the back office serves them: the QR, the signed XML, the PDF (the API's
very documents: delivery.service and invoices.service)."""

from __future__ import annotations

import io
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response

from nitida.core.errors import Conflict, NotFound
from nitida.delivery import service as delivery
from nitida.einvoicing import cufe
from nitida.invoices import service
from nitida.invoices.access import INVOICES
from nitida.invoices.models import InvoiceStatus
from nitida.web.deps import Web, WebContext

router = APIRouter(include_in_schema=False)


def _secret_key(request: Request) -> str:
    return request.app.state.settings.secret_key


def _electronic(ctx: WebContext, invoice_id: str) -> Any:
    """An issued electronic invoice (other tenants' ids, drafts and non-electronic invoices: the 404 page)."""
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.require(INVOICES, "read")
    if invoice.status is InvoiceStatus.DRAFT or invoice.cufe is None:
        raise NotFound("The invoice has no electronic document.")
    return invoice


@router.get("/app/facturas/{invoice_id}/qr.svg")
def invoice_qr(ctx: Web, invoice_id: str) -> Response:
    """The invoice's QR as its PDF prints it (the annex's labelled block, ending in the DIAN consultation URL);
    served, not inlined: the CSP's img-src is 'self'."""
    invoice = _electronic(ctx, invoice_id)
    assert invoice.qr_data is not None and invoice.cufe is not None  # signed with its CUFE
    text = cufe.qr_text(delivery.invoice_printable_document(ctx.session, invoice), invoice.cufe, invoice.qr_data)
    svg = io.BytesIO()
    segno.make(text, error="m").save(svg, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return Response(svg.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/app/facturas/{invoice_id}/xml")
def invoice_xml(ctx: Web, invoice_id: str) -> Response:
    invoice = _electronic(ctx, invoice_id)
    return Response(
        service.signed_xml(ctx.session, invoice),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.xml"'},
    )


@router.get("/app/facturas/{invoice_id}/pdf")
def invoice_pdf(request: Request, ctx: Web, invoice_id: str) -> Response:
    """The representación gráfica, the API's very document (delivery.service.invoice_pdf); a draft's is marked
    "Borrador — sin validez fiscal". An invoice without one is the 404 page (its page says why)."""
    invoice = service.get_invoice(ctx.session, invoice_id)
    ctx.require(INVOICES, "read")
    try:
        content = delivery.invoice_pdf(ctx.session, invoice, _secret_key(request))
    except Conflict:
        raise NotFound("The invoice has no printed form: electronic invoicing is not configured for it.") from None
    name = "borrador" if invoice.status is InvoiceStatus.DRAFT else invoice.number
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    )
