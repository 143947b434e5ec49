from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, EmailStr, Field, ValidationInfo, field_validator

from nitida.core import bounds
from nitida.core.schemas import ApiInput, ApiModel, FreeText, LocalDateTime
from nitida.customers.models import CustomerStatus
from nitida.vocabulary import fiscal
from nitida.vocabulary.fields import (
    OptionalCodigoPostal,
    OptionalMunicipioCodigo,
    PaisCodigo,
    Responsabilidades,
    Tributo,
)
from nitida.vocabulary.identity import TipoDocumento
from nitida.vocabulary.kinds import PersonType


def _blank_to_none(value: object) -> object:
    # An empty optional contact field means "none", as a form would send it.
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalEmail = Annotated[Annotated[EmailStr, Field(max_length=bounds.EMAIL)] | None, BeforeValidator(_blank_to_none)]
OptionalTelefono = Annotated[
    Annotated[FreeText, Field(max_length=bounds.PHONE)] | None, BeforeValidator(_blank_to_none)
]
OptionalDireccion = Annotated[
    Annotated[FreeText, Field(max_length=bounds.ADDRESS)] | None, BeforeValidator(_blank_to_none)
]
OptionalPlace = Annotated[
    Annotated[FreeText, Field(max_length=bounds.PLACE_NAME)] | None, BeforeValidator(_blank_to_none)
]
RazonSocial = Annotated[
    FreeText, Field(min_length=1, max_length=bounds.RAZON_SOCIAL, description="Legal or business name")
]
NitInput = Annotated[
    FreeText,
    Field(
        min_length=1,
        max_length=bounds.IDENTITY_NUMBER,
        description="Document number. For NIT: 900123456, 900.123.456, 900123456-8 or 900.123.456-8",
    ),
]


class CustomerCreate(ApiInput):
    razon_social: RazonSocial
    nit: NitInput
    tipo_documento: TipoDocumento = TipoDocumento.NIT
    email: OptionalEmail = None
    telefono: OptionalTelefono = None
    direccion: OptionalDireccion = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    tipo_persona: PersonType | None = Field(
        default=None,
        description=(
            "Required to issue an electronic invoice to a NIT, foreign NIT or foreign document holder, unless the "
            "name ends in a company's legal form (S.A.S., Ltda.…); NATURAL for documents only persons hold"
        ),
    )
    responsabilidades_fiscales: Responsabilidades = Field(default_factory=fiscal.default_responsabilidades)
    tributo: Tributo = fiscal.DEFAULT_TRIBUTO
    municipio_codigo: OptionalMunicipioCodigo = None
    codigo_postal: OptionalCodigoPostal = None
    pais_codigo: PaisCodigo = Field(default="CO", description="Country (ISO 3166-1 alpha-2); CO: Colombia")
    ciudad_exterior: OptionalPlace = Field(default=None, description="A customer abroad: its city (free text)")
    region_exterior: OptionalPlace = Field(
        default=None, description="A customer abroad: its state, province or region (free text)"
    )

    @field_validator("codigo_postal")
    @classmethod
    def _postal_of_the_municipality(cls, value: str | None, info: ValidationInfo) -> str | None:
        return fiscal.postal_code_of(info.data.get("municipio_codigo"), value)


class CustomerUpdate(ApiInput):
    """Only the fields present change; null clears an optional field."""

    razon_social: RazonSocial | None = None
    nit: NitInput | None = None
    tipo_documento: TipoDocumento | None = None
    email: OptionalEmail = None
    telefono: OptionalTelefono = None
    direccion: OptionalDireccion = None
    status: CustomerStatus | None = None
    tipo_persona: PersonType | None = None
    responsabilidades_fiscales: Responsabilidades | None = None
    tributo: Tributo | None = None
    municipio_codigo: OptionalMunicipioCodigo = None
    codigo_postal: OptionalCodigoPostal = None
    pais_codigo: PaisCodigo | None = None
    ciudad_exterior: OptionalPlace = None
    region_exterior: OptionalPlace = None

    @field_validator("codigo_postal")
    @classmethod
    def _postal_of_the_municipality(cls, value: str | None, info: ValidationInfo) -> str | None:
        return fiscal.postal_code_of(info.data.get("municipio_codigo"), value)


class CustomerRead(ApiModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    razon_social: str
    tipo_documento: TipoDocumento
    tipo_documento_codigo: str = Field(description="DIAN code of the document type (31 = NIT)")
    nit: str = Field(description="Normalised number, without the check digit")
    dv: str | None = Field(description="NIT check digit (dígito de verificación); null for other types")
    email: str | None
    telefono: str | None
    direccion: str | None
    status: CustomerStatus
    tipo_persona: PersonType | None
    responsabilidades_fiscales: list[str] | None
    tributo: str | None
    municipio_codigo: str | None
    municipio: str | None = Field(description="Derived from municipioCodigo (DANE)")
    departamento: str | None = Field(description="Derived from municipioCodigo (DANE)")
    codigo_postal: str | None
    pais_codigo: str = Field(description="Country (ISO 3166-1 alpha-2); CO: Colombia")
    pais: str | None = Field(description="The country's name in the DIAN's list")
    ciudad_exterior: str | None
    region_exterior: str | None
    created_at: LocalDateTime
    updated_at: LocalDateTime


class CustomerListQuery(BaseModel):
    """The list's query parameters, validated as one model (one validation per request, not one per parameter)."""

    search: str | None = Field(
        None, max_length=bounds.SEARCH_TERM, description="Name (case- and accent-insensitive) or number fragment"
    )
    status: CustomerStatus | None = None
    limit: int | None = Field(None, ge=1, le=1000, description="Page size; omit for the whole list")
    offset: int = Field(0, ge=0, le=10_000_000)
