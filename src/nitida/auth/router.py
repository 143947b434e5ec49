from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from nitida.auth import service
from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, client_info, guard
from nitida.auth.schemas import LoginRequest, MeResponse, TokenResponse
from nitida.core.access import ME
from nitida.core.problems import problem_responses

router = APIRouter(prefix="/auth", tags=["auth"], route_class=UnitOfWorkRoute)

Me = Annotated[TenantContext, guard(ME["read"])]


@router.post(
    "/login",
    response_model=TokenResponse,
    responses=problem_responses(400, 401, 413, 429, 503),
    openapi_extra={"security": []},
)
async def login(body: LoginRequest, request: Request) -> TokenResponse:
    """Exchange an email and password for a bearer token.

    Too many failed logins for the email or from the client's address: 429.
    More logins at once than the service checks passwords for: 503; both with Retry-After.
    """
    state = request.app.state
    token, expires_in = await service.login(
        state.db, state.settings, state.password_checks, body.email, body.password, client_info(request)
    )
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.get("/me", response_model=MeResponse, responses=problem_responses(401))
def me(ctx: Me) -> MeResponse:
    """The caller: id, email, name, role and tenant."""
    p = ctx.principal
    return MeResponse(id=p.user_id, email=p.email, name=p.name, role=p.role, tenant_id=p.tenant_id)
