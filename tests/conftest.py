"""Test fixtures: every test runs on SQLite and on a real PostgreSQL.

PostgreSQL is a throwaway cluster started here (or NITIDA_TEST_POSTGRES_URL, a
URL for a role without BYPASSRLS on an empty database). If it cannot be
started the PostgreSQL half of the suite errors: it never skips.

Tests never clean up: each one makes its own tenants, and tenancy keeps them apart.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from nitida.core import security
from nitida.core.db import Database
from nitida.core.migrations import upgrade
from nitida.core.security import TokenClaims, create_access_token
from nitida.core.settings import Settings
from nitida.devtools.throwaway_pg import ThrowawayPostgres
from nitida.main import create_app
from nitida.tenants.schemas import TenantCreate
from nitida.tenants.service import create_tenant
from nitida.users import service as users_service
from nitida.users.models import Role, User
from nitida.users.schemas import UserCreate

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"

security.use_cheap_hashing_for_tests()


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests are not collected for SQLite at all (rather than
    # skipped), so a skip in the report always means something is wrong.
    dropped = [i for i in items if i.get_closest_marker("postgres_only") and "[sqlite" in i.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL: (superuser URL or None, app URL, cluster or None)."""
    external = os.environ.get("NITIDA_TEST_POSTGRES_URL")
    if external:
        yield None, external, None
        return
    cluster = ThrowawayPostgres().start()
    try:
        yield cluster.superuser_url, cluster.app_url, cluster
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
    return Settings(database_url=database_url, secret_key=SECRET, login_max_failures=5)


@pytest.fixture(scope="session")
def database(settings) -> Database:
    db = Database(settings.database_url)
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.co"


@dataclass
class TenantHandle:
    """A tenant made for one test, with one user per role."""

    id: uuid.UUID
    users: dict[Role, User] = field(default_factory=dict)

    def token(self, role: Role = Role.ADMIN, *, lifetime: timedelta = timedelta(minutes=30)) -> str:
        user = self.users[role]
        return create_access_token(
            TokenClaims(user_id=user.id, tenant_id=self.id, token_version=user.token_version),
            SECRET,
            lifetime,
        )

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}


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
                    UserCreate(email=unique_email(role.value.lower()), name=f"Usuario {role.value}",
                               password=PASSWORD, role=role),
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


