"""Base classes and field types shared by every capability's schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

BOGOTA = ZoneInfo("America/Bogota")


class ApiModel(BaseModel):
    """JSON in camelCase, as the original product's clients speak it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ApiInput(ApiModel):
    """A request body: unknown fields are refused by name, strings are trimmed."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


# Instants are stored in UTC and shown in Colombian time, with their offset.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.astimezone(BOGOTA).isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
