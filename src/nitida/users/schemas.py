from __future__ import annotations

import uuid

from pydantic import EmailStr, Field

from nitida.core import bounds
from nitida.core.schemas import ApiInput, ApiModel, LocalDateTime
from nitida.users.models import Role, UserStatus

Password = Field(min_length=8, max_length=128, description="8 to 128 characters")


class UserCreate(ApiInput):
    email: EmailStr = Field(max_length=bounds.EMAIL)
    name: str = Field(min_length=1, max_length=bounds.PERSON_NAME)
    password: str = Password
    role: Role


class UserUpdate(ApiInput):
    name: str | None = Field(default=None, min_length=1, max_length=bounds.PERSON_NAME)
    role: Role | None = None
    status: UserStatus | None = None
    password: str | None = Field(default=None, min_length=8, max_length=128)


class UserRead(ApiModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role
    status: UserStatus
    created_at: LocalDateTime
    updated_at: LocalDateTime
