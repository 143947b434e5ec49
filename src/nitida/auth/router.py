from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from nitida.auth import service
from nitida.auth.access import ME
from nitida.auth.dependencies import TenantContext, guard
from nitida.auth.schemas import LoginRequest, MeResponse, TokenResponse
from nitida.core.problems import problem_responses

router = APIRouter(prefix="/auth", tags=["auth"])

Me = Annotated[TenantContext, guard(ME["read"])]


@router.post(
    "/login",
    response_model=TokenResponse,
    responses=problem_responses(400, 401, 413, 429),
    openapi_extra={"security": []},
)
def login(body: LoginRequest, request: Request) -> TokenResponse:
    """Exchange an email and password for a bearer token."""
    token, expires_in = service.login(request.app.state.db, request.app.state.settings, body.email, body.password)
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.get("/me", response_model=MeResponse, responses=problem_responses(401))
def me(ctx: Me) -> MeResponse:
    """The caller: id, email, name, role and tenant."""
    p = ctx.principal
    return MeResponse(id=p.user_id, email=p.email, name=p.name, role=p.role, tenant_id=p.tenant_id)
