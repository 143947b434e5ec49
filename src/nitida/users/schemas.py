from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.passwords import MAX_LENGTH, MIN_LENGTH, check_password
from nitida.core.schemas import ApiInput, ApiModel, FreeText, LocalDateTime, Secret
from nitida.users.models import Role, UserStatus

# As typed (never trimmed), 12 to 128 characters, not a common password; see core.passwords.
Password = Annotated[
    Secret,
    AfterValidator(check_password),
    Field(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters, as typed (spaces count); "
        "not a common password nor your e-mail address",
    ),
]


class UserCreate(ApiInput):
    email: EmailStr = Field(max_length=bounds.EMAIL)
    name: FreeText = Field(min_length=1, max_length=bounds.PERSON_NAME)
    # Without one, the user is invited: an e-mail carries a one-time link to set their own (users.links).
    password: Password | None = None
    role: Role

    @field_validator("password")
    @classmethod
    def _password_is_not_the_email(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_password(value, info.data.get("email"))


class UserUpdate(ApiInput):
    name: FreeText | None = Field(default=None, min_length=1, max_length=bounds.PERSON_NAME)
    role: Role | None = None
    status: UserStatus | None = None
    password: Password | None = None


class UserRead(ApiModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role
    status: UserStatus
    created_at: LocalDateTime
    updated_at: LocalDateTime
