"""Users of a tenant, and the rule that a tenant always keeps an active ADMIN."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import select

from nitida.core.db import TenantSession
from nitida.core.errors import BadRequest
from nitida.core.ids import get_or_404
from nitida.core.integrity import Constraint, apply_unless_violates
from nitida.core.passwords import password_problem
from nitida.core.schemas import refuse_nulls
from nitida.core.security import hash_password
from nitida.users.models import EMAIL_MAX_LENGTH, Role, User, UserStatus
from nitida.users.schemas import UserCreate, UserUpdate

# Emails are unique across the service: this index is the one place where a
# tenant can learn that an email is taken elsewhere (never by whom).
UNIQUE_EMAIL = Constraint("uq_users_email_lower", "UNIQUE constraint failed: users.email_lower")


def list_users(session: TenantSession) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email_lower)))


def get_user(session: TenantSession, user_id: str) -> User:
    return get_or_404(session, User, user_id, "User")


def create_user(session: TenantSession, data: UserCreate, *, tenant_id: uuid.UUID | None = None) -> User:
    email_lower = data.email.lower()
    if len(email_lower) > EMAIL_MAX_LENGTH:  # lower-casing can lengthen a few letters
        raise BadRequest.field("email", f"must have at most {EMAIL_MAX_LENGTH} characters")
    user = User(
        tenant_id=tenant_id,
        email=data.email,
        email_lower=email_lower,
        name=data.name,
        role=data.role,
        status=UserStatus.ACTIVE,
        # Invited without a password: a random one nobody knows, hashed like any other (the same work at
        # login), until the invitation's link sets theirs.
        password_hash=hash_password(data.password if data.password is not None else secrets.token_urlsafe(32)),
    )
    if not apply_unless_violates(session, UNIQUE_EMAIL, lambda: session.add(user)):
        raise BadRequest.field("email", f"A user with the email {data.email} already exists.")
    return user


def update_user(session: TenantSession, user: User, data: UserUpdate) -> User:
    refuse_nulls(data, "name", "role", "status")
    fields = data.model_dump(exclude_unset=True)
    loses_admin = (
        user.role is Role.ADMIN
        and user.status is UserStatus.ACTIVE
        and (
            fields.get("role", Role.ADMIN) is not Role.ADMIN
            or fields.get("status", UserStatus.ACTIVE) is not UserStatus.ACTIVE
        )
    )
    if loses_admin and _other_active_admins(session, user) == 0:
        raise BadRequest(
            "This is the tenant's last active ADMIN: make another user ADMIN first.",
            slug="last-admin",
        )
    if "name" in fields:
        user.name = fields["name"]
    if "role" in fields:
        user.role = fields["role"]
    if "status" in fields:
        if fields["status"] is UserStatus.INACTIVE and user.status is UserStatus.ACTIVE:
            user.token_version += 1
        user.status = fields["status"]
    if fields.get("password") is not None:
        problem = password_problem(fields["password"], user.email)
        if problem is not None:
            raise BadRequest.field("password", problem)
        user.password_hash = hash_password(fields["password"])
        user.token_version += 1  # outstanding tokens die with the old password
    session.flush()
    return user


def _other_active_admins(session: TenantSession, user: User) -> int:
    # Locking the tenant's active ADMIN rows serialises two ADMINs demoting
    # each other at the same moment: the second sees the first's change.
    admins = session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.status == UserStatus.ACTIVE).with_for_update()
    ).all()
    return sum(1 for admin_id in admins if admin_id != user.id)
