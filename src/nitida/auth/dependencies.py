"""Who is calling: the bearer token, checked against the user as stored now,
and the request's unit of work.

Each authenticated request gets one tenant session (``Database.unit_of_work``):
it commits once, after the endpoint has returned and its response is built,
and rolls back if anything raised. Handlers never commit.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Table
from starlette.concurrency import run_in_threadpool

from nitida.auth.access import EVERYONE, Rule
from nitida.auth.principal import Principal, Role
from nitida.core import replica
from nitida.core.client import ClientInfo
from nitida.core.db import Database, TenantSession, by_key_read
from nitida.core.errors import Forbidden, Unauthorized
from nitida.core.http import READ_ONLY_METHODS
from nitida.core.security import TokenClaims, decode_access_token
from nitida.users.models import User, UserStatus

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")

# What every request reads of its caller, as Core (no ORM layer: it is on every request).
_USERS = cast(Table, User.__table__)
_USER_COLUMNS = tuple(
    _USERS.c[name] for name in ("id", "tenant_id", "email", "name", "role", "status", "token_version")
)
_CALLER = by_key_read(_USERS, _USER_COLUMNS, "id")


class TenantContext:
    """A request's caller, its tenant-scoped session, and the rule guarding the endpoint.

    The unit of work opens in the thread that runs the endpoint (``begin``), not
    in a thread-pool hop of its own, and its first statement checks the caller
    against the user as stored now (``open``). No row of the tenant reaches the
    handler, and no answer leaves, before that check (401 first, as before).
    """

    __slots__ = (
        "_db",
        "_claims",
        "_write",
        "_request",
        "_unit",
        "_session",
        "_principal",
        "_reads",
        "rule",
        "authorized",
        "authorize_first",
    )

    def __init__(self, db: Database, claims: TokenClaims, *, write: bool, request: Request | None = None) -> None:
        self._db = db
        self._claims = claims
        self._write = write
        self._request = request
        self._unit: ExitStack | None = None
        self._session: TenantSession | None = None
        self._principal: Principal | None = None
        # Where lists, searches and reports read (core.replica); None: no replica configured.
        self._reads: replica.ReadRouting | None = None
        self.rule: Rule | None = None
        self.authorized = False
        # A collection endpoint's rule, left by its Guard for the endpoint's own
        # thread to check before the handler runs (UnitOfWorkRoute).
        self.authorize_first = False

    @property
    def session(self) -> TenantSession:
        if self._session is None:
            self.open()
        assert self._session is not None
        return self._session

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            # Opened on the endpoint's first statement (``begin``) and none yet: begin
            # now, which checks the caller.
            self.session.connection()
        assert self._principal is not None
        return self._principal

    @property
    def tenant_id(self):
        return self.principal.tenant_id

    @property
    def reads(self) -> replica.ReadRouting | None:
        if self._unit is None:
            self.open()
        return self._reads

    @property
    def reader(self) -> Callable[[], AbstractContextManager[TenantSession]]:
        """Short read-only sessions of the caller's tenant, for responses streamed
        after the request's own session has committed and closed."""
        reads = self.reads
        if reads is not None:
            return reads.reader
        db, tenant_id = self._db, self._claims.tenant_id
        return lambda: db.tenant_session(tenant_id, write=False)

    def listing(self) -> AbstractContextManager[TenantSession]:
        """The session for a list, search or report: the read replica when it may serve this
        read (never after the caller's own write), else the request's own session."""
        reads = self.reads
        return nullcontext(self.session) if reads is None else reads.session()

    @property
    def opened(self) -> bool:
        return self._unit is not None

    def open(self, *, on_first_statement: bool = False) -> None:
        """Open the request's unit of work. Its first statement checks the caller (401
        unless the token's user is still active and the token's version current) and
        then, if the endpoint's Guard left it to us, the endpoint's rule (403): at once,
        or with ``on_first_statement`` when the endpoint reads first (on PostgreSQL
        that read rides the same round trip, and its rows reach the endpoint only
        once both checks have passed)."""
        if self._unit is not None:
            return
        claims = self._claims
        unit = ExitStack()
        session = unit.enter_context(self._db.unit_of_work(claims.tenant_id, write=self._write))
        try:
            # Read the user as it is now: a deactivation, a role change or a new
            # password takes effect on the very next request.
            session.check_on_begin(_CALLER, {"nitida_key": claims.user_id}, self._admit)
            if not on_first_statement:
                session.connection()  # begins: the checks run now
        except BaseException as exc:
            unit.__exit__(type(exc), exc, exc.__traceback__)  # rolls back
            raise
        request = self._request
        if self._db.replica_engine is not None and request is not None:
            self._reads = replica.ReadRouting.of(
                self._db, claims.tenant_id, session, request.method, request.headers, request.cookies
            )
        self._session, self._unit = session, unit

    def _admit(self, user: Any) -> None:
        """The caller's check, on the user's row as read by the transaction's first statement."""
        claims = self._claims
        if user is None or user.status is not UserStatus.ACTIVE or user.token_version != claims.token_version:
            raise Unauthorized("Invalid or expired token.")
        self._principal = Principal(
            user_id=user.id, tenant_id=user.tenant_id, email=user.email, name=user.name, role=user.role
        )
        if self.authorize_first:
            self.authorize()

    def finish(self) -> None:
        """After the handler, in a worker thread: the checks still due (``check_authorized``),
        then the commit; a failure of either rolls back and is the response."""
        try:
            self.check_authorized()
        except BaseException as exc:
            self.close(exc)
            raise
        self.close(None)

    def close(self, exc: BaseException | None) -> None:
        """Commit the unit of work (``exc`` None) or roll it back, if it was opened.
        Commit through ``finish``, which checks first."""
        unit, self._unit = self._unit, None
        if unit is None:
            return
        if exc is None:
            unit.close()  # commits
            if self._reads is not None and self._request is not None and self._session is not None:
                # Tell the caller where its write is, so its next lists read it (core.replica).
                replica.note_commit(self._request.scope, self._db, self._session, self._request.method)
        else:
            unit.__exit__(type(exc), exc, exc.__traceback__)  # rolls back; the caller re-raises

    def begin(self) -> None:
        """In the endpoint's thread, before its handler: open the unit of work.

        A read (GET) whose role check cannot refuse before its handler runs (an item
        endpoint checks after finding the item; some rules allow every role) begins
        on its first statement, so its first read rides with the checks (one round
        trip fewer). Other requests check at once: 401, then 403, before the handler."""
        rule = self.rule
        self.open(
            on_first_statement=not self._write
            and self._db.replica_engine is None
            and (not self.authorize_first or (rule is not None and rule.roles == EVERYONE))
        )

    def check_authorized(self) -> None:
        """Before the answer: the caller checked (a unit opened on its first statement
        that ran none begins now, which checks), and the endpoint's rule."""
        if self._unit is not None and self._principal is None:
            self.principal  # noqa: B018 - begins the transaction: the checks run
        if self.rule is not None and not self.authorized:
            # A guarded item endpoint that never checked its rule: refuse to commit.
            raise RuntimeError("the endpoint did not check its access rule")

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


