"""Who is calling: the bearer token, checked against the user as stored now,
and the request's unit of work.

Each authenticated request gets one tenant session (``Database.unit_of_work``):
it commits once, after the endpoint has returned and its response is built,
and rolls back if anything raised. Handlers never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from nitida.auth.access import Rule
from nitida.auth.principal import Principal, Role
from nitida.core.client import ClientInfo
from nitida.core.db import Database, TenantSession
from nitida.core.errors import Forbidden, Unauthorized
from nitida.core.security import decode_access_token
from nitida.users.models import User, UserStatus

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What every request reads of its caller, as Core (no ORM layer: it is on every request).
_USERS = User.__table__
_USER_COLUMNS = tuple(
    _USERS.c[name] for name in ("id", "tenant_id", "email", "name", "role", "status", "token_version")
)


@dataclass(slots=True)
class TenantContext:
    """A request's caller, its tenant-scoped session, and the rule guarding the endpoint."""

    session: TenantSession
    principal: Principal
    # Short read-only sessions of the caller's tenant, for responses streamed
    # after the request's own session has committed and closed.
    reader: Callable[[], AbstractContextManager[TenantSession]]
    rule: Rule | None = None
    authorized: bool = field(default=False)

    @property
    def tenant_id(self):
        return self.principal.tenant_id

    def authorize(self) -> None:
        """403 unless the caller's role may do what the endpoint's rule names.

        Item endpoints call this after finding the item, so another tenant's
        ids stay 404 whatever the caller's role.
        """
        if self.rule is None:
            raise RuntimeError("endpoint has no access rule")
        if not self.rule.allows(self.principal.role):
            allowed = ", ".join(sorted(r.value for r in self.rule.roles))
            raise Forbidden(f"This action needs the role {allowed}; you are {self.principal.role.value}.")
        self.authorized = True


def get_database(request: Request) -> Database:
    return request.app.state.db


def client_info(request: Request) -> ClientInfo:
    """The caller's address (through trusted proxies only) and user agent."""
    peer = request.client.host if request.client else None
    return request.app.state.clients.resolve(peer, request.scope.get("headers", []))


def get_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Iterator[TenantContext]:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token.")
    claims = decode_access_token(credentials.credentials, request.app.state.settings.secret_key)
    if claims is None:
        raise Unauthorized("Invalid or expired token.")
    db: Database = request.app.state.db
    with db.unit_of_work(claims.tenant_id, write=request.method not in READ_METHODS) as session:
        # Read the user as it is now: a deactivation, a role change or a new
        # password takes effect on the very next request.
        user = session.read_rows(select(*_USER_COLUMNS).where(_USERS.c.id == claims.user_id), _USERS).first()
        if user is None or user.status is not UserStatus.ACTIVE or user.token_version != claims.token_version:
            raise Unauthorized("Invalid or expired token.")
        ctx = TenantContext(
            session=session,
            principal=Principal(
                user_id=user.id, tenant_id=user.tenant_id, email=user.email, name=user.name, role=user.role
            ),
            reader=lambda: db.tenant_session(claims.tenant_id, write=False),
        )
        yield ctx
        if ctx.rule is not None and not ctx.authorized:
            # A guarded item endpoint that never checked its rule: refuse to commit.
            raise RuntimeError(f"{request.method} {request.url.path} did not check its access rule")


# scope="function": the exit code (commit) runs when the endpoint returns,
# before the response is sent, so a failed commit is the response.
Context = Annotated[TenantContext, Depends(get_context, scope="function")]


class Guard:
    """The dependency that attaches a domain's rule to the request's context.

    ``deferred=False`` checks at once (collection endpoints); ``deferred=True``
    leaves the check to the handler, after it has found the item (404 first).
    """

    def __init__(self, rule: Rule, *, deferred: bool) -> None:
        self.rule = rule
        self.deferred = deferred

    # async: no I/O here, so FastAPI calls it on the event loop instead of
    # spending a thread-pool hop on it.
    async def __call__(self, ctx: Context) -> TenantContext:
        if ctx.rule is not None and ctx.rule != self.rule:
            raise RuntimeError(f"two access rules on one endpoint: {ctx.rule} and {self.rule}")
        ctx.rule = self.rule
        if not self.deferred:
            ctx.authorize()
        return ctx


def guard(rule: Rule, *, after_lookup: bool = False) -> Any:
    """The dependency marker of a handler's context guarded by ``rule``:
    ``Writer = Annotated[TenantContext, guard(CUSTOMERS["write"])]``."""
    return Depends(Guard(rule, deferred=after_lookup))


def route_rule(route: Any) -> Rule | None:
    """The access rule guarding a served route, read from its dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Guard):
            return dependant.call.rule
        stack.extend(dependant.dependencies)
    return None


__all__ = [
    "Context",
    "Guard",
    "client_info",
    "Principal",
    "Role",
    "TenantContext",
    "get_database",
    "guard",
    "route_rule",
]
