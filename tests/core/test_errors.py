"""One error shape everywhere: RFC 9457 problem details, 400 for every bad input."""

from __future__ import annotations

import logging

from fixtures.common import assert_problem
from nitida.users.models import Role


def test_validation_errors_are_400_problems_naming_each_field(client, tenant):
    r = client.post("/billing/customers", json={"razonSocial": 5, "colour": "red"}, headers=tenant.headers())
    body = assert_problem(r, 400)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"razonSocial", "nit", "colour"}
    assert fields["colour"] == "Unknown field."
    assert fields["nit"] == "This field is required."


def test_invalid_json_is_400(client, tenant):
    r = client.post(
        "/billing/customers",
        content=b'{"razonSocial": ',
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert_problem(r, 400)


def test_query_parameter_errors_name_the_parameter(client, tenant):
    assert_problem(client.get("/billing/customers?limit=0", headers=tenant.headers()), 400, field="limit")
    assert_problem(client.get("/billing/customers?status=BORRADO", headers=tenant.headers()), 400, field="status")


def test_401_403_404_405_have_the_problem_shape(client, tenant):
    assert_problem(client.get("/billing/customers"), 401)
    assert_problem(
        client.delete("/billing/customers/00000000-0000-0000-0000-000000000000", headers=tenant.headers(Role.CONSULTA)),
        404,
    )
    assert_problem(
        client.post(
            "/billing/customers", json={"razonSocial": "A", "nit": "900123456"}, headers=tenant.headers(Role.CONSULTA)
        ),
        403,
    )
    assert_problem(client.get("/no/such/path", headers=tenant.headers()), 404)
    assert_problem(client.put("/billing/customers", headers=tenant.headers()), 405)


def test_body_over_one_megabyte_is_413_and_creates_nothing(client, tenant):
    h = tenant.headers()
    big = {"razonSocial": "A" * 400, "nit": "900123456", "direccion": "x" * (1024 * 1024)}
    assert_problem(client.post("/billing/customers", json=big, headers=h), 413)

    # A body that lies about its length (chunked, no Content-Length) is cut off too.
    def chunks():
        yield b'{"razonSocial": "A", "nit": "900123456", "direccion": "'
        for _ in range(1100):
            yield b"x" * 1024
        yield b'"}'

    r = client.post("/billing/customers", content=chunks(), headers={**h, "Content-Type": "application/json"})
    assert_problem(r, 413)
    assert client.get("/billing/customers", headers=h).json() == []


def test_unexpected_error_is_a_500_with_a_request_id_that_is_logged(app, client, tenant, caplog, monkeypatch):
    from nitida.customers import search

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals: SELECT * FROM customers")

    monkeypatch.setattr(search, "count_customers", explode)
    with caplog.at_level(logging.ERROR, logger="nitida"):
        r = client.get("/billing/customers", headers=tenant.headers())
    body = assert_problem(r, 500)
    assert "SELECT" not in r.text and "secret" not in r.text and "Traceback" not in r.text
    assert body["requestId"] == r.headers["x-request-id"]
    assert any(body["requestId"] in rec.getMessage() for rec in caplog.records)


def test_openapi_document_is_served(client):
    doc = client.get("/openapi.json").json()
    assert "/billing/customers" in doc["paths"]
    assert "Problem" in doc["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_openapi_documents_400_problems_not_422(client):
    doc = client.get("/openapi.json").json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            if operation.get("requestBody") or operation.get("parameters"):
                assert "400" in responses or all(p["in"] == "path" for p in operation.get("parameters", [])), (
                    method,
                    path,
                )
