"""Colombian identity documents: DIAN codes and number normalisation."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from stdnum.co import nit as stdnum_nit
from stdnum.exceptions import InvalidLength, ValidationError


class TipoDocumento(enum.StrEnum):
    """Document types, named as DIAN names them; ``.codigo`` is the code the
    electronic invoice carries (Resolución DIAN 000165 de 2023, tabla 13.2.1)."""

    RC = "RC"
    TI = "TI"
    CC = "CC"
    TE = "TE"
    CE = "CE"
    NIT = "NIT"
    PASAPORTE = "PASAPORTE"
    DIE = "DIE"
    PEP = "PEP"
    PPT = "PPT"
    NIT_EXTRANJERO = "NIT_EXTRANJERO"
    NUIP = "NUIP"

    @property
    def codigo(self) -> str:
        return DIAN_CODES[self]


DIAN_CODES: dict[TipoDocumento, str] = {
    TipoDocumento.RC: "11",
    TipoDocumento.TI: "12",
    TipoDocumento.CC: "13",
    TipoDocumento.TE: "21",
    TipoDocumento.CE: "22",
    TipoDocumento.NIT: "31",
    TipoDocumento.PASAPORTE: "41",
    TipoDocumento.DIE: "42",
    TipoDocumento.PEP: "47",
    TipoDocumento.PPT: "48",
    TipoDocumento.NIT_EXTRANJERO: "50",
    TipoDocumento.NUIP: "91",
}

NUMERIC_TYPES = frozenset({TipoDocumento.CC, TipoDocumento.TI, TipoDocumento.RC, TipoDocumento.NUIP, TipoDocumento.CE})
MAX_NUMBER_LENGTH = 20

_SEPARATORS = re.compile(r"[\s.\-]+")
_NIT_FORM = re.compile(r"^\s*(?P<number>\d[\d.\s]*?)\s*(?:-\s*(?P<dv>\d)\s*)?$")


class InvalidIdentity(ValueError):
    """The number cannot be a document of its type; the message says why."""


@dataclass(frozen=True, slots=True)
class Identity:
    tipo: TipoDocumento
    number: str  # normalised; for NIT without the check digit
    dv: str | None  # NIT check digit, None for other types


def nit_check_digit(number: str) -> str:
    return stdnum_nit.calc_check_digit(number)


def normalise(tipo: TipoDocumento, raw: str) -> Identity:
    """Normalise a document number as a person may type it.

    NIT: ``900123456``, ``900.123.456``, ``900123456-8``, ``900.123.456-8``
    (spaces tolerated). A given check digit must be the right one.
    """
    if tipo is TipoDocumento.NIT:
        return _normalise_nit(raw)
    number = _SEPARATORS.sub("", raw).upper()
    if not number:
        raise InvalidIdentity("must not be blank")
    if len(number) > MAX_NUMBER_LENGTH:
        raise InvalidIdentity(f"must have at most {MAX_NUMBER_LENGTH} characters")
    if tipo in NUMERIC_TYPES and not number.isdigit():
        raise InvalidIdentity(f"a {tipo.value} number has digits only")
    if not number.isalnum() or not number.isascii():
        raise InvalidIdentity("may contain only letters and digits (dots, spaces and hyphens are ignored)")
    return Identity(tipo=tipo, number=number, dv=None)


def _normalise_nit(raw: str) -> Identity:
    match = _NIT_FORM.match(raw)
    if not match:
        raise InvalidIdentity(
            "a NIT is digits, optionally grouped with dots and followed by '-' and its check digit (e.g. 900.123.456-8)"
        )
    number = re.sub(r"[.\s]", "", match["number"])
    expected = nit_check_digit(number)
    try:
        stdnum_nit.validate(number + expected)
    except InvalidLength:
        raise InvalidIdentity("a NIT has between 7 and 15 digits before its check digit") from None
    except ValidationError:
        raise InvalidIdentity("is not a valid NIT") from None
    given = match["dv"]
    if given is not None and given != expected:
        raise InvalidIdentity(f"the check digit (dígito de verificación) of NIT {number} is {expected}, not {given}")
    return Identity(tipo=TipoDocumento.NIT, number=number, dv=expected)
