"""Invoices issued and paid at the same moment, against a real server.

Runs on both engines: on PostgreSQL the resolution and invoice rows are locked
FOR UPDATE; on SQLite write transactions take the database lock up front.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from fixtures.common import assert_problem
from fixtures.invoices import draft_body, line, make_customer, make_draft, make_resolution
from fixtures.races import at_once
from nitida.core.principal import Principal
from nitida.customers import service as customers_service
from nitida.users.models import Role

PARALLEL = 20


def test_parallel_issues_get_distinct_consecutive_numbers(client, tenant, live_url):
    resolution = make_resolution(client, tenant, prefix="PAR", range_from=500, range_to=10_000)
    drafts = [make_draft(client, tenant, resolution=resolution)["id"] for _ in range(PARALLEL)]
    headers = tenant.headers(Role.OPERADOR)

    def issue(i: int) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.post(f"/billing/invoices/{drafts[i]}/issue", headers=headers)

    responses = at_once(PARALLEL, issue)
    assert [r.status_code for r in responses] == [200] * PARALLEL, [r.text for r in responses if r.status_code != 200]
    consecutives = sorted(r.json()["consecutive"] for r in responses)
    assert consecutives == list(range(500, 500 + PARALLEL))
    assert sorted(r.json()["number"] for r in responses) == sorted(f"PAR{n}" for n in consecutives)
    after = client.get(f"/billing/resolutions/{resolution['id']}", headers=headers).json()
    assert after["nextNumber"] == 500 + PARALLEL


def test_parallel_issues_of_one_draft_number_it_once(client, tenant, live_url):
    resolution = make_resolution(client, tenant, prefix="ONE", range_from=1, range_to=100)
    draft = make_draft(client, tenant, resolution=resolution)["id"]
    headers = tenant.headers(Role.OPERADOR)

    def issue(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.post(f"/billing/invoices/{draft}/issue", headers=headers)

    codes = sorted(r.status_code for r in at_once(8, issue))
    assert codes == [200] + [409] * 7
    after = client.get(f"/billing/resolutions/{resolution['id']}", headers=headers).json()
    assert after["nextNumber"] == 2  # one number taken, no gap


def test_parallel_payments_never_overpay(client, tenant, live_url):
    invoice = make_draft(client, tenant, lines=[line(unit_price="1000.00", taxes=[])])
    headers = tenant.headers(Role.OPERADOR)
    assert client.post(f"/billing/invoices/{invoice['id']}/issue", headers=headers).status_code == 200

    def pay(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.post(
                f"/billing/invoices/{invoice['id']}/payments",
                json={"amount": "300.00", "method": "EFECTIVO"},
                headers=headers,
            )

    codes = sorted(r.status_code for r in at_once(10, pay))
    assert codes == [201] * 3 + [400] * 7  # the 4th would take the balance below zero
    after = client.get(f"/billing/invoices/{invoice['id']}", headers=headers).json()
    assert (after["amountPaid"], after["balance"], after["status"], len(after["payments"])) == (
        "900.00",
        "100.00",
        "ISSUED",
        3,
    )


def _wait_until_blocked_by(database, pid: int, timeout: float = 20) -> None:
    """Until some backend waits on a lock that the backend ``pid`` holds."""
    deadline = time.monotonic() + timeout
    with database.engine.connect() as conn:
        while True:
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": pid}
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            assert time.monotonic() < deadline, "the request never waited for the delete"
            time.sleep(0.02)


@pytest.mark.postgres_only
@pytest.mark.parametrize("how", ["create", "patch"])
def test_a_draft_for_a_customer_being_deleted_is_a_400_not_a_500(client, database, tenant, live_url, how):
    resolution = make_resolution(client, tenant)
    doomed = make_customer(client, tenant, "Cliente Por Retirar S.A.S.")
    if how == "create":
        method, path, body = "POST", "/billing/invoices", draft_body(doomed, resolution)
    else:
        draft = make_draft(client, tenant, resolution=resolution)
        method, path, body = "PATCH", f"/billing/invoices/{draft['id']}", {"customerId": doomed["id"]}
    admin = tenant.users[Role.ADMIN]
    actor = Principal(admin.id, tenant.id, admin.email, admin.name, Role.ADMIN)

    def send() -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.request(method, path, json=body, headers=tenant.headers(Role.OPERADOR))

    with database.tenant_session(tenant.id) as session, ThreadPoolExecutor(1) as pool:
        # Session A deletes the customer and holds its transaction open.
        customer = customers_service.get_customer(session, doomed["id"], for_update=True)
        customers_service.delete_customer(session, actor, customer)
        session.flush()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        answer = pool.submit(send)
        _wait_until_blocked_by(database, pid)
        assert not answer.done()
        session.commit()
        response = answer.result(timeout=60)
    assert_problem(response, 400, field="customerId")
    assert "not found" in response.json()["errors"][0]["message"].lower()
    assert client.get(f"/billing/customers/{doomed['id']}", headers=tenant.headers()).status_code == 404