def assert_problem(response, status: int, *, field: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and names ``field``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.fixture(scope="session")
def live_url(app) -> str:
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


# --- Walking the served API (security and reliability suite) ----------------
#
# The isolation matrix, the role matrix and the race tests discover the API
# from the OpenAPI document the app serves, fill path ids by listing the
# collection above each one, and create data through the API itself, so an
# endpoint added later is covered without editing those tests.

import random as _random
import re as _re
from datetime import date as _date, datetime as _datetime, UTC as _UTC
from functools import lru_cache as _lru_cache

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PARAM = _re.compile(r"\{([^}]+)\}")


@_lru_cache
def served_openapi() -> dict:
    """The OpenAPI document of the app as it is built now (no database is touched)."""
    return create_app(Settings(database_url="sqlite://", secret_key=SECRET)).openapi()


def served_operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) of the served document, in document order."""
    return [
        (method.upper(), path)
        for path, item in served_openapi()["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


def operation_spec(method: str, path: str) -> dict:
    return served_openapi()["paths"][path][method.lower()]


def path_params(path: str) -> list[str]:
    return _PARAM.findall(path)


def random_nit() -> str:
    return str(_random.randint(800_000_000, 999_999_999))


def _items(body) -> list:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("items", "data", "results"):
            if isinstance(body.get(key), list):
                return body[key]
    return []


class ApiWalker:
    """Fills path templates and request bodies for one tenant, through the API."""

    def __init__(self, client, handle: TenantHandle, seed_bodies: dict | None = None) -> None:
        self.client = client
        self.handle = handle
        self.headers = handle.headers(Role.ADMIN)
        self.seed_bodies = seed_bodies or {}
        self._first_ids: dict[str, str | None] = {}

    # ids ---------------------------------------------------------------
    def first_id(self, collection: str) -> str | None:
        """The id of the first item listed by GET ``collection`` (a filled path)."""
        if collection not in self._first_ids:
            response = self.client.get(collection, headers=self.headers)
            items = _items(response.json()) if response.status_code == 200 else []
            ids = [i.get("id") for i in items if isinstance(i, dict) and i.get("id")]
            self._first_ids[collection] = str(ids[0]) if ids else None
        return self._first_ids[collection]

    def fill(self, path: str) -> str | None:
        """``path`` with every {param} replaced by an id of this tenant, or None."""
        filled = path
        for param in path_params(path):
            head = filled.split("{" + param + "}")[0].rstrip("/")
            value = self.first_id(head)
            if value is None:
                return None
            filled = filled.replace("{" + param + "}", value, 1)
        return filled

    def id_for_field(self, name: str) -> str | None:
        """An id for a body field such as ``customerId`` / ``resolution_id``."""
        base = _re.sub(r"(_id|Id|ID)$", "", name)
        if base == name:
            return None
        base = _re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()
        for _m, path in served_operations():
            if _m == "GET" and not path_params(path):
                last = path.rstrip("/").rsplit("/", 1)[-1].replace("-", "_")
                if last in (base + "s", base + "es", base):
                    return self.first_id(path)
        return None

    # bodies ------------------------------------------------------------
    def body_for(self, method: str, path: str):
        """A request body that should pass validation, or None if the operation takes none."""
        override = self.seed_bodies.get((method, path))
        if override is not None:
            return override(self) if callable(override) else override
        spec = operation_spec(method, path)
        content = spec.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return self.synth(content["application/json"].get("schema", {}), "body")

    def _resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = {**served_openapi()["components"]["schemas"][name],
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def synth(self, schema: dict, name: str):
        schema = self._resolve(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [s for s in schema[key] if self._resolve(s).get("type") != "null"]
                return self.synth(options[0], name) if options else None
        if "allOf" in schema:
            return self.synth(schema["allOf"][0], name)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "default" in schema and schema["default"] is not None:
            return schema["default"]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {
                field: self.synth(props[field], field) for field in schema.get("required", []) if field in props
            }
        if kind == "array":
            return [self.synth(schema.get("items", {}), name) for _ in range(max(1, schema.get("minItems", 1)))]
        if kind == "integer":
            return max(1, int(schema.get("minimum", 1)))
        if kind == "number":
            return max(1, schema.get("minimum", 1))
        if kind == "boolean":
            return False
        ref_id = self.id_for_field(name)
        if ref_id is not None:
            return ref_id
        fmt = schema.get("format")
        if fmt == "email":
            return unique_email("seed")
        if fmt == "date":
            return _date.today().isoformat()
        if fmt == "date-time":
            return _datetime.now(_UTC).isoformat()
        if fmt == "uuid":
            return str(uuid.uuid4())
        if "pattern" in schema:
            for candidate in ("1", "1.00", "100", "ABC", "A1"):
                if _re.search(schema["pattern"], candidate):
                    return candidate
        if name.lower() in ("nit", "numero", "number"):
            return random_nit()
        text = f"Semilla {name} {uuid.uuid4().hex[:6]}"
        return text[: schema.get("maxLength", len(text))].ljust(schema.get("minLength", 1), "x")

    # seeding -----------------------------------------------------------
    def seed(self, customers: int = 2) -> None:
        """Create data through the API: customers, then one item of every other
        top-level collection that accepts POST (invoices, resolutions, ...)."""
        for i in range(customers):
            response = self.client.post(
                "/billing/customers",
                headers=self.headers,
                json={"razonSocial": f"Cliente Semilla {i} {uuid.uuid4().hex[:6]}", "nit": random_nit(),
                      "telefono": "+57 601 1234567", "direccion": "Calle 45 # 12-30"},
            )
            assert response.status_code == 201, response.text
        pending = [
            path for method, path in served_operations()
            if method == "POST" and not path_params(path)
            and path not in ("/auth/login", "/users", "/billing/customers")
        ]
        self.seed_failures: dict[str, str] = {}
        for _round in range(3):  # a body may need an id of a collection seeded later
            for path in list(pending):
                self._first_ids.clear()
                response = self.client.post(path, headers=self.headers, json=self.body_for("POST", path))
                if response.status_code in (200, 201):
                    pending.remove(path)
                    self.seed_failures.pop(path, None)
                else:
                    self.seed_failures[path] = f"{response.status_code} {response.text[:300]}"
        self._first_ids.clear()


def dump_tenant_rows(database: Database, tenant_id: uuid.UUID) -> dict[str, list]:
    """Every row of every tenant-owned table for ``tenant_id`` (and its tenants row)."""
    from sqlalchemy import text as _text

    from nitida.core.models import metadata

    dump: dict[str, list] = {}
    with database.tenant_session(tenant_id, write=False) as session:
        for table in metadata.sorted_tables:
            if "tenant_id" in table.c:
                column = "tenant_id"
            elif table.name == "tenants":
                column = "id"
            else:
                continue
            rows = session.execute(
                _text(f"SELECT * FROM {table.name} WHERE {column} = :t"),
                {"t": tenant_id if database.dialect == "postgresql" else tenant_id.hex},
            ).all()
            dump[table.name] = sorted((tuple(str(v) for v in row) for row in rows))
    return dump


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(url: str, port: int, tmp: Path, *, workers: int = 1) -> subprocess.Popen:
    """The real service in its own process(es), as production runs it."""
    env = {**os.environ, "NITIDA_DATABASE_URL": url, "NITIDA_SECRET_KEY": SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "nitida.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=open(tmp / f"service-{port}.log", "ab"),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((tmp / f"service-{port}.log").read_text()[-2000:])
        time.sleep(0.1)
