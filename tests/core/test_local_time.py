"""Instants as a person in Colombia reads them (core.schemas.local_iso)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from nitida.core.clock import BOGOTA
from nitida.core.schemas import local_iso


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_local_iso_is_the_zone_databases_bogota_time(instant):
    # The fast fixed offset must never differ from the tz database's rules.
    assert local_iso(instant) == instant.astimezone(BOGOTA).isoformat()


def test_summer_time_of_1992_and_the_day_it_ended():
    # Colombia's only summer time (1992-05-03 to 1993-02-07) was UTC-04:00.
    assert local_iso(datetime(1992, 12, 1, 12, tzinfo=UTC)) == "1992-12-01T08:00:00-04:00"
    end = datetime(1993, 2, 7, 4, tzinfo=UTC)  # midnight of summer time became 23:00 of the 6th
    assert local_iso(end - timedelta(microseconds=1)) == "1993-02-06T23:59:59.999999-04:00"
    assert local_iso(end) == "1993-02-06T23:00:00-05:00"


def test_an_invoice_of_late_evening_is_shown_on_its_colombian_day():
    # 03:01 UTC on the 25th is still the 24th in Bogotá.
    assert local_iso(datetime(2026, 11, 25, 3, 1, 1, tzinfo=UTC)) == "2026-11-24T22:01:01-05:00"
    assert local_iso(datetime(2026, 11, 25, 3, 1, 1, tzinfo=ZoneInfo("Europe/Madrid"))) == "2026-11-24T21:01:01-05:00"
