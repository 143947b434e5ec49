"""A request's context: its caller, its tenant's unit of work, and the rule guarding
its endpoint, as a state machine with no web framework in it (the FastAPI wiring
that drives it is auth.dependencies).

The states: created by the endpoint's ``Guard`` (token decoded, nothing opened) →
opened (``open``: the unit of work, with the caller's check waiting for, or run
on, the transaction's first statement) → the caller checked (``_admit``: 401, and
the rule too when ``authorize_first``) → the rule checked (``authorize``: 403) →
finished (``finish``: the checks still due, then the commit) or closed with an
error (``close(exc)``: rollback). A guarded endpoint that never checked its rule
does not commit (``access.RuleNotChecked``); the pages (web.deps) refuse the same
way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any, Protocol, cast

from sqlalchemy import Table

from nitida.core import replica
from nitida.core.access import EVERYONE, Rule, RuleNotChecked
from nitida.core.db import Database, TenantSession, by_key_read
from nitida.core.errors import Unauthorized
from nitida.core.principal import Principal
from nitida.core.security import TokenClaims
from nitida.users.models import User, UserStatus


class RequestLike(Protocol):
    """What the context reads of its request (a Starlette ``Request``): this module
    imports no web framework (tests/core/test_layers.py)."""

    @property
    def method(self) -> str: ...
    @property
    def headers(self) -> Any: ...
    @property
    def cookies(self) -> Any: ...
    @property
    def scope(self) -> Any: ...


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

    def __init__(self, db: Database, claims: TokenClaims, *, write: bool, request: RequestLike | None = None) -> None:
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
    def tenant_id(self) -> uuid.UUID:
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
            raise RuleNotChecked("the endpoint did not check its access rule")

    def authorize(self) -> None:
        """403 unless the caller's role may do what the endpoint's rule names.

        Item endpoints call this after finding the item, so another tenant's
        ids stay 404 whatever the caller's role.
        """
        if self.rule is None:
            raise RuntimeError("endpoint has no access rule")
        self.rule.check(self.principal.role)
        self.authorized = True
