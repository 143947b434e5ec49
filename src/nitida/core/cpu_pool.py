"""Admission and threads of their own for CPU-heavy requests (logins: argon2).

``admitted()`` lets at most ``workers`` such requests in at once per process
and, given ``host_slots``, at most that many across every process of the host
(``core.host_slots``: N worker processes would otherwise run N × ``workers``
hashes at once). One that cannot get in within ``max_wait_seconds`` (or finds
``max_waiting`` already waiting) gets ``PoolSaturated`` having done nothing
(the HTTP layer answers 503 with Retry-After): under a flood the excess costs
neither the database nor the CPU, and waiting holds no thread. ``run()``
executes the heavy part on the pool's own threads, never on the thread pool
every other endpoint needs, at a lower OS priority (nice), so when both
compete for the CPU the short requests go first.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from nitida.core.host_slots import HostSlots

T = TypeVar("T")

NICENESS = 10


class PoolSaturated(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (OSError, AttributeError):  # not Linux, or not allowed: run at normal priority
        pass


class CpuPool:
    def __init__(
        self,
        workers: int,
        max_wait_seconds: float,
        max_waiting: int | None = None,
        host_slots: HostSlots | None = None,
    ) -> None:
        self.workers = workers
        self.host_slots = host_slots
        self.max_wait = max_wait_seconds
        self.max_waiting = max_waiting if max_waiting is not None else workers * 32
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="nitida-cpu", initializer=_lower_priority)
        # One semaphore per event loop (a served app has one; tests may start several).
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._waiting = 0

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.max_wait))

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.workers)
        if slots.locked() and self._waiting >= self.max_waiting:
            raise PoolSaturated(self.retry_after)
        deadline = time.monotonic() + self.max_wait
        host_slot = None
        self._waiting += 1
        try:
            # The process's own slot first: only its holders poll the host's, so
            # at most `workers` requests per process poll, the rest wait asleep.
            try:
                async with asyncio.timeout(self.max_wait):
                    await slots.acquire()
            except TimeoutError:
                raise PoolSaturated(self.retry_after) from None
            if self.host_slots is not None:
                try:
                    host_slot = await self.host_slots.acquire(deadline)
                finally:
                    if host_slot is None:  # past the deadline, or cancelled while asleep
                        slots.release()
                if host_slot is None:
                    raise PoolSaturated(self.retry_after)
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            if host_slot is not None:
                HostSlots.release(host_slot)
            slots.release()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        future = asyncio.wrap_future(self._executor.submit(fn, *args))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # A running thread cannot be stopped: the caller keeps its slots (it
            # is inside admitted()) until the hash ends, so the bounds still hold.
            while not future.done():
                try:
                    await asyncio.wait([future])
                except asyncio.CancelledError:
                    pass
            raise
