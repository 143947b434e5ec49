"""Colombian identity documents: DIAN codes and number normalisation."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from stdnum.co import nit as stdnum_nit


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
    # 43: a buyer abroad with no identification (or one the DIAN defines for the use), Anexo 1.9 (issue 25).
    SIN_ID_EXTERIOR = "SIN_ID_EXTERIOR"

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
    TipoDocumento.SIN_ID_EXTERIOR: "43",
}
# Documents of a party abroad: a foreign NIT, a foreign identification document, none (issue 25).
FOREIGN_TYPES = frozenset({TipoDocumento.DIE, TipoDocumento.NIT_EXTRANJERO, TipoDocumento.SIN_ID_EXTERIOR})

NUMERIC_TYPES = frozenset({TipoDocumento.CC, TipoDocumento.TI, TipoDocumento.RC, TipoDocumento.NUIP, TipoDocumento.CE})
MAX_NUMBER_LENGTH = 20
MIN_NIT_LENGTH, MAX_NIT_LENGTH = 7, 15  # digits before the check digit, as python-stdnum counts them

_SEPARATORS = re.compile(r"[\s.\-]+")
# ASCII digits only (re.ASCII): after NFKC, a digit of another script is still not a NIT digit.
_NIT_FORM = re.compile(r"^\s*(?P<number>\d[\d.\s]*?)\s*(?:-\s*(?P<dv>\d)\s*)?$", re.ASCII)
# A 9-digit NIT of the 800/900 series typed with its check digit glued on: "9003739141".
# (10-digit cédulas, which people also use as NIT, start with 1 and are never split.)
_GLUED_DV_FORM = re.compile(r"^[89]\d{9}$", re.ASCII)


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
    Every type: NFKC first (full-width "９００" is "900"), then only ASCII digits
    count as digits; leading zeros of a numeric number are not part of it
    ("0900123456" is 900123456). A 10-digit NIT starting with 8 or 9 whose last
    digit is the check digit of the first nine is that 9-digit NIT with its DV glued on.
    """
    text = unicodedata.normalize("NFKC", raw)
    if tipo is TipoDocumento.NIT:
        return _normalise_nit(text)
    number = _SEPARATORS.sub("", text).upper()
    if not number:
        raise InvalidIdentity("must not be blank")
    if len(number) > MAX_NUMBER_LENGTH:
        raise InvalidIdentity(f"must have at most {MAX_NUMBER_LENGTH} characters")
    if not number.isascii() or not number.isalnum():
        raise InvalidIdentity("may contain only letters A-Z and digits 0-9 (dots, spaces and hyphens are ignored)")
    if tipo in NUMERIC_TYPES:
        if not number.isdigit():
            raise InvalidIdentity(f"a {tipo.value} number has digits only")
        number = number.lstrip("0")
        if not number:
            raise InvalidIdentity("must not be zero")
    return Identity(tipo=tipo, number=number, dv=None)


def _normalise_nit(raw: str) -> Identity:
    match = _NIT_FORM.match(raw)
    if not match:
        raise InvalidIdentity(
            "a NIT is digits 0-9, optionally grouped with dots and followed by '-' and its check digit "
            "(e.g. 900.123.456-8)"
        )
    number = re.sub(r"[.\s]", "", match["number"]).lstrip("0")
    given = match["dv"]
    if given is None and _GLUED_DV_FORM.match(number) and nit_check_digit(number[:-1]) == number[-1]:
        number, given = number[:-1], number[-1]
    if not number:
        raise InvalidIdentity("is not a valid NIT")
    if not MIN_NIT_LENGTH <= len(number) <= MAX_NIT_LENGTH:
        raise InvalidIdentity(f"a NIT has between {MIN_NIT_LENGTH} and {MAX_NIT_LENGTH} digits before its check digit")
    expected = nit_check_digit(number)
    if given is not None and given != expected:
        raise InvalidIdentity(f"the check digit (dígito de verificación) of NIT {number} is {expected}, not {given}")
    return Identity(tipo=TipoDocumento.NIT, number=number, dv=expected)
