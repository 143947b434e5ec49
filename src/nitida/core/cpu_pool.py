"""A small pool of threads of its own for CPU-heavy work (argon2), with a
bounded wait, so a burst of such work never holds the threads every other
request needs.

Beyond ``max_waiting`` queued jobs, or when a job could not start within
``max_wait_seconds``, the caller gets ``PoolSaturated`` at once (the HTTP layer
answers 503 with Retry-After) and the queued work is skipped, not done late.
The threads run at a lower OS priority (nice), so the CPU goes first to the
short requests when both compete for it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("nitida.cpu")

NICENESS = 10


class PoolSaturated(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


class _Expired(Exception):
    pass


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (OSError, AttributeError):  # not Linux, or not allowed: run at normal priority
        pass


class CpuPool:
    def __init__(self, workers: int, max_wait_seconds: float, max_waiting: int | None = None) -> None:
        self.workers = workers
        self.max_wait = max_wait_seconds
        self.max_waiting = max_waiting if max_waiting is not None else workers * 16
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="nitida-cpu", initializer=_lower_priority)
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.max_wait))

    async def run(self, fn: Callable[..., T], *args) -> T:
        with self._lock:
            if self._pending >= self.workers + self.max_waiting:
                raise PoolSaturated(self.retry_after)
            self._pending += 1
        deadline = time.monotonic() + self.max_wait

        def job() -> T:
            if time.monotonic() > deadline:
                raise _Expired()  # its caller has been answered 503 already, or is about to be
            return fn(*args)

        try:
            return await asyncio.wrap_future(self._executor.submit(job))
        except _Expired:
            raise PoolSaturated(self.retry_after) from None
        finally:
            with self._lock:
                self._pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
