from __future__ import annotations

from pydantic import EmailStr, Field, field_validator

from nitida.core import bounds
from nitida.core.schemas import ApiInput
from nitida.customers.identity import InvalidIdentity, TipoDocumento, normalise


class TenantCreate(ApiInput):
    name: str = Field(min_length=1, max_length=bounds.PERSON_NAME)
    nit: str = Field(min_length=1, max_length=bounds.IDENTITY_NUMBER)
    admin_email: EmailStr = Field(max_length=bounds.EMAIL)
    admin_password: str = Field(min_length=8, max_length=128)
    admin_name: str = Field(default="Administrador", min_length=1, max_length=bounds.PERSON_NAME)

    @field_validator("nit")
    @classmethod
    def _valid_nit(cls, value: str) -> str:
        try:
            return normalise(TipoDocumento.NIT, value).number
        except InvalidIdentity as exc:
            raise ValueError(f"NIT {exc}") from None
