"""es-CO formats as the pages show them, and numbers as people in Colombia type them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from nitida.web import formatting as fmt
from nitida.web.messages import spanish


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1234567.89", "$ 1.234.567,89"),
        ("0", "$ 0,00"),
        ("999.995", "$ 1.000,00"),  # half-up, as the invoices' totals round
        ("100", "$ 100,00"),
        ("-1500.5", "-$ 1.500,50"),
        ("1000000000000.00", "$ 1.000.000.000.000,00"),
    ],
)
def test_money_is_shown_with_the_colombian_separators_and_two_decimals(value, shown):
    assert fmt.money(Decimal(value)) == shown


def test_dates_are_day_month_year_on_the_bogota_calendar():
    assert fmt.day(date(2026, 11, 25)) == "25/11/2026"
    # 03:00 UTC on the 26th is still the 25th in Bogotá (UTC-5).
    assert fmt.day(datetime(2026, 11, 26, 3, 0, tzinfo=UTC)) == "25/11/2026"
    assert fmt.moment(datetime(2026, 11, 26, 3, 5, tzinfo=UTC)) == "25/11/2026 22:05"
    assert fmt.day(None) == ""


def test_a_nit_is_grouped_with_its_check_digit():
    assert fmt.document("900123456", "8") == "900.123.456-8"
    assert fmt.document("8001972684", "1") == "8.001.972.684-1"
    assert fmt.document("AB123", None) == "AB123"


def test_quantities_and_percentages_drop_trailing_zeros():
    assert fmt.quantity(Decimal("2.500000")) == "2,5"
    assert fmt.quantity(Decimal("1500")) == "1.500"
    assert fmt.percent(Decimal("19.00")) == "19 %"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1.234.567,89", "1234567.89"),
        ("1234567,89", "1234567.89"),
        ("1234567.89", "1234567.89"),
        ("$ 11.900", "11900"),
        ("1.500", "1500"),  # a dot before three digits groups thousands, as in Colombia
        ("1,5", "1.5"),
        (" 42 ", "42"),
    ],
)
def test_numbers_are_read_as_typed_in_colombia(typed, value):
    assert fmt.parse_number(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["", "abc", "1,2,3", "1.23.4", "12..5", "1e5"])
def test_what_is_not_a_number_is_refused(typed):
    with pytest.raises(fmt.NotANumber):
        fmt.parse_number(typed)


def test_service_messages_are_shown_in_spanish():
    assert spanish("the check digit (dígito de verificación) of NIT 900123456 is 8, not 3") == (
        "El dígito de verificación (DV) del NIT 900123456 es 8, no 3."
    )
    assert (
        spanish("141610.01 is more than the balance of 141610.00.") == "Supera el saldo de la factura ($ 141.610,00)."
    )
    assert spanish("Value error, must be greater than 0") == "Debe ser mayor que 0."
    assert spanish("something no one translated") == "Valor no válido."


def test_every_history_action_the_services_record_reads_in_spanish():
    """A history row never shows a code (SENT_TO_DIAN, IMPORT_UPDATED…): each action written anywhere in the
    services has its Spanish label."""
    import re
    from pathlib import Path

    from nitida.customers import import_apply
    from nitida.web import labels

    source = "\n".join(p.read_text() for p in (Path(labels.__file__).parents[1]).rglob("*.py"))
    written = set(
        re.findall(
            r"(?:action=|_audit\(\s*session,\s*actor,\s*row,\s*|_record\(\s*session,\s*actor,\s*"
            r'(?:invoice|note),\s*)"([A-Z_]{4,})"',
            source,
        )
    )
    written |= {import_apply.IMPORT_CREATED, import_apply.IMPORT_UPDATED}
    assert {"SENT_TO_DIAN", "ACCEPTED_BY_DIAN", "ISSUED", "VOIDED"} <= written  # the scan finds them
    assert written - labels.ACTION.keys() == set()
