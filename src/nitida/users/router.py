from __future__ import annotations

from fastapi import APIRouter, status

from nitida.auth.dependencies import Context, require_roles
from nitida.core.errors import problem_responses
from nitida.users import service
from nitida.users.models import Role
from nitida.users.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])

_ADMIN = require_roles(Role.ADMIN)


@router.get("", response_model=list[UserRead], responses=problem_responses(401, 403))
def list_users(ctx: Context, _: object = _ADMIN) -> list[UserRead]:
    """The users of the caller's tenant (ADMIN)."""
    return [UserRead.model_validate(u) for u in service.list_users(ctx.session)]


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
)
def create_user(body: UserCreate, ctx: Context, _: object = _ADMIN) -> UserRead:
    """Add a user to the caller's tenant (ADMIN). Emails are unique across the service."""
    user = service.create_user(ctx.session, body)
    ctx.session.commit()
    return UserRead.model_validate(user)


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404))
def get_user(user_id: str, ctx: Context) -> UserRead:
    user = service.get_user(ctx.session, user_id)
    ctx.require(Role.ADMIN)
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead, responses=problem_responses(400, 401, 403, 404, 413))
def update_user(user_id: str, body: UserUpdate, ctx: Context) -> UserRead:
    """Change a user's name, role, status or password (ADMIN).

    The tenant's last active ADMIN cannot be demoted or deactivated.
    """
    user = service.get_user(ctx.session, user_id)
    ctx.require(Role.ADMIN)
    service.update_user(ctx.session, user, body)
    ctx.session.commit()
    return UserRead.model_validate(user)
