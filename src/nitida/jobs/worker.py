"""``nitida worker``: runs due jobs until stopped.

Polling (every ``poll_seconds`` when the queue is empty) rather than
LISTEN/NOTIFY: the same loop works on SQLite and PostgreSQL, needs no
dedicated connection, and a job enqueued by any process is found within a
second. Several workers (processes or threads) share the queue safely.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from nitida.core.db import Database
from nitida.core.settings import Settings
from nitida.jobs import service
from nitida.jobs.models import JobStatus
from nitida.jobs.registry import missing_handlers
from nitida.jobs.service import QueuePolicy

log = logging.getLogger("nitida.jobs")


class Worker:
    def __init__(
        self,
        db: Database,
        *,
        policy: QueuePolicy | None = None,
        poll_seconds: float = 1.0,
        name: str | None = None,
        only_tenant: uuid.UUID | None = None,
        settings: Settings | None = None,
    ) -> None:
        missing = missing_handlers()
        if missing:  # a queue of jobs nothing would run: refuse to start, saying which
            raise RuntimeError(f"no handler for the declared job kinds {sorted(missing)}: import nitida.handlers")
        self.db = db
        self.settings = settings  # handed to handlers (JobRun.settings); None: the process's settings
        self.policy = policy or (QueuePolicy.from_settings(settings) if settings else QueuePolicy())
        self.poll_seconds = poll_seconds
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.only_tenant = only_tenant  # drain one tenant's queue (tests, support)

    def run_once(self) -> JobStatus | None:
        """Claim and run one due job; None when none is due."""
        claimed = service.claim(self.db, self.id, self.policy, only_tenant=self.only_tenant)
        if claimed is None:
            return None
        return service.run_claimed(self.db, claimed, self.id, self.policy, self.settings)

    def run_until_idle(self, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is due (tests, ``nitida worker --until-idle``)."""
        ran = 0
        while ran < max_jobs and self.run_once() is not None:
            ran += 1
        return ran

    def run_forever(self) -> None:
        log.info("worker %s started", self.id)
        while not self.stopping.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database is away: wait and try again
                log.exception("worker %s: could not claim a job", self.id)
                ran = None
            if ran is None:
                self.stopping.wait(self.poll_seconds)
        log.info("worker %s stopped", self.id)

    def start_thread(self) -> threading.Thread:
        """Run in a daemon thread of this process (``nitida serve`` on SQLite)."""
        thread = threading.Thread(target=self.run_forever, name=f"nitida-worker-{self.id}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
