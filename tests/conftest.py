"""Test fixtures: every test runs on SQLite and on a real PostgreSQL.

PostgreSQL is a throwaway cluster started here (or NITIDA_TEST_POSTGRES_URL, the
service role: NOSUPERUSER NOBYPASSRLS, owning nothing, with
NITIDA_TEST_POSTGRES_OWNER_URL, the owner of an empty database, which runs the
migrations). If it cannot be started the PostgreSQL half of the suite errors:
it never skips.

Tests never clean up: each one makes its own tenants, and tenancy keeps them apart.
Helpers shared by tests live in the ``fixtures`` package beside this file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fixtures.common import PASSWORD, SECRET, TenantHandle, migrate_as_owner, unique_email
from nitida.core import security
from nitida.core.db import Database
from nitida.core.migrations import upgrade
from nitida.core.settings import Settings
from nitida.devtools.throwaway_pg import ThrowawayPostgres
from nitida.main import create_app
from nitida.tenants.schemas import TenantCreate
from nitida.tenants.service import create_tenant
from nitida.users import service as users_service
from nitida.users.models import Role, User
from nitida.users.schemas import UserCreate

security.use_cheap_hashing_for_tests()

# Tests never leave the machine: a worker that picks up another test's delivery job (a `nitida worker`
# process, a service's in-process worker) meets a closed local port, not the DIAN's habilitación host.
# Tests that deliver pass the fake DIAN's URL themselves.
os.environ.setdefault("NITIDA_DIAN_URL", "http://127.0.0.1:9/WcfDianCustomerServices.svc")
# On SQLite a service runs its own worker unless told otherwise: the tests' apps and service processes run
# jobs only where a test asks for them (tests of the README's commands drop this variable, as a user has none).
os.environ.setdefault("NITIDA_INPROCESS_WORKER", "false")


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only (SQLite-only) tests are not collected for the other engine (rather than
    # skipped), so a skip in the report always means something is wrong.
    dropped = [
        i
        for i in items
        if (i.get_closest_marker("postgres_only") and "[sqlite" in i.nodeid)
        or (i.get_closest_marker("sqlite_only") and "[postgresql" in i.nodeid)
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL: (superuser URL or None, service URL, cluster or None, owner URL)."""
    external = os.environ.get("NITIDA_TEST_POSTGRES_URL")
    if external:
        yield None, external, None, os.environ["NITIDA_TEST_POSTGRES_OWNER_URL"]
        return
    # track_functions: tests/security/test_rls.py counts how often the RLS seal is checked.
    cluster = ThrowawayPostgres(extra_settings={"track_functions": "'all'"}).start()
    try:
        yield cluster.superuser_url, cluster.app_url, cluster, cluster.owner_url
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(engine_name, request, tmp_path_factory) -> str:
    if engine_name == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "nitida-test.db"
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres")[1]


@pytest.fixture(scope="session")
def settings(database_url) -> Settings:
    # Every TestClient request comes from one address ("testclient"): the
    # per-address throttle is tested on its own (tests/auth/test_login_flood.py).
    return Settings(
        database_url=database_url, secret_key=SECRET, login_max_failures=5, login_max_failures_per_address=10**9
    )


@pytest.fixture(scope="session")
def database(settings, engine_name, request) -> Iterator[Database]:
    db = Database(settings.database_url, secret_key=settings.secret_key)
    if engine_name == "sqlite":
        upgrade(db.engine)
    else:
        migrate_as_owner(request.getfixturevalue("postgres")[3], settings.database_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_tenant(database):
    def make(name: str = "Papelería Nítida S.A.S.", nit: str = "900123456") -> TenantHandle:
        created = create_tenant(
            database,
            TenantCreate(name=name, nit=nit, admin_email=unique_email("admin"), admin_password=PASSWORD),
        )
        handle = TenantHandle(id=created.tenant_id)
        with database.tenant_session(created.tenant_id) as session:
            handle.users[Role.ADMIN] = session.get(User, (created.tenant_id, created.admin_user_id))
            for role in (Role.OPERADOR, Role.CONSULTA):
                handle.users[role] = users_service.create_user(
                    session,
                    UserCreate(
                        email=unique_email(role.value.lower()),
                        name=f"Usuario {role.value}",
                        password=PASSWORD,
                        role=role,
                    ),
                )
            session.commit()
        return handle

    return make


@pytest.fixture
def tenant(make_tenant) -> TenantHandle:
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant) -> TenantHandle:
    return make_tenant("Colegio Los Andes S.A.S.", "800197268")


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:
    """The app served by a real uvicorn on a loopback port, for concurrent clients."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
