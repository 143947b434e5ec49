from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKeyConstraint, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from nitida.core import bounds
from nitida.core.db import Base, TenantScoped, UTCDateTime, utcnow
from nitida.core.principal import Role

__all__ = ["EMAIL_MAX_LENGTH", "LinkPurpose", "PasswordLink", "Role", "User", "UserStatus"]

EMAIL_MAX_LENGTH = bounds.EMAIL


class UserStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class User(TenantScoped, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails identify a login across the whole service. This is the one
        # index not led by tenant_id: under Citus, users is a reference table.
        Index("uq_users_email_lower", "email_lower", unique=True),
    )

    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    email_lower: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    name: Mapped[str] = mapped_column(String(bounds.PERSON_NAME))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, native_enum=False, length=20), default=UserStatus.ACTIVE
    )
    # Deferred: on PostgreSQL the service role may not SELECT it (only login's
    # nitida_login_candidate returns it), so no ordinary query asks for it.
    password_hash: Mapped[str] = mapped_column(String(bounds.PASSWORD_HASH), deferred=True)
    # Bumped when the password changes or the user is deactivated: tokens
    # carrying an older version stop working at once.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LinkPurpose(enum.StrEnum):
    """Why a one-time link to set a password was sent."""

    INVITATION = "INVITATION"
    PASSWORD_RESET = "PASSWORD_RESET"


class PasswordLink(TenantScoped, Base):
    """A one-time link to set a password (an invitation, or "¿Olvidaste tu contraseña?").

    The link is ``/app/contrasena/<tenant id>.<random token>``; only the token's SHA-256 is
    stored, so a copy of the table opens nothing. It works once (``used_at``) and until
    ``expires_at``; a newer link for the same user ends the older ones.
    """

    __tablename__ = "password_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            ondelete="CASCADE",
            name="fk_password_links_user",
        ),
        Index("uq_password_links_tenant_token_hash", "tenant_id", "token_hash", unique=True),
        Index("ix_password_links_tenant_user", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    purpose: Mapped[LinkPurpose] = mapped_column(Enum(LinkPurpose, native_enum=False, length=20))
    token_hash: Mapped[str] = mapped_column(String(bounds.WEB_TOKEN))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
