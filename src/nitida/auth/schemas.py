from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from nitida.core import bounds
from nitida.core.principal import Role
from nitida.core.schemas import ApiInput, ApiModel, FreeText, Secret


class LoginRequest(ApiInput):
    email: FreeText = Field(min_length=1, max_length=bounds.EMAIL)
    password: Secret = Field(min_length=1, max_length=bounds.LOGIN_PASSWORD)  # as typed: spaces are part of it


class TokenResponse(ApiModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class MeResponse(ApiModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    tenant_id: uuid.UUID
