"""Running a service call for a form: its errors come back for the page, in Spanish, by form field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nitida.core.db import TenantSession
from nitida.core.errors import AppError
from nitida.web import messages

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


class FormInvalid(Exception):
    """``status``: 409 where the API answers a conflict, else 422 (invalid input; htmx swaps it, see base.html)."""

    def __init__(self, errors: FormErrors, status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def _rename(fields: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    return {names.get(key, key): value for key, value in fields.items()}


def validate(model: type[M], data: dict[str, Any], names: dict[str, str]) -> M:
    """The service's own input model, built from a form; FormInvalid names the form's fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormInvalid(FormErrors(fields=_rename(messages.of_validation_error(exc), names))) from None


def attempt(session: TenantSession, names: dict[str, str], call: Callable[[], T]) -> T:
    """Run a service call in a savepoint: refused, it leaves nothing behind and raises FormInvalid."""
    try:
        with session.begin_nested():
            return call()
    except AppError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        fields, general = messages.of_app_error(exc)
        raise FormInvalid(
            FormErrors(fields=_rename(fields, names), general=general), 409 if exc.status == 409 else 422
        ) from None


MAX_PAGE = 100_000


def whole_number(text: str | None, default: int, *, at_most: int = MAX_PAGE) -> int:
    """A page number or a count from a URL or a form: ASCII digits from 1 to ``at_most``, else ``default``.

    ``str.isdigit`` is not enough: "²" is a digit to it and not to ``int``, and 5,000 digits are more than
    ``int`` reads (both were 500 pages); a page past the last is simply empty.
    """
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(at_most)):
        return default
    return min(max(int(text), 1), at_most)
