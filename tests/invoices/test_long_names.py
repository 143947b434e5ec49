"""A customer whose name folds to a long search key can be invoiced (the bug
that migration 0005 fixed: invoices.customer_search was narrower on PostgreSQL)."""

from __future__ import annotations

import pytest

from fixtures.invoices import issue, line, make_customer, make_draft, make_resolution
from nitida.users.models import Role


@pytest.mark.parametrize("name", ["…" * 450, "ß" * 450, "Ǆ" * 450], ids=["ellipsis", "eszett", "digraph"])
def test_a_customer_with_a_long_folded_name_gets_a_draft_an_issue_and_a_payment(client, tenant, name):
    customer = make_customer(client, tenant, razon_social=name)
    draft = make_draft(client, tenant, customer=customer, resolution=make_resolution(client, tenant))
    changed = client.patch(
        f"/billing/invoices/{draft['id']}",
        json={"lines": [line(unit_price="50000.00")]},
        headers=tenant.headers(Role.OPERADOR),
    )
    assert changed.status_code == 200, changed.text
    issued = issue(client, tenant, draft["id"])
    assert issued.status_code == 200, issued.text
    assert issued.json()["customer"]["razonSocial"] == name
    total = issued.json()["total"]
    paid = client.post(
        f"/billing/invoices/{draft['id']}/payments",
        json={"amount": total, "method": "EFECTIVO"},
        headers=tenant.headers(Role.OPERADOR),
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "PAID"
    found = client.get("/billing/invoices", params={"search": name[:50]}, headers=tenant.headers(Role.CONSULTA))
    assert draft["id"] in [i["id"] for i in found.json()]
