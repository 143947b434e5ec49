"""Money and quantities: ``Decimal`` end to end, exact on both engines.

Columns: NUMERIC(18, scale) on PostgreSQL; on SQLite (whose NUMERIC is a
float) an exact integer count of the smallest unit (a BIGINT of cents for
money, of millionths for quantities).

JSON: amounts leave as strings with exactly two decimals ("119000.00"). They
arrive as strings or JSON numbers; a JSON number that a binary float cannot
hold exactly (0.1, 19.99…) is refused rather than silently rounded, and so is
anything with more decimals than the field allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 2
QUANTITY_SCALE = 6
PRECISION = 18

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The largest amount a NUMERIC(18, 2) holds; totals are checked against it.
MAX_MONEY = Decimal(10) ** (PRECISION - MONEY_SCALE) - CENT


class ScaledDecimal(TypeDecorator[Decimal]):
    """A fixed-scale Decimal column: NUMERIC(18, scale) or a scaled BIGINT on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE) -> None:
        super().__init__()
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(PRECISION, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            if isinstance(value, float):
                raise TypeError("floats are not accepted for exact decimal columns")
            value = Decimal(value)
        exact = value.quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimals")
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column declarations
    return ScaledDecimal(MONEY_SCALE)


def Quantity() -> ScaledDecimal:  # noqa: N802
    return ScaledDecimal(QUANTITY_SCALE)


# --- Pydantic ----------------------------------------------------------------

# ASCII digits only, and nothing after them: "１００" and "100\n" are not numbers here.
_DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_MAX_INPUT_CHARS = 40
_INPUT_LIMIT = Decimal(10) ** 20


def to_decimal(value: Any) -> Decimal:
    """A JSON string or number as an exact Decimal, or ValueError saying why not."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError("must be a decimal number, not a boolean")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite decimal number")
        exact = Decimal(value)
        if exact != Decimal(repr(value)):
            raise ValueError(
                f'the JSON number {value!r} cannot be represented exactly; send it as a string, e.g. "{value!r}"'
            )
        result = exact
    elif isinstance(value, str):
        text = value  # no trimming: the documented pattern allows no spaces either
        if len(text) > _MAX_INPUT_CHARS or not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError('must be a decimal number such as "1234.50"')
        try:
            result = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern already refused it
            raise ValueError('must be a decimal number such as "1234.50"') from None
    else:
        raise ValueError('must be a decimal number, as a string ("1234.50") or a JSON number')
    if not result.is_finite():
        raise ValueError("must be a finite decimal number")
    if abs(result) >= _INPUT_LIMIT:
        raise ValueError("is too large")
    return result


def _max_decimals(places: int) -> Callable[[Decimal], Decimal]:
    quantum = Decimal(1).scaleb(-places)

    def check(value: Decimal) -> Decimal:
        # By the digits given: "1.500" is three decimals, as a person reading it would count.
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise ValueError(f"must have at most {places} decimals")
        return value.quantize(quantum, context=_wide())

    return check


def _wide() -> Context:
    return Context(prec=60)


def format_money(value: Decimal) -> str:
    """Two decimals, no exponent: Decimal("119000") -> "119000.00"."""
    return f"{value:.{MONEY_SCALE}f}"


def _format_plain(value: Decimal) -> str:
    """1.500000 -> "1.5", 2.000000 -> "2": no exponent, no trailing zeros."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _input_schema(places: int, example: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "string", "pattern": rf"^[+-]?\d+(\.\d{{1,{places}}})?$", "maxLength": _MAX_INPUT_CHARS},
            {"type": "number"},
        ],
        "description": f"Decimal, as a string (preferred) or a JSON number; at most {places} decimals",
        "examples": [example],
    }


# Inputs: a string or a JSON number, exact, with at most N decimals.
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    AfterValidator(_max_decimals(MONEY_SCALE)),
    WithJsonSchema(_input_schema(MONEY_SCALE, "119000.00"), mode="validation"),
]
QuantityIn = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    AfterValidator(_max_decimals(QUANTITY_SCALE)),
    WithJsonSchema(_input_schema(QUANTITY_SCALE, "1.5"), mode="validation"),
]

# Outputs: strings. Money always with two decimals; quantities without trailing zeros.
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["119000.00"]}, mode="serialization"),
]
QuantityOut = Annotated[
    Decimal,
    PlainSerializer(_format_plain, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,6})?$", "examples": ["1.5"]}, mode="serialization"),
]
