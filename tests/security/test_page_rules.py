"""The back office refuses as the API does: a page's POST whose handler never checked
its access rule (``ctx.require``) does not commit (web.deps, ``RuleNotChecked``, the
refusal of auth.context.TenantContext), and ``require``/``can`` read the same
``Rule`` as the API's guards."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select

from fixtures.web import csrf_of, signed_in
from nitida.core.access import WRITERS, AccessRules
from nitida.main import create_app
from nitida.users.models import Role, User
from nitida.web.deps import POSTS_WITHOUT_RULE, Web

PROBE = AccessRules("probe", write=WRITERS)


@pytest.fixture
def probe_app(settings, database):
    router = APIRouter()

    def rename(ctx, name: str) -> PlainTextResponse:
        user = ctx.session.scalars(select(User).where(User.id == ctx.principal.user_id)).one()
        user.name = name
        ctx.session.flush()
        return PlainTextResponse("ok")

    @router.post("/app/prueba/olvida")
    def forgets_its_check(ctx: Web) -> PlainTextResponse:
        return rename(ctx, "Olvidó revisar")

    @router.post("/app/prueba/revisa")
    def checks(ctx: Web) -> PlainTextResponse:
        ctx.require(PROBE, "write")
        return rename(ctx, "Revisó")

    app = create_app(settings, database)
    app.include_router(router)
    return app


def _name(database, tenant, role) -> str:
    with database.tenant_session(tenant.id, write=False) as s:
        return s.scalars(select(User.name).where(User.id == tenant.users[role].id)).one()


def test_a_page_post_that_forgets_its_check_cannot_write(probe_app, database, tenant):
    before = _name(database, tenant, Role.ADMIN)
    client = signed_in(probe_app, tenant.users[Role.ADMIN].email)
    token = csrf_of(client.get("/app").text)
    forgot = client.post("/app/prueba/olvida", data={"csrf_token": token})
    assert forgot.status_code == 500, forgot.text
    assert _name(database, tenant, Role.ADMIN) == before  # rolled back
    checked = client.post("/app/prueba/revisa", data={"csrf_token": token})
    assert checked.status_code == 200, checked.text
    assert _name(database, tenant, Role.ADMIN) == "Revisó"


def test_a_page_refuses_a_role_with_the_api_guards_rule(probe_app, database, tenant):
    before = _name(database, tenant, Role.CONSULTA)
    client = signed_in(probe_app, tenant.users[Role.CONSULTA].email)
    token = csrf_of(client.get("/app").text)
    refused = client.post("/app/prueba/revisa", data={"csrf_token": token})
    assert refused.status_code == 403 and "No tienes permiso" in refused.text
    assert _name(database, tenant, Role.CONSULTA) == before


def test_the_posts_without_a_rule_are_served_posts(app):
    """The exemptions name real routes (a renamed page must not leave a stale one)."""
    posts = {
        context.original_route.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and "POST" in context.original_route.methods
    }
    assert set(POSTS_WITHOUT_RULE) <= posts


def test_can_and_require_read_the_guards_rule():
    """A page's ``can``/``require`` answer exactly as the API's ``guard(rule)`` would."""
    import uuid

    from starlette.datastructures import FormData

    from nitida.core.errors import Forbidden
    from nitida.core.principal import Principal
    from nitida.customers.access import CUSTOMERS
    from nitida.web.deps import WebContext

    for action in ("read", "write", "delete"):
        rule = CUSTOMERS[action]
        for role in Role:
            principal = Principal(user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), email="a@b.co", name="A", role=role)
            ctx = WebContext(
                session=None,
                principal=principal,
                csrf_token="",
                session_id=uuid.uuid4(),
                form=FormData(),
            )
            assert ctx.can(CUSTOMERS, action) is rule.allows(role)
            if rule.allows(role):
                ctx.require(CUSTOMERS, action)
                assert ctx.authorized
            else:
                with pytest.raises(Forbidden) as refused:
                    ctx.require(CUSTOMERS, action)
                with pytest.raises(Forbidden) as by_rule:
                    rule.check(role)
                assert str(refused.value) == str(by_rule.value) and not ctx.authorized
