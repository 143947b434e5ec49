"""Helpers shared by the invoice tests (no tests here): customers, resolutions, drafts."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from nitida.core.schemas import BOGOTA
from nitida.users.models import Role

_nit = itertools.count(1)


def today() -> date:
    from datetime import datetime

    return datetime.now(BOGOTA).date()


def make_customer(client, tenant, razon_social: str = "Ferretería Ñandú Ltda.", **extra) -> dict:
    """A customer through the Customers API (a fresh CC number each time)."""
    body = {
        "razonSocial": razon_social,
        "tipoDocumento": "CC",
        "nit": str(10_000_000 + (uuid.uuid4().int % 80_000_000)),
        "email": "compras@example.co",
        "direccion": "Calle 10 # 5-20, Bogotá",
        **extra,
    }
    r = client.post("/billing/customers", json=body, headers=tenant.headers(Role.ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


def make_resolution(
    client,
    tenant,
    *,
    prefix: str | None = None,
    range_from: int = 1,
    range_to: int = 1000,
    valid_from: date | None = None,
    valid_to: date | None = None,
    **extra,
) -> dict:
    body = {
        "resolutionNumber": "18760000001",
        "prefix": prefix or f"F{next(_nit) % 1000:03d}",  # one width: no prefix is another plus digits
        "rangeFrom": range_from,
        "rangeTo": range_to,
        "validFrom": (valid_from or today() - timedelta(days=30)).isoformat(),
        "validTo": (valid_to or today() + timedelta(days=365)).isoformat(),
        "technicalKey": "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c",
        **extra,
    }
    r = client.post("/billing/resolutions", json=body, headers=tenant.headers(Role.ADMIN))
    assert r.status_code == 201, r.text
    return r.json()


def line(
    description: str = "Resma papel carta", quantity="1", unit_price="100000.00", discount="0", taxes=(("IVA", "19"),)
) -> dict:
    return {
        "description": description,
        "quantity": quantity,
        "unitPrice": unit_price,
        "discountPercent": discount,
        "taxes": [{"type": t, "rate": r} for t, r in taxes],
    }


def draft_body(customer: dict, resolution: dict, lines=None, **extra) -> dict:
    return {
        "customerId": customer["id"],
        "resolutionId": resolution["id"],
        "paymentForm": "CONTADO",
        "lines": lines if lines is not None else [line()],
        **extra,
    }


def make_draft(client, tenant, customer=None, resolution=None, lines=None, role=Role.OPERADOR, **extra) -> dict:
    customer = customer or make_customer(client, tenant)
    resolution = resolution or make_resolution(client, tenant)
    r = client.post(
        "/billing/invoices", json=draft_body(customer, resolution, lines, **extra), headers=tenant.headers(role)
    )
    assert r.status_code == 201, r.text
    return r.json()


def issue(client, tenant, invoice_id: str, role=Role.OPERADOR):
    return client.post(f"/billing/invoices/{invoice_id}/issue", headers=tenant.headers(role))


def make_issued(client, tenant, **kwargs) -> dict:
    draft = make_draft(client, tenant, **kwargs)
    r = issue(client, tenant, draft["id"])
    assert r.status_code == 200, r.text
    return r.json()


def pay(client, tenant, invoice_id: str, amount, role=Role.OPERADOR, **extra):
    body = {"amount": amount, "method": "TRANSFERENCIA", "reference": "TRX-1", **extra}
    return client.post(f"/billing/invoices/{invoice_id}/payments", json=body, headers=tenant.headers(role))
