"""Time as people and the DIAN read it: Colombia's clock (America/Bogota, UTC-5 all year). Stored times are UTC
(core.db.utcnow); dates people see, type and are billed on are Bogotá's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BOGOTA = ZoneInfo("America/Bogota")

# The instant the services read as "now", when one is set (``at``); the real clock otherwise.
_SET: ContextVar[datetime | None] = ContextVar("nitida_clock", default=None)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (timezone-aware): bogota_now, bogota_today and core.db.utcnow
    answer it. Only the demo's history uses it (nitida.demo.history: last year's invoices issued, signed and
    paid on their own dates, through the same services); requests and jobs always run on the real clock."""
    if moment.tzinfo is None:
        raise ValueError("the clock is set to a timezone-aware instant")
    token = _SET.set(moment)
    try:
        yield
    finally:
        _SET.reset(token)


def utc_now() -> datetime:
    moment = _SET.get()
    return moment.astimezone(UTC) if moment is not None else datetime.now(UTC)


def bogota_now() -> datetime:
    moment = _SET.get()
    return moment.astimezone(BOGOTA) if moment is not None else datetime.now(BOGOTA)


def bogota_today() -> date:
    """Today in Bogotá: between 00:00 and 05:00 UTC it is still yesterday there."""
    return bogota_now().date()
