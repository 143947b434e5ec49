from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from nitida.auth.dependencies import TenantContext, guard
from nitida.core.problems import problem_responses
from nitida.users import service
from nitida.users.access import USERS
from nitida.users.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[TenantContext, guard(USERS["manage"])]
ItemAdmin = Annotated[TenantContext, guard(USERS["manage"], after_lookup=True)]


@router.get("", response_model=list[UserRead], responses=problem_responses(401, 403))
def list_users(ctx: Admin) -> list[UserRead]:
    """The users of the caller's tenant (ADMIN)."""
    return [UserRead.model_validate(u) for u in service.list_users(ctx.session)]


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_user(body: UserCreate, ctx: Admin) -> UserRead:
    """Add a user to the caller's tenant (ADMIN). Emails are unique across the service."""
    user = service.create_user(ctx.session, body)
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404))
def get_user(user_id: str, ctx: ItemAdmin) -> UserRead:
    user = service.get_user(ctx.session, user_id)
    ctx.authorize()
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead, responses=problem_responses(400, 401, 403, 404, 413))
def update_user(user_id: str, body: UserUpdate, ctx: ItemAdmin) -> UserRead:
    """Change a user's name, role, status or password (ADMIN).

    The tenant's last active ADMIN cannot be demoted or deactivated.
    """
    user = service.get_user(ctx.session, user_id)
    ctx.authorize()
    service.update_user(ctx.session, user, body)
    return UserRead.model_validate(user)
