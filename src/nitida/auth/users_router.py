"""The tenant's users, administered over the API (``/users``); adding one (``POST /users``, which may invite
them by e-mail) is a flow, so its endpoint is in ``flows.router``.

The endpoints live in ``auth``, not in ``users``: they stand behind the request guards, and the guards read
the users table, so the users package stays below ``auth`` and its API sits here, beside login.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nitida.auth.dependencies import TenantContext, UnitOfWorkRoute, client_info, guard
from nitida.core.client import ClientInfo
from nitida.core.problems import problem_responses
from nitida.security_events import service as events
from nitida.users import service
from nitida.users.access import USERS
from nitida.users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], route_class=UnitOfWorkRoute)

Admin = Annotated[TenantContext, guard(USERS["manage"])]
ItemAdmin = Annotated[TenantContext, guard(USERS["manage"], after_lookup=True)]
Client = Annotated[ClientInfo, Depends(client_info)]


@router.get("", response_model=list[UserRead], responses=problem_responses(401, 403))
def list_users(ctx: Admin) -> list[UserRead]:
    """The users of the caller's tenant (ADMIN)."""
    return [UserRead.model_validate(u) for u in service.list_users(ctx.session)]


@router.get("/{user_id}", response_model=UserRead, responses=problem_responses(401, 403, 404))
def get_user(user_id: str, ctx: ItemAdmin) -> UserRead:
    user = service.get_user(ctx.session, user_id)
    ctx.authorize()
    return UserRead.model_validate(user)


@router.patch("/{user_id}", response_model=UserRead, responses=problem_responses(400, 401, 403, 404, 413))
def update_user(user_id: str, body: UserUpdate, ctx: ItemAdmin, client: Client) -> UserRead:
    """Change a user's name, role, status or password (ADMIN).

    The tenant's last active ADMIN cannot be demoted or deactivated. Role,
    status and password changes are security events (GET /security-events).
    """
    user = service.get_user(ctx.session, user_id)
    ctx.authorize()
    role_before, status_before = user.role, user.status
    service.update_user(ctx.session, user, body)
    events.record_user_changes(
        ctx.session,
        ctx.principal,
        client,
        user,
        role_before=role_before,
        status_before=status_before,
        password_changed=body.password is not None,
    )
    return UserRead.model_validate(user)
