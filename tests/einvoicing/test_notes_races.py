"""Notes under concurrency (PostgreSQL, a real server, parallel clients): numbers stay gap-free and
an invoice is never credited beyond its total."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from fixtures.einvoicing_api import LINES, accepted_invoice, configure, ok
from fixtures.races import at_once
from nitida.users.models import Role

pytestmark = pytest.mark.postgres_only


def test_parallel_notes_get_consecutive_numbers_and_never_over_credit(live_url, client, tenant):
    admin = tenant.headers(Role.ADMIN)
    configure(client, admin)
    invoices = [accepted_invoice(client, admin, lines=LINES[:1]) for _ in range(4)]  # 141,610.00 each
    half = "50420.17"  # + IVA 19 % (9 579.83) = 60,000.00: a discount takes the invoice's taxes
    headers = tenant.headers(Role.OPERADOR)

    def post(i):
        # three credit notes of 60,000 per invoice: only two fit in 141,610
        invoice = invoices[i % len(invoices)]
        with httpx.Client(base_url=live_url, timeout=60) as c:
            return c.post(
                f"/billing/invoices/{invoice['id']}/credit-notes",
                headers=headers,
                json={"concept": 3, "description": "Descuento", "amount": half},
            )

    responses = at_once(12, post)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 8 + [409] * 4, [r.text[:200] for r in responses]
    numbers = sorted(r.json()["consecutive"] for r in responses if r.status_code == 201)
    assert numbers == list(range(1, 9))  # gap-free: refused notes took no number
    for invoice in invoices:
        after = ok(client.get(f"/billing/invoices/{invoice['id']}", headers=admin))
        assert Decimal(after["creditedTotal"]) == Decimal("120000.00")
        assert Decimal(after["balance"]) == Decimal("21610.00")
    assert ok(client.get("/billing/electronic-invoicing", headers=admin))["nextCreditNote"] == 9
