"""The FastAPI wiring of a request's context: the bearer token, the guard made from a
domain's access rule, and the route class that runs a sync endpoint's whole unit of
work in one worker thread. The state machine it drives (``TenantContext``: open,
check the caller, check the rule, commit or roll back) is auth.context.

Each authenticated request gets one tenant session (``Database.unit_of_work``): it
commits once, after the endpoint has returned and its response is built, and rolls
back if anything raised. Handlers never commit. Which step checks the caller (401:
its user as stored now), which checks the endpoint's rule (403), and which commits:

=====  =====  ==========  ==============================  ==============================  ===========================
kind   does   endpoint    caller checked (401)            rule checked (403)              commit
=====  =====  ==========  ==============================  ==============================  ===========================
sync   write  collection  ``begin``, in the endpoint's    the same first statement        ``finish``, in the same
                          thread before the handler: the  (``_admit``), before the        thread after the handler
                          transaction's first statement   handler
sync   write  item        ``begin``, at once, before the  the handler's                   ``finish``, same thread;
                          handler                         ``ctx.authorize()`` after it    refuses (``RuleNotChecked``)
                                                          found the item (404 first)      if the rule went unchecked
sync   read   collection  the transaction's first         ``_admit``, with the caller     ``finish``, same thread
                          statement (on PostgreSQL it     (every role passes)
       (a rule every      rides with the handler's first
       role passes)       read), else ``finish``
sync   read   collection  ``begin``, at once, before the  the same first statement,       ``finish``, same thread
       (a rule that       handler                         before the handler
       may refuse)
sync   read   item        the transaction's first         the handler's                   ``finish``, same thread;
                          statement (rides with the       ``ctx.authorize()`` after the   refuses if unchecked
                          lookup), else ``finish``        lookup
async  any    collection  ``Guard``, in a thread-pool     the same hop, before the        ``Guard`` on the way out:
                          hop of its own, before the      handler                         ``finish`` in another hop
                          handler
async  any    item        when the handler first uses     the handler's                   ``Guard`` on the way out:
                          ``ctx.session`` or              ``ctx.authorize()``             ``finish`` in a hop; refuses
                          ``authorize()`` (at once)                                       if unchecked
=====  =====  ==========  ==============================  ==============================  ===========================

"sync" is a sync endpoint on a ``UnitOfWorkRoute`` (one thread-pool hop per request);
with a read replica configured a sync read checks at once, as a rule that may refuse.
A guarded endpoint that ran no statement and opened nothing is still checked before
it answers (``check_authorized``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from nitida.auth.context import TenantContext
from nitida.core.access import Rule
from nitida.core.client import ClientInfo
from nitida.core.db import Database
from nitida.core.errors import Unauthorized
from nitida.core.http import READ_ONLY_METHODS
from nitida.core.principal import Principal, Role
from nitida.core.security import decode_access_token

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")


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
