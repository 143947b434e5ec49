"""Time as people and the DIAN read it: Colombia's clock (America/Bogota, UTC-5 all year). Stored times are UTC
(core.db.utcnow); dates people see, type and are billed on are Bogotá's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BOGOTA = ZoneInfo("America/Bogota")


def bogota_now() -> datetime:
    return datetime.now(BOGOTA)


def bogota_today() -> date:
    """Today in Bogotá: between 00:00 and 05:00 UTC it is still yesterday there."""
    return bogota_now().date()
