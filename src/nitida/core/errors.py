"""Errors meant for the client, free of the web layer: services raise them,
core.problems turns them (and every other failure) into RFC 9457 problems."""

from __future__ import annotations

from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://nitida.co/problems/"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    requestId: str | None = None


class AppError(Exception):
    """An error meant for the client: status, a stable type slug and a detail."""

    status: int = 500
    slug: str = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        if slug:
            self.slug = slug


class BadRequest(AppError):
    status, slug = 400, "invalid-request"

    @classmethod
    def field(cls, field: str, message: str) -> BadRequest:
        return cls(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


class Unauthorized(AppError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str = "Missing or invalid credentials.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, slug = 403, "forbidden"


class NotFound(AppError):
    status, slug = 404, "not-found"


class Conflict(AppError):
    status, slug = 409, "conflict"


class TooManyRequests(AppError):
    status, slug = 429, "too-many-requests"


class ServiceUnavailable(AppError):
    status, slug = 503, "service-unavailable"
