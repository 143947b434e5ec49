"""The signed-in user of a page request, its unit of work, and CSRF.

A page gets ``Web`` (a ``WebContext``): the user as stored now (role changes
apply at once), one tenant unit of work that commits when the handler returns
(as the API's context does), and — for every POST — a CSRF check of the
session's token, sent as the ``csrf_token`` form field or, by htmx, as the
``X-CSRF-Token`` header (hx-headers on <body>).

Access: the same ``AccessRules`` as the API's guards (``nitida.<domain>.access``),
read through the same ``Rule``: ``ctx.can(CUSTOMERS, "write")`` is
``CUSTOMERS["write"].allows(role)`` and ``ctx.require(CUSTOMERS, "write")`` is
``CUSTOMERS["write"].check(role)``, the 403 of ``guard(CUSTOMERS["write"])``. A POST
whose handler returns without having called ``ctx.require`` does not commit: it
rolls back with ``RuleNotChecked``, as a guarded API endpoint that never checked its
rule does (``TenantContext.check_authorized``). The few POSTs that need no domain
rule are named in ``POSTS_WITHOUT_RULE``, each with its reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from nitida.core import replica
from nitida.core.access import AccessRules, Rule, RuleNotChecked
from nitida.core.db import Database, TenantSession
from nitida.core.errors import Forbidden
from nitida.core.http import READ_ONLY_METHODS
from nitida.core.principal import Principal, Role
from nitida.web import sessions

LOGIN_PATH = "/app/ingresar"

# The page POSTs (route paths) that check no domain rule, and why; every other POST
# rolls back unless its handler called ``ctx.require``.
POSTS_WITHOUT_RULE = {
    "/app/salir": "signs the caller out: it ends the caller's own session, whatever the role",
}


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Forbidden):
    slug = "csrf"

    def __init__(self) -> None:
        super().__init__("The form's CSRF token is missing or wrong.", slug="csrf")


@dataclass(slots=True)
class WebContext:
    session: TenantSession
    principal: Principal
    csrf_token: str
    session_id: uuid.UUID
    form: FormData
    # Where list pages read (core.replica); None: no replica configured.
    reads: replica.ReadRouting | None = None
    # Set by ``require`` once a rule has passed: a POST commits only then.
    authorized: bool = False

    def listing(self) -> AbstractContextManager[TenantSession]:
        """The session for a list page: the read replica when it may serve (never after the
        user's own write), else the page's own session."""
        return nullcontext(self.session) if self.reads is None else self.reads.session()

    @property
    def role(self) -> Role:
        return self.principal.role

    def can(self, rules: AccessRules, action: str) -> bool:
        """Whether the role may (to show or hide a button): the API guard's ``Rule.allows``."""
        return rules[action].allows(self.principal.role)

    def require(self, rules: AccessRules, action: str) -> None:
        """403 page unless the role may (``Rule.check``, the API guard's refusal); pages
        call it after loading the item (other tenants' ids stay 404). A POST that never
        calls it does not commit."""
        rule: Rule = rules[action]
        rule.check(self.principal.role)
        self.authorized = True

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name, default)
        return value if isinstance(value, str) else default


async def posted_form(request: Request) -> FormData:
    if request.method in READ_ONLY_METHODS:
        return FormData()
    return await request.form()


def same_origin(request: Request) -> bool:
    """A cross-site POST is refused even with a token (defence in depth beside SameSite=Lax)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("Host", "")


def next_path_of(request: Request) -> str:
    path = request.url.path
    if request.url.query and request.method in READ_ONLY_METHODS:
        path += "?" + request.url.query
    return path


def get_web_context(request: Request, form: Annotated[FormData, Depends(posted_form)]) -> Iterator[WebContext]:
    parsed = sessions.parse_cookie(request.cookies.get(sessions.COOKIE))
    if parsed is None:
        raise LoginRequired(next_path_of(request))
    tenant_id, token = parsed
    db: Database = request.app.state.db
    with db.unit_of_work(tenant_id, write=request.method not in READ_ONLY_METHODS) as session:
        signed_in = sessions.current(session, token)
        if signed_in is None:
            raise LoginRequired(next_path_of(request))
        if request.method not in READ_ONLY_METHODS:
            given = request.headers.get("X-CSRF-Token") or form.get("csrf_token")
            if not isinstance(given, str) or not sessions.csrf_matches(signed_in.csrf_token, given):
                raise CsrfRefused()
            if not same_origin(request):
                raise CsrfRefused()
        reads = None
        if db.replica_engine is not None:
            reads = replica.ReadRouting.of(db, tenant_id, session, request.method, request.headers, request.cookies)
        ctx = WebContext(
            session=session,
            principal=signed_in.principal,
            csrf_token=signed_in.csrf_token,
            session_id=signed_in.session_id,
            form=form,
            reads=reads,
        )
        yield ctx
        if not ctx.authorized and request.method not in READ_ONLY_METHODS and not _needs_no_rule(request):
            # Inside the unit of work: raising here rolls it back (the API's guards refuse alike).
            raise RuleNotChecked(f"the page {request.method} {request.url.path} did not check its access rule")
    if reads is not None:
        replica.note_commit(request.scope, db, session, request.method)


def _needs_no_rule(request: Request) -> bool:
    route = request.scope.get("route")
    return getattr(route, "path", None) in POSTS_WITHOUT_RULE


Web = Annotated[WebContext, Depends(get_web_context, scope="function")]


def login_url(next_path: str) -> str:
    if not next_path.startswith("/app") or next_path.startswith(LOGIN_PATH):
        return LOGIN_PATH
    return f"{LOGIN_PATH}?siguiente={quote(next_path, safe='/')}"
