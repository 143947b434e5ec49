"""The ageing's pure part: its buckets, their bounds and Spanish labels, and the report's totals row.

``reports.service.aging_statement`` builds the SQL from ``bucket_edges``; this module holds
what the buckets mean (days past due = as_of - due date) without the database, so it can be
checked alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from nitida.core.money import ZERO
from nitida.vocabulary.identity import TipoDocumento

# Field names, in the order of the report's columns.
BUCKETS = ("not_due", "days_1_to_30", "days_31_to_60", "days_61_to_90", "over_90")
# The column titles of the CSV and XLSX files, one per bucket.
LABELS = {
    "not_due": "No vencido",
    "days_1_to_30": "1 a 30 días",
    "days_31_to_60": "31 a 60 días",
    "days_61_to_90": "61 a 90 días",
    "over_90": "Más de 90 días",
}
# The last day past due of every bucket but "over 90": 0 (due today or later), 30, 60, 90.
LAST_DAY_PAST_DUE = (0, 30, 60, 90)


def bucket_edges(as_of: date) -> tuple[date, ...]:
    """The earliest due date of each bucket but the last: a movement whose invoice is due on or after
    ``edges[0]`` is not yet due, on or after ``edges[1]`` 1–30 days past due, …; before ``edges[3]``
    more than 90 days."""
    return tuple(as_of - timedelta(days=days) for days in LAST_DAY_PAST_DUE)


@dataclass
class AgingRow:
    customer_id: uuid.UUID
    razon_social: str
    tipo_documento: TipoDocumento
    nit: str
    dv: str | None
    not_due: Decimal
    days_1_to_30: Decimal
    days_31_to_60: Decimal
    days_61_to_90: Decimal
    over_90: Decimal
    total: Decimal


@dataclass
class AgingReport:
    as_of: date
    rows: list[AgingRow]
    totals: dict[str, Decimal] = field(default_factory=dict)


def assemble(as_of: date, rows: Iterable[AgingRow]) -> AgingReport:
    """The report of these rows with its totals row: each bucket and the total summed over the customers."""
    listed = list(rows)
    totals = {name: sum((getattr(r, name) for r in listed), ZERO) for name in (*BUCKETS, "total")}
    return AgingReport(as_of=as_of, rows=listed, totals=totals)
