from __future__ import annotations

from pydantic import EmailStr, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.passwords import check_password
from nitida.core.schemas import ApiInput, FreeText
from nitida.users.schemas import Password
from nitida.vocabulary.identity import InvalidIdentity, TipoDocumento, normalise


class TenantCreate(ApiInput):
    name: FreeText = Field(min_length=1, max_length=bounds.PERSON_NAME)
    nit: FreeText = Field(min_length=1, max_length=bounds.IDENTITY_NUMBER)
    admin_email: EmailStr = Field(max_length=bounds.EMAIL)
    admin_password: Password
    admin_name: FreeText = Field(default="Administrador", min_length=1, max_length=bounds.PERSON_NAME)

    @field_validator("admin_password")
    @classmethod
    def _password_is_not_the_email(cls, value: str, info: ValidationInfo) -> str:
        return check_password(value, info.data.get("admin_email"))

    @field_validator("nit")
    @classmethod
    def _valid_nit(cls, value: str) -> str:
        try:
            return normalise(TipoDocumento.NIT, value).number
        except InvalidIdentity as exc:
            raise ValueError(f"NIT {exc}") from None
