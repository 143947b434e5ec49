"""Pydantic field types of the fiscal data (issuer and customers), checked against the DIAN lists."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from nitida.core import bounds
from nitida.vocabulary import fiscal


def _blank_to_none(value: object) -> object:
    # An empty optional field means "none", as a form would send it.
    if isinstance(value, str) and not value.strip():
        return None
    return value


Responsabilidades = Annotated[
    list[str],
    Field(max_length=5, description="Responsabilidades fiscales: O-13, O-15, O-23, O-47, R-99-PN"),
    AfterValidator(fiscal.responsabilidades),
]
Tributo = Annotated[
    str,
    Field(max_length=bounds.CODE, description="01 IVA, 04 INC, ZA IVA e INC, ZZ no aplica"),
    AfterValidator(fiscal.tributo),
]
MunicipioCodigo = Annotated[
    str,
    Field(max_length=bounds.DANE_CODE, description="5-digit DANE municipality code, e.g. 11001"),
    AfterValidator(fiscal.municipio_codigo),
]
CodigoPostal = Annotated[
    str, Field(max_length=bounds.POSTAL_CODE, description="6 digits"), AfterValidator(fiscal.codigo_postal)
]
OptionalMunicipioCodigo = Annotated[MunicipioCodigo | None, BeforeValidator(_blank_to_none)]
OptionalCodigoPostal = Annotated[CodigoPostal | None, BeforeValidator(_blank_to_none)]
PaisCodigo = Annotated[
    str,
    Field(max_length=bounds.COUNTRY_CODE, description="ISO 3166-1 alpha-2 of the DIAN's list (CO, US, ES…)"),
    AfterValidator(fiscal.pais_codigo),
]
CurrencyCode = Annotated[
    str,
    Field(max_length=bounds.CURRENCY_CODE, description="ISO 4217 of the DIAN's list (COP, USD, EUR…)"),
    AfterValidator(fiscal.currency_code),
]
