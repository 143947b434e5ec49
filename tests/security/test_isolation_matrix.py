"""Tenant isolation, driven by the served OpenAPI document.

Tenant A's callers (every role) aim every operation of the API at tenant B's
ids. Every item operation answers 404 — never 200, 403 or 409, which would
reveal that B's row exists — collections never list B's rows, and a full dump
of B's rows is identical before and after. Paths and bodies come from the
OpenAPI document, so an endpoint added later is covered without editing this file.
"""

from __future__ import annotations

import pytest

from fixtures.api_walker import ApiWalker, _items, dump_tenant_rows, path_params, served_operations
from fixtures.role_matrix import SEED_BODIES, allowed_roles
from nitida.users.models import Role

OPERATIONS = served_operations()
ITEM_OPERATIONS = [op for op in OPERATIONS if path_params(op[1])]
COLLECTION_OPERATIONS = [op for op in OPERATIONS if not path_params(op[1])]


@pytest.fixture
def two_tenants(client, make_tenant):
    a, b = make_tenant("Tenant A S.A.S."), make_tenant("Tenant B S.A.S.")
    walkers = []
    for handle in (a, b):
        walker = ApiWalker(client, handle, SEED_BODIES)
        walker.seed()
        walkers.append(walker)
    return walkers


def _b_ids(walker_b: ApiWalker) -> set[str]:
    """Ids of B's users and of every item B's ADMIN can list (customers, invoices, ...)."""
    ids = {str(u.id) for u in walker_b.handle.users.values()}
    for method, path in OPERATIONS:
        filled = walker_b.fill(path) if method == "GET" else None
        if filled:
            response = walker_b.client.get(filled, headers=walker_b.headers)
            # JSON bodies only: the signed documents (/xml) are application/xml.
            if response.status_code == 200 and response.headers["content-type"].startswith("application/json"):
                ids.update(str(i["id"]) for i in _items(response.json()) if isinstance(i, dict) and "id" in i)
    return ids


def test_every_item_operation_answers_404_for_another_tenants_ids(two_tenants, client, database):
    walker_a, walker_b = two_tenants
    before = dump_tenant_rows(database, walker_b.handle.id)
    failures = []
    # CONSULTA first: an item of B must be 404 even where the role would be 403.
    for role in (Role.CONSULTA, Role.OPERADOR, Role.ADMIN):
        headers = walker_a.handle.headers(role)
        for method, path in ITEM_OPERATIONS:
            target = walker_b.fill(path)
            assert target is not None, (
                f"could not find tenant B ids for {path}: seeding failed {walker_b.seed_failures}; "
                "add a body to SEED_BODIES in tests/role_matrix.py"
            )
            body = walker_a.body_for(method, path)
            response = client.request(method, target, headers=headers, json=body)
            if response.status_code != 404:
                failures.append(f"{role} {method} {path} -> {response.status_code} {response.text[:200]}")
            elif not response.headers["content-type"].startswith("application/problem+json"):
                failures.append(f"{role} {method} {path} -> 404 without a problem body")
    assert not failures, "\n".join(failures)
    assert dump_tenant_rows(database, walker_b.handle.id) == before


def test_collections_never_show_or_touch_another_tenants_rows(two_tenants, client, database):
    walker_a, walker_b = two_tenants
    b_ids = _b_ids(walker_b)
    assert len(b_ids) >= 5  # users and customers at least
    before = dump_tenant_rows(database, walker_b.handle.id)
    failures = []
    for role in (Role.CONSULTA, Role.OPERADOR, Role.ADMIN):
        headers = walker_a.handle.headers(role)
        for method, path in COLLECTION_OPERATIONS:
            if path == "/auth/login":
                continue
            if method == "GET":
                response = client.get(path, headers=headers)
                leaked = [i for i in b_ids if i in response.text]
                if leaked or str(walker_b.handle.id) in response.text:
                    failures.append(f"{role} GET {path} shows tenant B's rows: {leaked}")
                continue
            # Writes whose body references B's rows (e.g. an invoice for B's customer),
            # by the roles allowed to write there (the role matrix covers the others).
            roles = allowed_roles(method, path)
            if roles is not None and role not in roles:
                continue
            body = walker_a.body_for(method, path)
            walker_b_body = walker_b.body_for(method, path)
            if (
                not isinstance(body, dict)
                or body == walker_b_body
                or not any(str(v) in b_ids for v in walker_b_body.values())
            ):
                continue
            response = client.request(method, path, headers=headers, json=walker_b_body)
            if response.status_code < 400 or response.status_code in (403, 409):
                failures.append(f"{role} {method} {path} with B's ids -> {response.status_code}")
    assert not failures, "\n".join(failures)
    assert dump_tenant_rows(database, walker_b.handle.id) == before


def test_tokens_of_another_tenant_cannot_be_replayed_with_a_forged_tenant(client, make_tenant):
    """A token names its tenant; a user id of A with B's tenant id finds no user."""
    from datetime import timedelta

    from fixtures.common import SECRET
    from nitida.core.security import TokenClaims, create_access_token

    a, b = make_tenant(), make_tenant()
    admin_a = a.users[Role.ADMIN]
    forged = create_access_token(
        TokenClaims(user_id=admin_a.id, tenant_id=b.id, token_version=admin_a.token_version),
        SECRET,
        timedelta(minutes=5),
    )
    response = client.get("/billing/customers", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
