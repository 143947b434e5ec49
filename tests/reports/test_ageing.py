"""The ageing's pure part: bucket bounds, Spanish column titles, the totals row (no database)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from nitida.reports import ageing
from nitida.vocabulary.identity import TipoDocumento

AS_OF = date(2026, 11, 25)


def _bucket_of(due: date) -> str:
    """The bucket a movement falls in, as the SQL CASE decides it: the first edge its due date reaches."""
    for name, edge in zip(ageing.BUCKETS, ageing.bucket_edges(AS_OF)):
        if due >= edge:
            return name
    return ageing.BUCKETS[-1]


def test_bucket_edges_are_the_first_due_date_of_each_bucket():
    assert ageing.bucket_edges(AS_OF) == (date(2026, 11, 25), date(2026, 10, 26), date(2026, 9, 26), date(2026, 8, 27))
    # Across a year end and a leap day, days are calendar days.
    assert ageing.bucket_edges(date(2024, 3, 1)) == (
        date(2024, 3, 1),
        date(2024, 1, 31),
        date(2024, 1, 1),
        date(2023, 12, 2),
    )


def test_days_past_due_fall_in_their_bucket_at_every_boundary():
    expected = {-5: "not_due", 0: "not_due", 1: "days_1_to_30", 30: "days_1_to_30", 31: "days_31_to_60"}
    expected |= {60: "days_31_to_60", 61: "days_61_to_90", 90: "days_61_to_90", 91: "over_90", 400: "over_90"}
    for days_past_due, bucket in expected.items():
        due = date.fromordinal(AS_OF.toordinal() - days_past_due)
        assert _bucket_of(due) == bucket, days_past_due


def test_buckets_and_their_spanish_titles_in_column_order():
    assert ageing.BUCKETS == ("not_due", "days_1_to_30", "days_31_to_60", "days_61_to_90", "over_90")
    assert list(ageing.LABELS) == list(ageing.BUCKETS)
    assert list(ageing.LABELS.values()) == [
        "No vencido",
        "1 a 30 días",
        "31 a 60 días",
        "61 a 90 días",
        "Más de 90 días",
    ]


def _row(name: str, *amounts: str) -> ageing.AgingRow:
    not_due, days_1_to_30, days_31_to_60, days_61_to_90, over_90 = values = [Decimal(a) for a in amounts]
    return ageing.AgingRow(
        uuid.uuid4(),
        name,
        TipoDocumento.NIT,
        "900123456",
        "8",
        not_due,
        days_1_to_30,
        days_31_to_60,
        days_61_to_90,
        over_90,
        sum(values, Decimal(0)),
    )


def test_the_totals_row_sums_each_bucket_and_the_total_to_the_cent():
    rows = [
        _row("Papelería", "100.10", "0.00", "0.00", "0.00", "5.00"),
        _row("Colegio", "0.01", "-3.00", "7.50", "1", "0"),
    ]
    report = ageing.assemble(AS_OF, iter(rows))  # any iterable: the service hands a generator
    assert report.as_of == AS_OF
    assert report.rows == rows
    assert report.totals == {
        "not_due": Decimal("100.11"),
        "days_1_to_30": Decimal("-3.00"),
        "days_31_to_60": Decimal("7.50"),
        "days_61_to_90": Decimal("1.00"),
        "over_90": Decimal("5.00"),
        "total": Decimal("110.61"),
    }


def test_no_balances_give_a_totals_row_of_zeros_with_two_decimals():
    report = ageing.assemble(AS_OF, [])
    assert report.rows == []
    assert list(report.totals) == [*ageing.BUCKETS, "total"]
    # The files and the JSON print these: "0.00", not "0".
    assert all(str(v) == "0.00" for v in report.totals.values())
