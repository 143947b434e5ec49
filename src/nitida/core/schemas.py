"""Base classes and field types shared by every capability's schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel

from nitida.core.clock import BOGOTA
from nitida.core.errors import BadRequest
from nitida.core.text_policy import FORBIDDEN, check_text


class ApiModel(BaseModel):
    """JSON in camelCase, as the original product's clients speak it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


# What no text may hold (controls, bidi overrides, separators, non-characters):
# one policy, core.text_policy, for bodies and query parameters alike.
CONTROL_CHARACTERS = FORBIDDEN


def _refuse_control_characters(value: Any) -> Any:
    # Objects are left to the nested ApiInput they become, which applies this
    # same check and names the exact field (lines[0].description, not lines).
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, list | tuple | set):
        for item in value:
            _refuse_control_characters(item)
    return value


class ApiInput(ApiModel):
    """A request body: unknown fields are refused by name, strings are trimmed,
    every string (nested ones too) follows the text policy of core.text_policy."""

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


# A free-text field of a request. ApiInput applies the text policy of core.text_policy
# to every string it holds, this type included, before any length check: a type of
# its own here would turn "String should have at least 1 character" into a generic message.
FreeText = str

# A secret as typed: never trimmed (surrounding spaces are part of it), never truncated.
Secret = Annotated[str, StringConstraints(strip_whitespace=False)]


def refuse_nulls(data: ApiInput, *fields: str) -> None:
    """PATCH: a required field that is present but null is a 400 naming it
    (null only clears optional fields)."""
    for name in fields:
        if name in data.model_fields_set and getattr(data, name) is None:
            raise BadRequest.field(type(data).model_fields[name].alias or name, "must not be null")


# Colombia has kept UTC-05:00 all year since its summer time of 1992-93 ended
# (tz database: America/Bogota, last transition 1993-02-07 04:00 UTC). A fixed offset
# converts in a fraction of ZoneInfo's time (the whole list formats 200,000
# instants); earlier instants take the zone's rules.
_COLOMBIA_FIXED = timezone(timedelta(hours=-5))
_FIXED_SINCE = datetime(1993, 2, 7, 4, tzinfo=UTC)


def local_iso(value: datetime) -> str:
    """An instant as a person in Colombia reads it: ISO 8601 with the -05:00 offset."""
    if value >= _FIXED_SINCE:
        return value.astimezone(_COLOMBIA_FIXED).isoformat()
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
