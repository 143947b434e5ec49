"""Bad input gets a clear 4xx problem, stores nothing and is answered fast."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from fixtures.common import assert_problem, random_nit
from nitida.audit.models import AuditEvent
from nitida.customers.models import Customer
from nitida.users.models import Role

FAST = 2.0  # seconds; every bad request here is refused long before that


def _counts(database, tenant_id):
    with database.tenant_session(tenant_id, write=False) as s:
        return (
            s.scalar(select(func.count()).select_from(Customer)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


@pytest.fixture
def post(client, tenant, database):
    """POST raw bytes to /billing/customers; checks speed, problem shape, nothing stored."""
    headers = {**tenant.headers(Role.ADMIN), "Content-Type": "application/json"}

    def send(content, status, *, path="/billing/customers", extra_headers=None):
        before = _counts(database, tenant.id)
        started = time.monotonic()
        response = client.post(path, content=content, headers={**headers, **(extra_headers or {})})
        elapsed = time.monotonic() - started
        body = assert_problem(response, status)
        assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
        assert elapsed < FAST, elapsed
        assert _counts(database, tenant.id) == before
        return body

    return send


def test_body_over_1_mb_is_413(post):
    big = b'{"razonSocial": "' + b"a" * (1024 * 1024) + b'", "nit": "900123456"}'
    post(big, 413)


def test_chunked_body_over_1_mb_is_413(post):
    def chunks():
        yield b'{"razonSocial": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'", "nit": "900123456"}'

    post(chunks(), 413)


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"not json",
        b'{"razonSocial": "x",}',
        b"",
        b"[]",
        b"null",
        b'"string"',
        b"123",
        b'{"razonSocial": "x", "nit": NaN}',
    ],
    ids=["truncated", "text", "trailing-comma", "empty", "array", "null", "string", "number", "nan"],
)
def test_invalid_json_is_400(post, content):
    post(content, 400)


def test_invalid_utf8_is_400(post):
    post(b'{"razonSocial": "\xff\xfe caf\xe9", "nit": "900123456"}', 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"razonSocial": 123, "nit": "900123456"}',
        '{"razonSocial": ["x"], "nit": "900123456"}',
        '{"razonSocial": {"a": 1}, "nit": "900123456"}',
        '{"razonSocial": "Cliente", "nit": 900123456.5}',
        '{"razonSocial": "Cliente", "nit": true}',
        '{"razonSocial": "Cliente", "nit": "900123456", "status": "BORRADO"}',
        '{"razonSocial": "Cliente", "nit": "900123456", "tenantId": "00000000-0000-0000-0000-000000000000"}',
        '{"razonSocial": "Cliente", "nit": "900123456", "tipoDocumento": 31}',
    ],
)
def test_wrong_types_and_unknown_fields_are_400(post, body):
    post(body.encode(), 400)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400(post, depth):
    post(b'{"razonSocial": ' + b"[" * depth + b"]" * depth + b', "nit": "900123456"}', 400)
    post(b'{"razonSocial": "x", "nit": "900123456", "email": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}", 400)


@pytest.mark.parametrize("value", ["Cliente\x00Nulo", "Cliente\x07", "Cliente\x1b[31mrojo", "\x00", "Cliente\x7f"])
def test_control_characters_are_400(post, value):
    import json

    body = post(json.dumps({"razonSocial": value, "nit": random_nit()}).encode(), 400)
    assert body["errors"][0]["field"] == "razonSocial"


def test_control_characters_in_other_fields_and_endpoints_are_400(client, tenant, database):
    headers = tenant.headers(Role.ADMIN)
    created = client.post("/billing/customers", headers=headers, json={"razonSocial": "Limpio", "nit": random_nit()})
    assert created.status_code == 201
    cid = created.json()["id"]
    before = _counts(database, tenant.id)
    for path, method, body in [
        (f"/billing/customers/{cid}", "PATCH", {"direccion": "Calle\x00 45"}),
        (f"/billing/customers/{cid}", "PATCH", {"telefono": "300\x00"}),
        ("/billing/customers", "POST", {"razonSocial": "A", "nit": "900\x00123"}),
        ("/users", "POST", {"email": "x@example.co", "name": "Nul\x00", "password": "12345678910", "role": "CONSULTA"}),
        ("/auth/login", "POST", {"email": "nadie\x00@example.co", "password": "x\x00"}),
    ]:
        response = client.request(method, path, headers=headers, json=body)
        assert 400 <= response.status_code < 500 and response.status_code not in (401, 403, 404), (path, response.text)
        assert_problem(response, response.status_code)
    assert _counts(database, tenant.id) == before
    assert client.get(f"/billing/customers/{cid}", headers=headers).json()["direccion"] is None


def test_ordinary_whitespace_in_text_is_kept(client, tenant):
    """Tabs and newlines are not control-character faults in an address."""
    response = client.post(
        "/billing/customers",
        headers=tenant.headers(Role.ADMIN),
        json={"razonSocial": "Cliente Normal", "nit": random_nit(), "direccion": "Calle 45\nBogotá"},
    )
    assert response.status_code == 201, response.text


def test_10000_character_search_is_400_and_fast(client, tenant):
    started = time.monotonic()
    response = client.get("/billing/customers", params={"search": "a" * 10_000}, headers=tenant.headers(Role.CONSULTA))
    assert time.monotonic() - started < FAST
    assert_problem(response, 400, field="search")


@pytest.mark.parametrize(
    "term",
    [
        "' OR '1'='1",
        "'; DROP TABLE customers; --",
        '" OR ""="',
        "%",
        "_",
        "\\",
        "%%%_\\'",
        "1; SELECT pg_sleep(5)",
        "') UNION SELECT id, tenant_id FROM users --",
    ],
)
def test_sql_metacharacters_in_search_match_literally(client, tenant, term):
    headers = tenant.headers(Role.CONSULTA)
    started = time.monotonic()
    response = client.get("/billing/customers", params={"search": term}, headers=headers)
    assert time.monotonic() - started < FAST
    assert response.status_code == 200, response.text
    assert response.json() == []  # nothing in the tenant matches these literally
    assert client.get("/billing/customers", headers=headers).status_code == 200  # the table is still there


@pytest.mark.parametrize("raw_id", ["' OR 1=1 --", "1;DROP TABLE users", "%27", "..%2F..%2Fetc%2Fpasswd", "a" * 5000])
def test_sql_metacharacters_in_ids_are_404(client, tenant, raw_id):
    response = client.get(f"/billing/customers/{raw_id}", headers=tenant.headers(Role.ADMIN))
    assert_problem(response, 404)


def test_sql_metacharacters_in_a_nit_are_400_and_in_a_name_are_stored_verbatim(client, tenant, database):
    headers = tenant.headers(Role.ADMIN)
    before = _counts(database, tenant.id)
    bad = client.post("/billing/customers", headers=headers, json={"razonSocial": "X", "nit": "900' OR '1'='1"})
    assert_problem(bad, 400, field="nit")
    assert _counts(database, tenant.id) == before
    name = "O'Brien & Cía; DROP TABLE customers; --"
    ok = client.post("/billing/customers", headers=headers, json={"razonSocial": name, "nit": random_nit()})
    assert ok.status_code == 201 and ok.json()["razonSocial"] == name


def _string_query_params():
    from fixtures.api_walker import operation_spec, served_operations

    found = []
    for method, path in served_operations():
        if method != "GET":
            continue
        for param in operation_spec(method, path).get("parameters", []):
            schema = param.get("schema", {})
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if param["in"] == "query" and "string" in types and not schema.get("enum") and "format" not in schema:
                found.append((path, param["name"]))
    return found


@pytest.mark.parametrize(("path", "name"), _string_query_params())
@pytest.mark.parametrize("value", ["\x00", "abc\x00def", "\x1b[2J", "a" * 10_000, "' OR 1=1 --"])
def test_bad_text_in_any_query_parameter_is_a_clear_4xx(client, tenant, path, name, value):
    """Every string query parameter of every listed collection (read from the OpenAPI document)."""
    from fixtures.api_walker import ApiWalker
    from fixtures.role_matrix import SEED_BODIES

    target = ApiWalker(client, tenant, SEED_BODIES).fill(path) or path
    started = time.monotonic()
    response = client.get(target, params={name: value}, headers=tenant.headers(Role.ADMIN))
    assert time.monotonic() - started < FAST
    if value.startswith("'"):
        assert response.status_code in (200, 400), response.text
    else:
        assert_problem(response, 400, field=name)
