"""Job kinds and their handlers.

A domain declares each kind it enqueues by name where it enqueues it
(``SEND = declare("delivery.send")``, as Polar's ``enqueue_job("…")``): enqueueing
needs the name only, never the handler's module. It registers the handler with
``@handler(SEND)`` in its own ``jobs`` module; ``nitida.handlers`` imports every such
module, and a worker refuses to start while a declared kind has no handler
(``missing_handlers``). A handler must be idempotent: it may run again after a crash
(at-least-once), so it checks what it already did before doing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nitida.core.db import TenantSession
from nitida.core.principal import Principal
from nitida.core.settings import Settings, get_settings
from nitida.jobs.models import Job


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job ends FAILED at once."""


@dataclass
class JobRun:
    """What a handler gets: the job, its tenant's session (the unit of work in
    which the job's success is recorded), who enqueued it, and a progress hook."""

    job: Job
    session: TenantSession
    actor: Principal | None
    progress: Callable[[int, int | None], None]
    # The worker's configuration (DIAN URL, SMTP, secret key); None: the process's own.
    configured: Settings | None = None

    @property
    def settings(self) -> Settings:
        return self.configured or get_settings()

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.session.tenant_id

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload


Handler = Callable[[JobRun], dict[str, Any] | None]

HANDLERS: dict[str, Handler] = {}
DECLARED: set[str] = set()


def declare(kind: str) -> str:
    """A job kind, by its name: what ``jobs.service.enqueue`` accepts."""
    DECLARED.add(kind)
    return kind


def missing_handlers() -> set[str]:
    """Declared kinds no imported module handles (import ``nitida.handlers`` first)."""
    return DECLARED - HANDLERS.keys()


def handler(kind: str) -> Callable[[Handler], Handler]:
    if kind not in DECLARED:
        raise ValueError(f"job kind {kind!r} is not declared (jobs.registry.declare)")

    def register(fn: Handler) -> Handler:
        if kind in HANDLERS and HANDLERS[kind] is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        HANDLERS[kind] = fn
        return fn

    return register
