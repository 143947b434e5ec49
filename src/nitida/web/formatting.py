"""es-CO formats for people, applied on the server: ``$ 1.234.567,89``, ``25/11/2026``, ``900.123.456-8``.

Babel's es_CO currency pattern has no space after the sign and browsers' Intl
rounds pesos to whole units, so the few lines here are the one definition the
pages use. Parsing is tolerant the way people type in Colombia: ``1.234,5``
and ``1234.5`` are both one thousand two hundred thirty-four and a half.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from nitida.core.clock import BOGOTA

CENT = Decimal("0.01")


def _group_thousands(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ".".join(groups)


def number(value: Decimal | int | None, decimals: int = 2) -> str:
    """1234567.891 -> "1.234.567,89" (half-up); with decimals=0 -> "1.234.568"."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    text = _group_thousands(whole)
    return f"{sign}{text},{fraction}" if decimals else f"{sign}{text}"


def money(value: Decimal | int | None) -> str:
    """Decimal("1234567.89") -> "$ 1.234.567,89"; negatives "-$ 1.000,00"."""
    if value is None:
        return ""
    text = number(value, 2)
    return f"-$ {text[1:]}" if text.startswith("-") else f"$ {text}"


def amount(value: Decimal | int | None, currency: str = "COP") -> str:
    """An amount in its currency: pesos as ``money``; another currency with its ISO code in place of the sign
    (Decimal("6785.39"), "USD" -> "USD 6.785,39"; an export invoice's, issue 25)."""
    text = money(value)
    return text if currency == "COP" or not text else text.replace("$", currency, 1)


def quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: 2.500000 -> "2,5", 1500 -> "1.500"."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    whole, _, fraction = text.lstrip("-").partition(".")
    sign = "-" if text.startswith("-") else ""
    return sign + _group_thousands(whole) + ("," + fraction if fraction else "")


def percent(value: Decimal | None) -> str:
    """19.00 -> "19 %", 2.50 -> "2,5 %"."""
    if value is None:
        return ""
    return f"{quantity(value)} %"


def day(value: date | datetime | None) -> str:
    """date(2026, 11, 25) -> "25/11/2026"; an instant is shown on Bogotá's calendar."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BOGOTA).date()
    return value.strftime("%d/%m/%Y")


def moment(value: datetime | None) -> str:
    """An instant in Bogotá: "25/11/2026 14:05"."""
    if value is None:
        return ""
    return value.astimezone(BOGOTA).strftime("%d/%m/%Y %H:%M")


def document(number_: str, dv: str | None) -> str:
    """A NIT grouped with its check digit: ("900123456", "8") -> "900.123.456-8"; other documents as stored."""
    if dv is None or not number_.isdigit():
        return number_
    return f"{_group_thousands(number_)}-{dv}"


_ES_CO_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$|^[+-]?\d+(,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class NotANumber(ValueError):
    """The text is not a number as people write one."""


def parse_number(text: str) -> Decimal:
    """A number as typed in a form, tolerant of both habits:

    "1.234.567,89", "1234567,89", "1234567.89" and "$ 1.234.567" are all read;
    a dot followed by exactly three digits and no comma ("1.500") is a
    thousands separator, as in Colombia. Raises NotANumber otherwise.
    """
    cleaned = text.strip().replace("$", "").replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise NotANumber("empty")
    if "," in cleaned or re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", cleaned):
        if not _ES_CO_NUMBER.match(cleaned):
            raise NotANumber(text)
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif not _PLAIN_NUMBER.match(cleaned):
        raise NotANumber(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the patterns above refused it
        raise NotANumber(text) from None


def decimal_input(value: Decimal | None) -> str:
    """A Decimal as a form field shows it for editing: 11900.00 -> "11900", 2.50 -> "2,5"."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")
