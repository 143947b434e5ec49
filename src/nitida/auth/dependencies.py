"""Who is calling: the bearer token, checked against the user as stored now."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from nitida.core.db import Database
from nitida.core.errors import Forbidden, Unauthorized
from nitida.core.security import decode_access_token
from nitida.users.models import Role, User, UserStatus

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /auth/login")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class TenantContext:
    """A request's caller and its tenant-scoped database session."""

    session: Session
    principal: Principal

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.principal.tenant_id

    def require(self, *roles: Role) -> None:
        """403 unless the caller has one of ``roles``.

        Item endpoints call this after finding the item, so another tenant's
        ids stay 404 whatever the caller's role.
        """
        if self.principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"This action needs the role {allowed}; you are {self.principal.role.value}.")


def get_database(request: Request) -> Database:
    return request.app.state.db


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
    with db.tenant_session(claims.tenant_id, write=request.method not in READ_METHODS) as session:
        # Read the user as it is now: a deactivation, a role change or a new
        # password takes effect on the very next request.
        user = session.execute(
            select(User.id, User.tenant_id, User.email, User.name, User.role, User.status, User.token_version).where(
                User.id == claims.user_id
            )
        ).first()
        if user is None or user.status is not UserStatus.ACTIVE or user.token_version != claims.token_version:
            raise Unauthorized("Invalid or expired token.")
        yield TenantContext(
            session=session,
            principal=Principal(
                user_id=user.id, tenant_id=user.tenant_id, email=user.email, name=user.name, role=user.role
            ),
        )


Context = Annotated[TenantContext, Depends(get_context)]


def require_roles(*roles: Role):
    """Dependency for collection endpoints: the caller must have one of ``roles``."""

    def check(ctx: Context) -> TenantContext:
        ctx.require(*roles)
        return ctx

    return Depends(check)