class Guard:
    """The dependency that gives an endpoint its request context, guarded by a domain's rule.

    It checks the bearer token (401), opens nothing yet (``TenantContext``), and
    commits the unit of work when the endpoint returns, before the response is sent,
    so a failed commit is the response; it rolls back when anything raised.
    ``deferred=False`` checks the rule before the handler (collection endpoints);
    ``deferred=True`` leaves the check to the handler, after it has found the item
    (404 first). One dependency, not a guard over a context over the bearer scheme:
    FastAPI solves each level on every request (issue 14: per-request cost).
    """

    def __init__(self, rule: Rule, *, deferred: bool) -> None:
        self.rule = rule
        self.deferred = deferred

    # async: FastAPI runs it on the event loop, where it only decodes the token (cached).
    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> AsyncIterator[TenantContext]:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("Missing bearer token.")
        # Verified tokens are cached (core.security): usually no work for the event loop.
        claims = decode_access_token(credentials.credentials, request.app.state.settings.secret_key)
        if claims is None:
            raise Unauthorized("Invalid or expired token.")
        ctx = TenantContext(
            request.app.state.db, claims, write=request.method not in READ_ONLY_METHODS, request=request
        )
        ctx.rule = self.rule
        try:
            if not self.deferred:
                if getattr(request.scope.get("route"), "runs_unit_in_one_thread", False):
                    # Checked in the endpoint's thread before its handler runs (no hop of its own).
                    ctx.authorize_first = True
                else:
                    # The role is read with the user (blocking I/O): one worker-thread hop.
                    await run_in_threadpool(ctx.authorize)
            yield ctx
        except BaseException as exc:
            if ctx.opened:
                await run_in_threadpool(ctx.close, exc)
            raise
        if ctx.opened:
            # The checks still due and the commit, in a worker thread (blocking I/O):
            # their failure is the response.
            await run_in_threadpool(ctx.finish)
        else:
            ctx.check_authorized()  # nothing opened: no I/O


