"""Validation of the fiscal fields people type (issuer and customers), against the DIAN code lists.

Pure functions raising ValueError with a message for the field; the schemas wrap
them, so a bad value is a 400 naming the field.
"""

from __future__ import annotations

import re

from nitida.vocabulary import codelists
from nitida.vocabulary.kinds import PersonType

DEFAULT_RESPONSABILIDADES = ["R-99-PN"]
DEFAULT_TRIBUTO = "ZZ"
_CIIU = re.compile(r"^\d{4}$")
_POSTAL = re.compile(r"^\d{6}$")


def responsabilidades(values: list[str]) -> list[str]:
    cleaned = [v.strip().upper() for v in values]
    unknown = [v for v in cleaned if v not in codelists.RESPONSABILIDADES]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not in the DIAN list ({', '.join(codelists.RESPONSABILIDADES)})")
    if not cleaned:
        raise ValueError("at least one (R-99-PN when none applies)")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("each responsibility at most once")
    if codelists.NO_RESPONSABILIDAD in cleaned and len(cleaned) > 1:
        others = ", ".join(c for c in cleaned if c != codelists.NO_RESPONSABILIDAD)
        raise ValueError(f"R-99-PN (no aplica) means none of the others, so it cannot go with {others}")
    return cleaned


def tributo(value: str) -> str:
    value = value.strip().upper()
    if value not in codelists.TRIBUTOS:
        options = ", ".join(f"{k} ({v})" for k, v in codelists.TRIBUTOS.items())
        raise ValueError(f"must be one of {options}")
    return value


def municipio_codigo(value: str) -> str:
    value = value.strip()
    if codelists.municipio(value) is None:
        raise ValueError(f"{value!r} is not a DANE municipality code (5 digits, e.g. 11001 for Bogotá D.C.)")
    return value


def codigo_postal(value: str) -> str:
    value = value.strip()
    if not _POSTAL.match(value):
        raise ValueError("a Colombian postal code has 6 digits (e.g. 110231)")
    if value not in codelists.postal_codes():
        raise ValueError(f"{value} is not a postal code of the DIAN's list (CodigoPostal)")
    return value


def actividades(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values]
    bad = [v for v in cleaned if not _CIIU.match(v)]
    if bad:
        raise ValueError(f"{', '.join(bad)}: a CIIU code has 4 digits (e.g. 4761)")
    unknown = [v for v in cleaned if v not in codelists.ciiu_codes()]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not an economic activity (CIIU) of the DIAN's list")
    return cleaned


def place(code: str | None) -> tuple[str | None, str | None]:
    """(municipio, departamento) names of a DANE code, or (None, None)."""
    found = codelists.municipio(code) if code else None
    return (found.name, found.departamento) if found else (None, None)


def default_responsabilidades() -> list[str]:
    return list(DEFAULT_RESPONSABILIDADES)


def postal_code_of(municipio_codigo: str | None, codigo_postal: str | None) -> str | None:
    """``codigo_postal`` when it is of the municipality's department (issue 25), else ValueError."""
    found = codelists.municipio(municipio_codigo) if municipio_codigo else None
    if codigo_postal and found is not None and codigo_postal[:2] != found.departamento_code:
        raise ValueError(
            f"{codigo_postal} is not a postal code of {found.departamento} ({found.name}): a postal code begins with "
            f"its department's code, {found.departamento_code}"
        )
    return codigo_postal


def pais_codigo(value: str) -> str:
    value = value.strip().upper()
    if value not in codelists.countries():
        raise ValueError(f"{value!r} is not a country code of the DIAN's list (ISO 3166-1 alpha-2)")
    return value


def currency_code(value: str) -> str:
    value = value.strip().upper()
    if value not in codelists.currencies():
        raise ValueError(f"{value!r} is not a currency code of the DIAN's list (ISO 4217)")
    return value


def foreign_address_problems(
    pais: str, municipio: str | None, postal: str | None, ciudad: str | None, region: str | None, id_type: str
) -> list[tuple[str, str]]:
    """(field, message) of each way a party's country and address disagree (issue 25): a buyer abroad has no
    DANE municipality nor Colombian postal code; a foreign city and region are for a buyer abroad only; type 43
    (sin identificación del exterior) is for a buyer abroad."""
    out: list[tuple[str, str]] = []
    if pais != codelists.COLOMBIA:
        if municipio:
            out.append(("municipioCodigo", "a customer abroad has no DANE municipality: give ciudadExterior instead"))
        if postal:
            out.append(("codigoPostal", "a customer abroad has no Colombian postal code"))
    else:
        if ciudad:
            out.append(("ciudadExterior", "only for a customer abroad (paisCodigo of another country)"))
        if region:
            out.append(("regionExterior", "only for a customer abroad (paisCodigo of another country)"))
        if id_type == "43":
            out.append(("tipoDocumento", "type 43 (sin identificación del exterior) is for a customer abroad"))
    return out


# A company's legal form closing its name (Sociedad por Acciones Simplificada, Sociedad Anónima, Limitada,
# en comandita, empresa unipersonal, and the common foreign ones): only a persona jurídica is named so.
LEGAL_FORM = re.compile(
    r"(?:\bS\.?\s?A\.?\s?S\.?|\bS\.?\s?A\.?|\bLTDA\.?|\bLIMITADA|\bS\.?\s?C\.?\s?A\.?|\bS\.?\s?EN\s?C\.?|\bE\.?\s?U\.?"
    r"|&\s?C[IÍ]A\.?|\bINC\.?|\bLLC\.?|\bLTD\.?|\bGMBH|\bS\.?\s?R\.?\s?L\.?|\bS\.?\s?L\.?"
    # foreign companies' (issue 25): Corp., Corporation, Limited, PLC, B.V., N.V., S.p.A., SARL, AG
    r"|\bCORP\.?|\bCORPORATION|\bLIMITED|\bPLC|\bB\.\s?V\.?|\bN\.\s?V\.?|\bS\.\s?P\.\s?A\.?|\bSARL|\bAG)\s*$",
    re.IGNORECASE,
)


def derived_person_type(id_type: str, razon_social: str | None = None) -> PersonType | None:
    """The person type that cannot be wrong when none is recorded: natural for a document only a person holds,
    jurídica for a name ending in a company's legal form (Colombian or foreign), else None (to be asked)."""
    if id_type in codelists.NATURAL_PERSON_ID_TYPES:
        return PersonType.NATURAL
    if razon_social and LEGAL_FORM.search(razon_social.strip()):
        return PersonType.JURIDICA
    return None
