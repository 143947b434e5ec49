"""Fuzzing from the OpenAPI document with schemathesis.

Every served operation, authenticated as an ADMIN of a tenant with data,
gets schema-valid and schema-violating requests (bounded, deterministic).
Every answer must: not be a 5xx, have a documented status code, a documented
content type, and a body conforming to the documented schema (errors included).
One test per operation, so `pytest -n 2` spreads them.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fixtures.api_walker import ApiWalker, path_params, served_operations
from fixtures.role_matrix import SEED_BODIES
from nitida.users.models import Role

pytestmark = pytest.mark.slow

OPERATIONS = served_operations()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 15


@pytest.fixture(scope="session")
def fuzz_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def walker(client, tenant):
    walker = ApiWalker(client, tenant, SEED_BODIES)
    walker.seed(customers=3)
    return walker


def _real_ids(walker: ApiWalker, path: str) -> dict[str, str]:
    """Path parameters naming existing rows of the caller's tenant."""
    filled = walker.fill(path)
    assert filled is not None, f"no ids for {path}"
    names = path_params(path)
    template_parts, filled_parts = path.split("/"), filled.split("/")
    return {part[1:-1]: value for part, value in zip(template_parts, filled_parts) if part[1:-1] in names}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzz_operation(method, path, mode, fuzz_schema, walker):
    """Positive cases aim at existing rows (real ids); negative ones also mangle the ids."""
    operation = fuzz_schema[path][method]
    headers = {} if path == "/auth/login" else walker.handle.headers(Role.ADMIN)
    fixed = _real_ids(walker, path) if mode is GenerationMode.POSITIVE and path_params(path) else None

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: CI time is bounded
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