def guard(rule: Rule, *, after_lookup: bool = False) -> Any:
    """The dependency marker of a handler's context guarded by ``rule``:
    ``Writer = Annotated[TenantContext, guard(CUSTOMERS["write"])]``."""
    # scope="function": the exit code (commit) runs when the endpoint returns.
    return Depends(Guard(rule, deferred=after_lookup), scope="function")


def _in_one_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A sync endpoint whose request context is opened, checked and committed in
    the endpoint's own worker thread: one thread-pool hop per request instead of
    one each for the check, the handler and the commit (issue 14: per-request cost).
    An exception rolls back there too; the guard then finds nothing to close."""

    @functools.wraps(endpoint)  # FastAPI reads the signature (and its globals) through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = next((value for value in kwargs.values() if isinstance(value, TenantContext)), None)
        if ctx is None:
            return endpoint(*args, **kwargs)
        try:
            ctx.begin()
            result = endpoint(*args, **kwargs)
        except BaseException as exc:
            ctx.close(exc)
            raise
        ctx.finish()  # the checks still due, then the commit: their failure is the response
        return result

    return run


class UnitOfWorkRoute(APIRoute):
    """The API's routes: a sync endpoint runs its whole unit of work (caller check,
    access rule, handler, commit) in one worker thread (``_in_one_thread``).
    Body and parameter validation (400) now come before a collection endpoint's
    403, as they already did for item endpoints."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # An async endpoint has no thread of its own: its Guard checks in a hop, as before.
        self.runs_unit_in_one_thread = not inspect.iscoroutinefunction(endpoint)
        if self.runs_unit_in_one_thread:
            endpoint = _in_one_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)
        guards = _guards(self)
        if len(guards) > 1:
            # Each guard opens a context of its own: one endpoint, one unit of work, one rule.
            raise RuntimeError(f"two access rules on one endpoint {path}: {', '.join(map(str, guards))}")


def _guards(route: Any) -> list[Rule]:
    """The rules of the guards among a route's dependencies (one guard named twice is
    one dependency: FastAPI solves it once per request)."""
    guards: dict[int, Rule] = {}
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Guard):
            guards[id(dependant.call)] = dependant.call.rule
        stack.extend(dependant.dependencies)
    return list(guards.values())


def route_rule(route: Any) -> Rule | None:
    """The access rule guarding a served route, read from its dependencies."""
    return next(iter(_guards(route)), None)


__all__ = [
    "Guard",
    "client_info",
    "Principal",
    "Role",
    "TenantContext",
    "UnitOfWorkRoute",
    "get_database",
    "guard",
    "route_rule",
]
