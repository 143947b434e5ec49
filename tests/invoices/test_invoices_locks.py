"""What waits for a resolution's locks on PostgreSQL, and what must not.

An issue holds its resolution's row FOR NO KEY UPDATE until it commits: another
issue or a PATCH of the resolution waits for it (and then sees the number taken),
while reading the resolution and creating drafts under it go on. Growing a range
holds the prefix's range lock, so a create of an overlapping range waits and is
then refused. On SQLite every write transaction holds the database lock, so these
orders are PostgreSQL's alone.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from fixtures.common import assert_problem
from fixtures.invoices import draft_body, make_customer, make_draft, make_resolution
from nitida.core.principal import Principal
from nitida.invoices import numbering, service
from nitida.invoices.schemas import InvoiceCreate, ResolutionCreate, ResolutionUpdate
from nitida.users.models import Role

pytestmark = pytest.mark.postgres_only


def _admin(tenant) -> Principal:
    admin = tenant.users[Role.ADMIN]
    return Principal(admin.id, tenant.id, admin.email, admin.name, Role.ADMIN)


def _backend_pid(session) -> int:
    return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _waits_for(database, pid: int, request: Future, timeout: float = 20) -> bool:
    """True once a backend waits on a lock that ``pid`` holds, False if ``request`` answered first."""
    deadline = time.monotonic() + timeout
    with database.engine.connect() as conn:
        while not request.done():
            waiting = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": pid}
            ).scalar_one()
            conn.rollback()
            if waiting:
                return True
            assert time.monotonic() < deadline, "the request neither answered nor waited"
            time.sleep(0.02)
    return False


def _sender(live_url: str, headers: dict):
    def send(method: str, path: str, body: dict | None = None) -> httpx.Response:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            return http.request(method, path, json=body, headers=headers)

    return send


def test_while_an_issue_holds_the_resolution_reads_and_drafts_go_on_and_a_patch_waits(
    client, database, tenant, live_url
):
    resolution = make_resolution(client, tenant, prefix="LCK", range_from=1, range_to=100)
    customer = make_customer(client, tenant)
    held = make_draft(client, tenant, customer=customer, resolution=resolution)
    url = f"/billing/resolutions/{resolution['id']}"
    send = _sender(live_url, tenant.headers(Role.ADMIN))
    # The pool outside the session: on a failure the session rolls back first, freeing a waiting request.
    with ThreadPoolExecutor(1) as pool, database.tenant_session(tenant.id) as session:
        invoice = service.get_invoice(session, held["id"], for_update=True)
        service.issue(session, _admin(tenant), invoice)
        session.flush()
        pid = _backend_pid(session)

        read = pool.submit(send, "GET", url)
        assert not _waits_for(database, pid, read), "GET of the resolution waited for the issue"
        assert read.result().status_code == 200 and read.result().json()["nextNumber"] == 1  # as committed

        draft = pool.submit(send, "POST", "/billing/invoices", draft_body(customer, resolution))
        assert not _waits_for(database, pid, draft), "a draft under the resolution waited for the issue"
        assert draft.result().status_code == 201, draft.result().text

        patch = pool.submit(send, "PATCH", url, {"technicalKey": "clave-nueva"})
        assert _waits_for(database, pid, patch), f"the PATCH did not wait for the issue: {patch.result().text}"
        session.commit()
        body = assert_problem(patch.result(timeout=60), 409)
    # It saw the invoice issued meanwhile under the old key.
    assert body["type"].endswith("/resolution-technical-key-in-use")
    after = client.get(url, headers=tenant.headers()).json()
    assert (after["nextNumber"], after["technicalKey"]) == (2, resolution["technicalKey"])


def test_a_range_being_grown_makes_an_overlapping_create_wait_and_then_refuses_it(client, database, tenant, live_url):
    grown = make_resolution(client, tenant, prefix="GRW", range_from=1, range_to=100)
    send = _sender(live_url, tenant.headers(Role.ADMIN))
    overlapping = {
        "resolutionNumber": "18760000002",
        "prefix": "GRW",
        "rangeFrom": 150,
        "rangeTo": 250,
        "validFrom": grown["validFrom"],
        "validTo": grown["validTo"],
    }
    with ThreadPoolExecutor(1) as pool, database.tenant_session(tenant.id) as session:
        row = numbering.get_resolution(session, grown["id"], for_update=True)
        numbering.update_resolution(session, _admin(tenant), row, ResolutionUpdate.model_validate({"rangeTo": 200}))
        pid = _backend_pid(session)
        create = pool.submit(send, "POST", "/billing/resolutions", overlapping)
        assert _waits_for(database, pid, create), f"the create did not wait for the grow: {create.result().text}"
        session.commit()
        body = assert_problem(create.result(timeout=60), 400, field="rangeFrom")
    assert body["errors"][0]["message"] == (
        "The range GRW 150-250 overlaps resolution 18760000001 (GRW 1-200); ranges of one prefix may not overlap."
    )
    listed = client.get("/billing/resolutions", headers=tenant.headers()).json()
    assert [(x["prefix"], x["rangeFrom"], x["rangeTo"]) for x in listed] == [("GRW", 1, 200)]


def test_a_prefix_being_registered_makes_a_clashing_one_wait_and_then_refuses_it(client, database, tenant, live_url):
    """FE and FE1 can spell the same number: registered at the same moment, one of them is refused."""
    send = _sender(live_url, tenant.headers(Role.ADMIN))
    body = {
        "resolutionNumber": "18760000003",
        "rangeFrom": 1,
        "rangeTo": 100,
        "validFrom": "2026-01-01",
        "validTo": "2027-12-31",
    }
    with ThreadPoolExecutor(1) as pool, database.tenant_session(tenant.id) as session:
        numbering.create_resolution(session, _admin(tenant), ResolutionCreate.model_validate({**body, "prefix": "FE"}))
        pid = _backend_pid(session)
        clashing = pool.submit(send, "POST", "/billing/resolutions", {**body, "prefix": "FE1"})
        assert _waits_for(database, pid, clashing), f"FE1 did not wait for FE: {clashing.result().text}"
        session.commit()
        problem = assert_problem(clashing.result(timeout=60), 400, field="prefix")
    assert "clashes with the prefix FE of another resolution" in problem["errors"][0]["message"]
    listed = client.get("/billing/resolutions", headers=tenant.headers()).json()
    assert [x["prefix"] for x in listed] == ["FE"]


def test_save_and_issue_takes_the_number_as_committed_when_it_locks_not_as_its_draft_read_it(
    client, database, tenant, live_url
):
    """As the web's "Guardar y emitir": the draft reads the resolution, another issue commits, then this one numbers.

    The issue locks the row and reads it again, even when the session still holds the copy it read before.
    """
    resolution = make_resolution(client, tenant, prefix="SVI", range_from=1, range_to=100)
    customer = make_customer(client, tenant)
    other = make_draft(client, tenant, customer=customer, resolution=resolution)
    send = _sender(live_url, tenant.headers(Role.OPERADOR))
    with ThreadPoolExecutor(1) as pool, database.tenant_session(tenant.id) as session:
        data = InvoiceCreate.model_validate(draft_body(customer, resolution))
        mine = service.create_draft(session, _admin(tenant), data)
        # What the caller keeps of the resolution (a page showing it, say) must not decide the number.
        seen = numbering.find_resolution(session, uuid.UUID(resolution["id"]))
        assert seen.next_number == 1
        # Meanwhile another request issues (and commits) number 1: a draft being saved does not hold it up.
        other_issue = pool.submit(send, "POST", f"/billing/invoices/{other['id']}/issue")
        assert not _waits_for(database, _backend_pid(session), other_issue), "an issue waited for a draft being saved"
        assert other_issue.result().status_code == 200 and other_issue.result().json()["number"] == "SVI1"
        service.issue(session, _admin(tenant), mine)
        assert (mine.consecutive, mine.number, seen.next_number) == (2, "SVI2", 3)
        session.commit()
    after = client.get(f"/billing/resolutions/{resolution['id']}", headers=tenant.headers()).json()
    assert after["nextNumber"] == 3
