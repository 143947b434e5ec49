from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from nitida.auth import service
from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, client_info, guard
from nitida.auth.schemas import LoginRequest, MeResponse, TokenResponse
from nitida.core.access import ME
from nitida.core.cpu_pool import CpuPool, PoolSaturated
from nitida.core.errors import ServiceUnavailable
from nitida.core.problems import problem_responses
from nitida.core.security import verify_password

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
    db, settings = request.app.state.db, request.app.state.settings
    pool: CpuPool = request.app.state.password_checks
    client = client_info(request)
    # At most login_concurrency logins at once per process; the others wait
    # (holding no thread) up to the bound, then get 503 having done nothing.
    # The short transactions run on the shared thread pool, argon2 (tens of ms
    # of CPU) on the login pool's own low-priority threads.
    try:
        async with pool.admitted():
            attempt = await run_in_threadpool(service.begin_login, db, settings, body.email, client)
            password_ok = await pool.run(verify_password, attempt.password_hash, body.password)
            token, expires_in = await run_in_threadpool(service.finish_login, db, settings, attempt, password_ok)
    except PoolSaturated as busy:  # raised only when not admitted
        raise ServiceUnavailable(
            "Too many logins at once. Try again shortly.",
            headers={"Retry-After": str(busy.retry_after)},
            slug="login-busy",
        ) from None
    return TokenResponse(access_token=token, expires_in=expires_in)


@router.get("/me", response_model=MeResponse, responses=problem_responses(401))
def me(ctx: Me) -> MeResponse:
    """The caller: id, email, name, role and tenant."""
    p = ctx.principal
    return MeResponse(id=p.user_id, email=p.email, name=p.name, role=p.role, tenant_id=p.tenant_id)
