"""es-CO formats of the printed form: money, quantities, dates, NIT, and pesos in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from nitida.dian import formats


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("179778.52", "$ 179.778,52"),
        ("0", "$ 0,00"),
        ("1000000", "$ 1.000.000,00"),
        ("999.5", "$ 999,50"),
        ("-4350", "-$ 4.350,00"),
        ("0.005", "$ 0,01"),  # half up, as the totals round
    ],
)
def test_money(value, text):
    assert formats.money(Decimal(value)) == text


@pytest.mark.parametrize(("value", "text"), [("1.5", "1,5"), ("10", "10"), ("1234.000", "1.234"), ("0.25", "0,25")])
def test_quantities(value, text):
    assert formats.number(Decimal(value)) == text


def test_dates_are_bogota_days():
    assert formats.date(dt.date(2026, 11, 25)) == "25/11/2026"
    # 03:00 UTC on the 26th is still the 25th in Bogotá.
    late = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    assert formats.date(late) == "25/11/2026"
    assert formats.time(late) == "22:00:00"


def test_nit_with_check_digit():
    assert formats.nit("900123456", "8") == "900.123.456-8"
    assert formats.nit("1020304050") == "1.020.304.050"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("179778.52", "Ciento setenta y nueve mil setecientos setenta y ocho pesos con cincuenta y dos centavos M/CTE"),
        ("1", "Un peso M/CTE"),
        ("21", "Veintiún pesos M/CTE"),
        ("31.01", "Treinta y un pesos con un centavo M/CTE"),
        ("21000", "Veintiún mil pesos M/CTE"),
        ("1000000", "Un millón de pesos M/CTE"),
        ("2000000", "Dos millones de pesos M/CTE"),
        ("21000000", "Veintiún millones de pesos M/CTE"),
        ("1500000", "Un millón quinientos mil pesos M/CTE"),
        ("100", "Cien pesos M/CTE"),
        ("0.50", "Cero pesos con cincuenta centavos M/CTE"),
    ],
)
def test_pesos_in_words(value, words):
    assert formats.pesos_in_words(Decimal(value)) == words


def test_negative_amounts_have_no_words():
    with pytest.raises(ValueError):
        formats.pesos_in_words(Decimal("-1"))
