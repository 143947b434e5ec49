"""The read replica (NITIDA_DATABASE_REPLICA_URL) against a real streaming replica of the
throwaway cluster: lists, searches and exports come from it; a read by id, a write, and the
caller's read after its own write come from the primary; row-level security holds on it;
and when it is gone the primary answers.

"The replica served it" is shown by pausing its replay (``pg_wal_replay_pause()``, as the
superuser on the replica): a customer created meanwhile is on the primary only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, text

import fixtures.jobs  # noqa: F401 - the test job kinds
from fixtures.common import SECRET, random_nit
from fixtures.invoices import line
from fixtures.web import csrf_of, signed_in
from nitida.core import replica as replica_routing
from nitida.core import seals
from nitida.core.db import Database
from nitida.core.principal import Principal
from nitida.core.settings import Settings
from nitida.customers import service as customers
from nitida.customers.schemas import CustomerCreate
from nitida.jobs.models import JobStatus
from nitida.jobs.service import enqueue
from nitida.main import create_app
from nitida.users.models import Role

# A second cluster (pg_basebackup and start: several seconds), started once per module.
pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def standby(postgres, database):
    """A hot standby of the test cluster, copied after the migrations ran (``database``)."""
    cluster = postgres[2]
    if cluster is None:
        pytest.skip("needs the throwaway cluster: NITIDA_TEST_POSTGRES_URL names a server this test cannot copy")
    replica = cluster.start_replica()
    try:
        yield replica
    finally:
        replica.stop()


@pytest.fixture(scope="module")
def replica_db(standby, settings) -> Iterator[Database]:
    db = Database(settings.database_url, secret_key=SECRET, replica_url=standby.app_url, replica_max_lag_seconds=600)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def replica_app(standby, settings, replica_db):
    with_replica = settings.model_copy(update={"database_replica_url": standby.app_url})
    return create_app(with_replica, replica_db)


@pytest.fixture(autouse=True)
def _replica_tried_again():
    # No back-off nor look at the replica's state left by another test (a stopped replica, a paused replay).
    replica_routing._down_until.clear()
    replica_routing._states.clear()


def _superuser(standby) -> psycopg.Connection:
    return psycopg.connect(f"host=127.0.0.1 port={standby.port} user=postgres dbname=nitida", autocommit=True)


@contextmanager
def replay_paused(standby) -> Iterator[None]:
    with _superuser(standby) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with _superuser(standby) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def wait_on_replica(standby, sql: str, *params, timeout: float = 30) -> None:
    """Until ``sql`` (as the superuser on the replica) returns a row: a write has been replayed."""
    deadline = time.monotonic() + timeout
    with _superuser(standby) as conn:
        while conn.execute(sql, params).fetchone() is None:
            assert time.monotonic() < deadline, f"not replayed within {timeout} s: {sql} {params}"
            time.sleep(0.05)


def wait_customer_replayed(standby, customer_id: str) -> None:
    wait_on_replica(standby, "SELECT 1 FROM customers WHERE id = %s", uuid.UUID(customer_id))


def wait_received_not_replayed(standby, timeout: float = 30) -> None:
    """Until the paused replica has received WAL it has not replayed (it is behind, not idle)."""
    wait_on_replica(standby, "SELECT 1 WHERE pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()", timeout=timeout)


def listed_ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()}


def new_customer(client: TestClient, headers: dict[str, str], name: str) -> Response:
    response = client.post("/billing/customers", headers=headers, json={"razonSocial": name, "nit": random_nit()})
    assert response.status_code == 201, response.text
    return response


def test_lists_read_the_replica_and_the_callers_own_write_reads_the_primary(standby, replica_app, replica_db, tenant):
    admin = tenant.headers(Role.ADMIN)
    with TestClient(replica_app) as writer, TestClient(replica_app) as someone_else:
        before = new_customer(writer, admin, "Cliente Replicado S.A.S.").json()["id"]
        wait_customer_replayed(standby, before)
        with replay_paused(standby):
            created = new_customer(writer, admin, "Cliente Recién Creado S.A.S.")
            new_id = created.json()["id"]
            # The write's answer carries where the write is, for the caller's next reads.
            position = created.headers[replica_routing.HEADER]
            assert writer.cookies[replica_routing.COOKIE] == position

            # Another caller's list, search and export are read on the replica: not there yet.
            listed = someone_else.get("/billing/customers", headers=admin)
            assert listed_ids(listed) == {before}
            assert listed.headers["X-Total-Count"] == "1"
            search = someone_else.get("/billing/customers", headers=admin, params={"search": "Recién", "limit": 10})
            assert listed_ids(search) == set()
            exported = someone_else.get("/billing/customers/export", headers=admin)
            assert listed_ids(exported) == {before}
            # A read by id is always the primary's.
            assert someone_else.get(f"/billing/customers/{new_id}", headers=admin).status_code == 200

            # The caller's own read after its write: the primary (the cookie), page, stream and count alike.
            own = writer.get("/billing/customers", headers=admin, params={"limit": 10})
            assert listed_ids(own) == {before, new_id}
            assert own.headers["X-Total-Count"] == "2"
            assert listed_ids(writer.get("/billing/customers", headers=admin)) == {before, new_id}
            assert listed_ids(writer.get("/billing/customers", headers=admin, params={"search": "Recién"})) == {new_id}
            # A client without cookies sends the position back as a header; anyone may ask for the primary.
            with_position = {**admin, replica_routing.HEADER: position}
            assert listed_ids(someone_else.get("/billing/customers", headers=with_position)) == {before, new_id}
            from_primary = {**admin, replica_routing.OPT_OUT_HEADER: "primary"}
            assert listed_ids(someone_else.get("/billing/customers", headers=from_primary)) == {before, new_id}

            # Further behind than NITIDA_REPLICA_MAX_LAG_SECONDS: the primary answers everyone.
            wait_received_not_replayed(standby)
            replica_db.replica_max_lag_seconds = 0.05
            try:
                time.sleep(0.1)
                assert listed_ids(someone_else.get("/billing/customers", headers=admin)) == {before, new_id}
            finally:
                replica_db.replica_max_lag_seconds = 600

        wait_customer_replayed(standby, new_id)
        assert listed_ids(someone_else.get("/billing/customers", headers=admin)) == {before, new_id}
        assert listed_ids(writer.get("/billing/customers", headers=admin)) == {before, new_id}


def test_the_invoices_list_and_the_back_office_list_pages_read_the_replica(standby, replica_app, tenant):
    admin = tenant.headers(Role.ADMIN)
    with TestClient(replica_app) as api, TestClient(replica_app) as someone_else:
        customer = new_customer(api, admin, "Cliente de Facturas").json()
        resolution = api.post(
            "/billing/resolutions",
            headers=admin,
            json={
                "resolutionNumber": "18760000001",
                "prefix": "RP",
                "rangeFrom": 1,
                "rangeTo": 1000,
                "validFrom": "2026-01-01",
                "validTo": "2030-12-31",
            },
        )
        assert resolution.status_code == 201, resolution.text
        draft = {"customerId": customer["id"], "resolutionId": resolution.json()["id"], "paymentForm": "CONTADO"}
        first = api.post("/billing/invoices", headers=admin, json={**draft, "lines": [line()]})
        assert first.status_code == 201, first.text
        wait_on_replica(standby, "SELECT 1 FROM invoices WHERE id = %s", uuid.UUID(first.json()["id"]))
        browser = signed_in(replica_app, tenant.users[Role.ADMIN].email)
        with replay_paused(standby):
            second = api.post("/billing/invoices", headers=admin, json={**draft, "lines": [line()]})
            assert second.status_code == 201, second.text
            assert listed_ids(someone_else.get("/billing/invoices", headers=admin)) == {first.json()["id"]}
            assert listed_ids(api.get("/billing/invoices", headers=admin)) == {first.json()["id"], second.json()["id"]}

            # The back office: the list page from the replica, until this browser writes.
            other = new_customer(api, admin, "Cliente Creado por la API").json()
            assert other["razonSocial"] not in browser.get("/app/clientes").text
            assert browser.get("/app/facturas").text.count(customer["razonSocial"]) == 1
            created = browser.post(
                "/app/clientes/nuevo",
                data={
                    "csrf_token": csrf_of(browser.get("/app/clientes/nuevo").text),
                    "tipo_documento": "NIT",
                    "numero": random_nit(),
                    "razon_social": "Cliente Creado en la Página",
                },
            )
            assert created.status_code == 303, created.text
            assert replica_routing.COOKIE in created.headers["set-cookie"]
            page = browser.get("/app/clientes").text
            assert "Cliente Creado en la Página" in page
            assert other["razonSocial"] in page
            assert browser.get("/app/facturas").text.count(customer["razonSocial"]) == 2


def test_a_finished_job_seen_by_its_caller_is_in_the_callers_next_lists(standby, replica_app, replica_db, tenant):
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    headers = tenant.headers(Role.ADMIN)
    with TestClient(replica_app) as caller:
        with replay_paused(standby):
            # What a finished import leaves: its customers, and the job SUCCEEDED (the worker's commit).
            with replica_db.unit_of_work(tenant.id) as session:
                imported = customers.create_customer(
                    session, actor, CustomerCreate(razon_social="Cliente Importado", nit=random_nit())
                )
                job = enqueue(session, "tests.record", {"marker": str(uuid.uuid4())}, actor=actor)
                job.status = JobStatus.SUCCEEDED
            assert str(imported.id) not in listed_ids(caller.get("/billing/customers", headers=headers))
            polled = caller.get(f"/jobs/{job.id}", headers=headers)
            assert polled.status_code == 200 and polled.json()["status"] == "SUCCEEDED"
            assert replica_routing.HEADER in polled.headers
            assert str(imported.id) in listed_ids(caller.get("/billing/customers", headers=headers))


def test_a_write_request_and_a_unit_of_work_that_wrote_read_the_primary(standby, replica_db, tenant):
    admin = tenant.users[Role.ADMIN]
    actor = Principal(user_id=admin.id, tenant_id=tenant.id, email=admin.email, name=admin.name, role=Role.ADMIN)
    with replica_db.unit_of_work(tenant.id) as unit_of_work:
        get = replica_routing.ReadRouting.of(replica_db, tenant.id, unit_of_work, "GET", {}, {})
        with get.session() as session:
            assert session is not unit_of_work
            assert session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
        post = replica_routing.ReadRouting.of(replica_db, tenant.id, unit_of_work, "POST", {}, {})
        with post.session() as session:
            assert session is unit_of_work
        with post.reader() as session:
            assert session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False

        customers.create_customer(unit_of_work, actor, CustomerCreate(razon_social="Cliente Nuevo", nit=random_nit()))
        # This unit of work has written: what it lists next must include its own write.
        with get.session() as session:
            assert session is unit_of_work
        with get.reader() as session:
            assert session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False


def test_row_level_security_holds_on_the_replica(standby, replica_app, replica_db, tenant, other_tenant):
    with TestClient(replica_app) as client:
        mine = new_customer(client, tenant.headers(Role.ADMIN), "Cliente Propio").json()["id"]
        theirs = new_customer(client, other_tenant.headers(Role.ADMIN), "Cliente Ajeno").json()["id"]
    wait_customer_replayed(standby, mine)
    wait_customer_replayed(standby, theirs)

    # Plain SQL (no ORM filter): only row-level security, sealed for the replica connection's pid.
    with replica_db.tenant_session(tenant.id, write=False, replica=True) as session:
        assert session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
        seen = set(session.execute(text("SELECT DISTINCT tenant_id FROM customers")).scalars())
        assert seen == {tenant.id}
        assert session.execute(text("SELECT count(*) FROM customers WHERE id = :id"), {"id": theirs}).scalar() == 0

    # The service role on the replica: no seal, or another connection's seal, sees no row.
    engine = create_engine(standby.app_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0
            pid = conn.connection.dbapi_connection.info.backend_pid
            forged = seals.tenant_seal(replica_db.rls_key, str(other_tenant.id), pid + 1)
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true), set_config('app.tenant_seal', :s, true)"),
                {"t": str(other_tenant.id), "s": forged},
            )
            assert conn.execute(text("SELECT count(*) FROM customers")).scalar() == 0
    finally:
        engine.dispose()


def test_without_the_replica_the_primary_answers(standby, replica_app, tenant):
    admin = tenant.headers(Role.ADMIN)
    with TestClient(replica_app) as writer, TestClient(replica_app) as reader:
        first = new_customer(writer, admin, "Cliente Antes de la Caída").json()["id"]
        wait_customer_replayed(standby, first)
        assert listed_ids(reader.get("/billing/customers", headers=admin)) == {first}  # pooled replica connection
        with _superuser(standby) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")  # a restart resumes it
        second = new_customer(writer, admin, "Cliente Durante la Caída").json()["id"]
        assert listed_ids(reader.get("/billing/customers", headers=admin)) == {first}  # the replica serves
        standby.stop_server()
        try:
            # Its pooled connection is dead, then it refuses connections: the primary answers, no error.
            assert listed_ids(reader.get("/billing/customers", headers=admin)) == {first, second}
            replica_routing._down_until.clear()
            assert listed_ids(reader.get("/billing/customers", headers=admin)) == {first, second}
            report = reader.get("/billing/reports/aging", headers=admin)
            assert report.status_code == 200, report.text
        finally:
            standby.start_server()
            standby.wait_streaming()
        # Back: after the back-off the replica serves again (pause replay: a new customer is not there).
        replica_routing._down_until.clear()
        wait_customer_replayed(standby, second)
        with replay_paused(standby):
            third = new_customer(writer, admin, "Cliente Después de la Caída").json()["id"]
            assert listed_ids(reader.get("/billing/customers", headers=admin)) == {first, second}
        wait_customer_replayed(standby, third)


def test_the_replica_is_for_postgresql_only():
    replica = "postgresql+psycopg://nitida:pw@127.0.0.1:5433/nitida"
    with pytest.raises(ValueError, match="NITIDA_DATABASE_REPLICA_URL is for PostgreSQL only"):
        Settings(database_url="sqlite:///./x.db", secret_key=SECRET, database_replica_url=replica)
    with pytest.raises(ValueError, match="NITIDA_DATABASE_REPLICA_URL is for PostgreSQL only"):
        Settings(
            database_url=replica.replace("5433", "5432"), secret_key=SECRET, database_replica_url="sqlite:///./r.db"
        )
    assert (
        Settings(database_url="sqlite:///./x.db", secret_key=SECRET, database_replica_url="").database_replica_url
        is None
    )
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        Database("sqlite://", replica_url=replica)


def test_a_callers_position_and_a_look_at_the_replica_decide_as_documented():
    assert replica_routing.parse_position(None) is None
    assert replica_routing.parse_position(" 1/2A ") == (1 << 32) + 0x2A
    never = replica_routing.parse_position("garbage; drop table")  # malformed: the primary
    state = replica_routing._ReplicaState(at=100.0, standby=True, replayed=(1 << 32) + 0x2A, caught_up=False, lag=4.0)
    assert state.serves(0, 10, now=100.1)
    assert state.serves((1 << 32) + 0x2A, 10, now=100.1)
    assert not state.serves((1 << 32) + 0x2B, 10, now=100.1)  # the caller's write is not replayed yet
    assert not state.serves(never, 10, now=100.1)
    assert not state.serves(0, 4.05, now=100.1)  # 4 s behind when looked at, and 0.1 s since
    caught_up = replica_routing._ReplicaState(at=100.0, standby=True, replayed=0, caught_up=True, lag=3600.0)
    assert caught_up.serves(0, 10, now=100.2)  # an idle primary: caught up, not an hour late
    promoted = replica_routing._ReplicaState(at=100.0, standby=False, replayed=10**9, caught_up=True, lag=0.0)
    assert not promoted.serves(0, 10, now=100.0)


def test_serve_refuses_a_replica_url_that_row_level_security_does_not_bind(standby):
    from nitida.core.service_role import replica_role_problem

    assert replica_role_problem(standby.app_url) is None
    problem = replica_role_problem(standby.superuser_url)
    assert problem is not None and problem.startswith("NITIDA_DATABASE_REPLICA_URL: the role 'postgres' is a superuser")
    assert replica_role_problem(standby.owner_url) is not None  # owns the tables
    # Unreachable at start-up is no reason to refuse: the primary serves until it is back.
    assert replica_role_problem(standby.app_url.replace(f":{standby.port}/", ":9/")) is None
