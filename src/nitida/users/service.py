"""Users of a tenant, and the rule that a tenant always keeps an active ADMIN."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nitida.core.errors import BadRequest, NotFound
from nitida.core.ids import parse_id
from nitida.core.security import hash_password
from nitida.users.models import Role, User, UserStatus
from nitida.users.schemas import UserCreate, UserUpdate


def duplicate_email(email: str) -> BadRequest:
    return BadRequest.field("email", f"A user with the email {email} already exists.")


def email_taken(session: Session, email_lower: str) -> bool:
    """Whether any user of the service has this email.

    Emails are unique across tenants; the answer is a yes/no only, and the
    unique index has the last word under races.
    """
    return session.scalar(select(func.count()).select_from(User).where(User.email_lower == email_lower)) > 0


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email_lower)))


def get_user(session: Session, user_id: str) -> User:
    uid = parse_id(user_id)
    user = session.scalar(select(User).where(User.id == uid)) if uid else None
    if user is None:
        raise NotFound("User not found.")
    return user


def create_user(session: Session, data: UserCreate, *, tenant_id: uuid.UUID | None = None) -> User:
    user = User(
        tenant_id=tenant_id,
        email=data.email,
        email_lower=data.email.lower(),
        name=data.name,
        role=data.role,
        status=UserStatus.ACTIVE,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise duplicate_email(data.email) from None
    return user


def update_user(session: Session, user: User, data: UserUpdate) -> User:
    fields = data.model_dump(exclude_unset=True)
    for name in ("name", "role", "status"):
        if name in fields and fields[name] is None:
            raise BadRequest.field(name, "must not be null")
    loses_admin = user.role is Role.ADMIN and user.status is UserStatus.ACTIVE and (
        fields.get("role", Role.ADMIN) is not Role.ADMIN
        or fields.get("status", UserStatus.ACTIVE) is not UserStatus.ACTIVE
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
        user.password_hash = hash_password(fields["password"])
        user.token_version += 1  # outstanding tokens die with the old password
    session.flush()
    return user


def _other_active_admins(session: Session, user: User) -> int:
    # Locking the tenant's active ADMIN rows serialises two ADMINs demoting
    # each other at the same moment: the second sees the first's change.
    admins = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.status == UserStatus.ACTIVE)
        .with_for_update()
    ).all()
    return sum(1 for admin_id in admins if admin_id != user.id)
