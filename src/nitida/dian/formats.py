"""es-CO formats for printed documents: ``$ 1.234.567,89``, ``25/11/2026``, and pesos in words (num2words)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words  # type: ignore[import-untyped]

from nitida.core.clock import BOGOTA

CENT = Decimal("0.01")


def _group(digits: str) -> str:
    return f"{int(digits):,}".replace(",", ".")


def money(value: Decimal) -> str:
    """``Decimal("179778.52")`` -> ``"$ 179.778,52"``; negatives as ``"-$ 1.000,00"``."""
    quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if quantized < 0 else ""
    units, cents = f"{abs(quantized):f}".split(".")
    return f"{sign}$ {_group(units)},{cents}"


def number(value: Decimal, max_decimals: int = 6) -> str:
    """Quantities and rates without needless zeros: ``1.5`` -> ``"1,5"``, ``10`` -> ``"10"``, ``1234`` -> ``"1.234"``."""
    text = f"{value.quantize(Decimal(1).scaleb(-max_decimals)).normalize():f}"
    units, _, decimals = text.partition(".")
    sign = "-" if units.startswith("-") else ""
    grouped = _group(units.lstrip("-"))
    return f"{sign}{grouped},{decimals}" if decimals else f"{sign}{grouped}"


def date(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(BOGOTA).date()
    return value.strftime("%d/%m/%Y")


def time(value: dt.datetime) -> str:
    return value.astimezone(BOGOTA).strftime("%H:%M:%S")


def nit(number_text: str, dv: str | None = None) -> str:
    """``900123456``, ``8`` -> ``"900.123.456-8"``; other identifications keep their digits grouped."""
    grouped = _group(number_text) if number_text.isdigit() else number_text
    return f"{grouped}-{dv}" if dv else grouped


def _cardinal(value: int) -> str:
    words = num2words(value, lang="es_CO")
    # Before a noun (pesos, centavos) and before mil/millones, "uno" shortens: veintiún mil, un millón, treinta y un pesos.
    words = re.sub(r"\bveintiuno\b", "veintiún", words)
    return re.sub(r"\buno\b", "un", words)


def pesos_in_words(value: Decimal) -> str:
    """``179778.52`` -> ``"Ciento setenta y nueve mil setecientos setenta y ocho pesos con cincuenta y dos centavos
    M/CTE"`` (moneda corriente), as Colombian invoices write the total."""
    quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized < 0:
        raise ValueError("an amount in words is not negative")
    units = int(quantized)
    cents = int((quantized - units) * 100)
    words = _cardinal(units)
    if units == 1:
        text = "un peso"
    elif units and re.search(r"\b(millón|millones)$", words):
        text = f"{words} de pesos"  # un millón de pesos, dos millones de pesos
    else:
        text = f"{words} pesos"
    if cents:
        text += f" con {_cardinal(cents)} {'centavo' if cents == 1 else 'centavos'}"
    text += " M/CTE"
    return text[0].upper() + text[1:]


def money_in(value: Decimal, currency: str) -> str:
    """An amount in its currency: pesos as ``money`` writes them, another currency with its ISO code in place of
    the sign (``Decimal("6785.39"), "USD"`` -> ``"USD 6.785,39"``; issue 25)."""
    if currency == "COP":
        return money(value)
    return money(value).replace("$", currency, 1)


def amount_in_words(value: Decimal, currency: str, currency_name: str) -> str:
    """The total in words: pesos as ``pesos_in_words``; another currency as its units in words and its cents
    as a fraction, named by the DIAN's name of the currency (``"Seis mil setecientos ochenta y cinco con 39/100
    USD (Dólar estadounidense)"``)."""
    if currency == "COP":
        return pesos_in_words(value)
    quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized < 0:
        raise ValueError("an amount in words is not negative")
    units = int(quantized)
    cents = int((quantized - units) * 100)
    text = f"{_cardinal(units)} con {cents:02d}/100 {currency} ({currency_name})"
    return text[0].upper() + text[1:]
