"""The service keeps no state of its own: two separate service processes on
one database share the login lock, the job queue and gap-free numbering."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fixtures.common import PASSWORD
from fixtures.jobs import seed_failed_job
from fixtures.processes import free_port, start_service
from nitida.users.models import Role

pytestmark = pytest.mark.slow

from fixtures.invoices import line


@pytest.fixture
def two_services(database_url, tmp_path):
    ports = [free_port(), free_port()]
    procs = [start_service(database_url, port, tmp_path) for port in ports]
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def test_two_service_processes_share_login_locks_jobs_and_numbering(two_services, database, tenant):
    a, b = (httpx.Client(base_url=url, timeout=30) for url in two_services)
    admin = tenant.headers(Role.ADMIN)

    # Login lock: five failures through A lock the e-mail on B.
    email = tenant.users[Role.CONSULTA].email
    for _ in range(5):
        assert a.post("/auth/login", json={"email": email, "password": "wrong"}).status_code == 401
    assert b.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 429

    # The job queue: a job failed in the database is retried through B and seen queued through A.
    seed_failed_job(database, tenant.id)
    failed = a.get("/jobs", params={"status": "FAILED"}, headers=admin).json()
    assert len(failed) == 1
    assert b.post(f"/jobs/{failed[0]['id']}/retry", headers=admin).status_code == 200
    assert a.get(f"/jobs/{failed[0]['id']}", headers=admin).json()["status"] == "QUEUED"

    # Numbering: 20 drafts issued at once, half through each process, take consecutive numbers.
    customer = a.post(
        "/billing/customers", headers=admin, json={"razonSocial": "Cliente Compartido", "nit": "900373914"}
    ).json()
    resolution = a.post(
        "/billing/resolutions",
        headers=admin,
        json={
            "resolutionNumber": "18760000001",
            "prefix": "SP",
            "rangeFrom": 1,
            "rangeTo": 1000,
            "validFrom": "2026-01-01",
            "validTo": "2030-12-31",
        },
    ).json()
    drafts = [
        a.post(
            "/billing/invoices",
            headers=admin,
            json={
                "customerId": customer["id"],
                "resolutionId": resolution["id"],
                "paymentForm": "CONTADO",
                "lines": [line()],
            },
        ).json()["id"]
        for _ in range(20)
    ]

    def issue(pair):
        client, invoice_id = pair
        return client.post(f"/billing/invoices/{invoice_id}/issue", headers=admin)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(issue, [((a, b)[i % 2], d) for i, d in enumerate(drafts)]))
    assert [r.status_code for r in answers] == [200] * 20
    numbers = sorted(int(re.sub(r"\D", "", r.json()["number"])) for r in answers)
    assert numbers == list(range(1, 21))
