"""Races on PostgreSQL, through a real server with concurrent clients."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from fixtures.api_walker import ApiWalker, served_operations
from fixtures.common import random_nit
from fixtures.races import at_once
from fixtures.role_matrix import SEED_BODIES
from nitida.audit.models import AuditEvent
from nitida.customers.models import Customer
from nitida.users.models import Role

pytestmark = pytest.mark.postgres_only


def test_50_parallel_creates_of_one_nit_make_exactly_one_row(live_url, tenant, database):
    nit = random_nit()
    headers = tenant.headers(Role.OPERADOR)

    def create(i):
        with httpx.Client(base_url=live_url, timeout=60) as c:
            return c.post("/billing/customers", headers=headers, json={"razonSocial": f"Carrera {i}", "nit": nit})

    responses = at_once(50, create)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, codes
    assert all(
        r.status_code == 400 and r.json()["type"].endswith("duplicate-nit") for r in responses if r.status_code != 201
    ), codes
    with database.tenant_session(tenant.id, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Customer).where(Customer.nit == nit)) == 1


def test_parallel_patches_leave_one_requests_values_and_every_change_in_history(live_url, client, tenant, database):
    headers = tenant.headers(Role.ADMIN)
    created = client.post(
        "/billing/customers", headers=headers, json={"razonSocial": "Original S.A.S.", "nit": random_nit()}
    )
    assert created.status_code == 201
    cid = created.json()["id"]
    requests = [{"razonSocial": f"Nombre {i:02d}", "telefono": f"+57 300 000 00{i:02d}"} for i in range(20)]

    def patch(i):
        with httpx.Client(base_url=live_url, timeout=60) as c:
            return c.patch(f"/billing/customers/{cid}", headers=headers, json=requests[i])

    responses = at_once(20, patch)
    assert [r.status_code for r in responses] == [200] * 20
    stored = client.get(f"/billing/customers/{cid}", headers=headers).json()
    assert {"razonSocial": stored["razonSocial"], "telefono": stored["telefono"]} in requests
    history = client.get(f"/billing/customers/{cid}/history", headers=headers).json()
    updates = [e for e in history if e["action"] == "UPDATED"]
    assert len(updates) == 20
    # Each change starts from the value the previous one left: a serial order exists.
    names = [u["changes"]["razonSocial"] for u in updates]
    assert names[0]["from"] == "Original S.A.S."
    assert all(a["to"] == b["from"] for a, b in zip(names, names[1:]))
    assert names[-1]["to"] == stored["razonSocial"]
    assert sorted(n["to"] for n in names) == sorted(r["razonSocial"] for r in requests)
    with database.tenant_session(tenant.id, write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.entity_id == cid)) == 21


ISSUE_PATHS = [
    p for m, p in served_operations() if m == "POST" and p.startswith("/billing/invoices/") and p.endswith("/issue")
]


def test_parallel_issuing_gives_distinct_consecutive_numbers_without_gaps(live_url, client, tenant):
    assert ISSUE_PATHS, "the issue endpoint is not served"
    issue_path = ISSUE_PATHS[0]
    walker = ApiWalker(client, tenant, SEED_BODIES)
    walker.seed(customers=1)
    assert not walker.seed_failures, walker.seed_failures
    drafts = []
    for _ in range(20):
        response = client.post(
            "/billing/invoices", headers=walker.headers, json=walker.body_for("POST", "/billing/invoices")
        )
        assert response.status_code == 201, response.text
        drafts.append(response.json()["id"])
    body = walker.body_for("POST", issue_path)
    headers = tenant.headers(Role.OPERADOR)

    def issue(i):
        with httpx.Client(base_url=live_url, timeout=60) as c:
            return c.post(issue_path.replace("{invoice_id}", drafts[i]), headers=headers, json=body)

    responses = at_once(len(drafts), issue)
    assert [r.status_code for r in responses] == [200] * len(drafts), [r.text[:200] for r in responses]
    issued = [client.get(f"/billing/invoices/{d}", headers=headers).json() for d in drafts]
    by_prefix: dict[str, list[int]] = {}
    for inv in issued:
        by_prefix.setdefault(inv["prefix"], []).append(inv["consecutive"])
    for numbers in by_prefix.values():
        numbers.sort()
        assert len(set(numbers)) == len(numbers), numbers
        # With the seeded invoice issued elsewhere or not, this tenant's numbers are one unbroken run.
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
    assert len({inv["number"] for inv in issued}) == len(drafts)
