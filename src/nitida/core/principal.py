"""Who is acting, free of the web layer: services receive a Principal, never a request."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    OPERADOR = "OPERADOR"
    CONSULTA = "CONSULTA"  # read-only


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user a piece of work is done for (a request's caller, or a job's)."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    name: str
    role: Role
