"""The API's routes (auth.dependencies.UnitOfWorkRoute) check a collection endpoint's
access rule before its handler runs, whether the handler is sync (checked in its
one worker thread) or async (checked by the guard in a hop of its own). A read whose
rule cannot refuse before its handler checks its caller on its first statement, or
before it answers if it runs none."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, guard
from nitida.core.access import AccessRules
from nitida.customers.access import CUSTOMERS
from nitida.main import create_app
from nitida.users.models import Role

Writer = Annotated[TenantContext, guard(CUSTOMERS["write"])]
Reader = Annotated[TenantContext, guard(CUSTOMERS["read"])]
AdminReader = Annotated[TenantContext, guard(AccessRules("probe", read={Role.ADMIN})["read"])]


@pytest.fixture
def probe(settings, database):
    ran: list[str] = []
    router = APIRouter(prefix="/probe", route_class=UnitOfWorkRoute)

    @router.post("/sync")
    def sync_write(ctx: Writer) -> dict:
        ran.append(f"sync {ctx.principal.role.value}")
        return {"ok": True}

    @router.post("/async")
    async def async_write(ctx: Writer) -> dict:
        ran.append(f"async {ctx.authorized}")
        return {"ok": True}

    @router.get("/nothing")
    def reads_nothing(ctx: Reader) -> dict:
        ran.append("read nothing")
        return {"ok": True}

    @router.get("/admin")
    def admin_read(ctx: AdminReader) -> dict:
        ran.append("admin read")
        return {"ok": True}

    app = create_app(settings, database)
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, ran


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_role_without_the_rule_is_refused_before_the_handler_runs(probe, tenant, kind):
    client, ran = probe
    r = client.post(f"/probe/{kind}", headers=tenant.headers(Role.CONSULTA))
    assert r.status_code == 403, r.text
    assert ran == []
    r = client.post(f"/probe/{kind}", headers=tenant.headers(Role.OPERADOR))
    assert r.status_code == 200, r.text
    # The handler ran once, with the rule already checked.
    assert ran == (["sync OPERADOR"] if kind == "sync" else ["async True"])


def test_a_read_that_runs_no_statement_still_checks_its_caller(probe, tenant):
    client, ran = probe
    assert client.get("/probe/nothing", headers=tenant.headers(Role.CONSULTA)).status_code == 200
    consulta = tenant.users[Role.CONSULTA]
    r = client.patch(f"/users/{consulta.id}", json={"status": "INACTIVE"}, headers=tenant.headers())
    assert r.status_code == 200, r.text
    r = client.get("/probe/nothing", headers=tenant.headers(Role.CONSULTA))
    assert r.status_code == 401, r.text
    assert ran == ["read nothing", "read nothing"]  # it ran, but its answer was refused


def test_a_read_whose_rule_can_refuse_is_refused_before_the_handler_runs(probe, tenant):
    client, ran = probe
    r = client.get("/probe/admin", headers=tenant.headers(Role.CONSULTA))
    assert r.status_code == 403, r.text
    assert ran == []
    assert client.get("/probe/admin", headers=tenant.headers(Role.ADMIN)).status_code == 200
    assert ran == ["admin read"]


def test_an_endpoint_with_two_rules_is_refused_when_declared():
    router = APIRouter(route_class=UnitOfWorkRoute)
    with pytest.raises(RuntimeError, match="two access rules"):

        @router.get("/two")
        def two_rules(reader: Reader, admin: AdminReader) -> dict:
            return {}

    @router.get("/same-twice")  # one guard named twice is one context
    def same_guard_twice(reader: Reader, again: Reader) -> dict:
        return {}
