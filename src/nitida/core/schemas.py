"""Base classes and field types shared by every capability's schemas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

from nitida.core.errors import BadRequest

BOGOTA = ZoneInfo("America/Bogota")


class ApiModel(BaseModel):
    """JSON in camelCase, as the original product's clients speak it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


# C0 controls other than tab, newline and carriage return, and DEL: never
# meaningful in business text, and PostgreSQL refuses NUL outright.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value: Any) -> Any:
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise ValueError("must not contain control characters")
    elif isinstance(value, list | tuple | set):
        for item in value:
            _refuse_control_characters(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key)
            _refuse_control_characters(item)
    return value


class ApiInput(ApiModel):
    """A request body: unknown fields are refused by name, strings are trimmed,
    control characters are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _refuse_control_characters(value)


def refuse_nulls(data: ApiInput, *fields: str) -> None:
    """PATCH: a required field that is present but null is a 400 naming it
    (null only clears optional fields)."""
    for name in fields:
        if name in data.model_fields_set and getattr(data, name) is None:
            raise BadRequest.field(type(data).model_fields[name].alias or name, "must not be null")


def local_iso(value: datetime) -> str:
    """An instant as a person in Colombia reads it: ISO 8601 with the -05:00 offset."""
    return value.astimezone(BOGOTA).isoformat()


# Instants are stored in UTC and shown in Colombian time, with their offset.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(local_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def total_count_header(what: str) -> dict[str, dict]:
    """OpenAPI description of the X-Total-Count header every list sends."""
    return {
        "X-Total-Count": {
            "description": f"{what} matching the filters, before limit/offset",
            "schema": {"type": "integer"},
        }
    }
