"""A bound on CPU-heavy work shared by every process of one host.

``nitida serve --workers N`` runs N processes, each with its own admission
(``core.cpu_pool``): N × its bound of argon2 hashes at once can take every
core from the short requests. ``HostSlots`` is ``count`` lock files in one
directory; whoever holds the (``flock``) lock of one holds a slot. The kernel
releases a flock when the holder's file is closed, so a worker that dies,
however it dies, frees its slot: nothing to clean up, nothing to expire.

Taking a slot never blocks: each file is tried with LOCK_NB in turn, and a
caller that finds none free sleeps (``asyncio.sleep``, holding no thread) a
short, growing, jittered while and tries again until its deadline.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import random
import stat
import tempfile
import time
from pathlib import Path

# Back-off between tries when every slot is taken: short against a hash
# (~100 ms), so a freed slot stays idle only briefly; capped so the waiters
# (at most the per-process bound in each process) wake a few dozen times a second.
FIRST_BACKOFF_SECONDS = 0.002
MAX_BACKOFF_SECONDS = 0.02


def default_directory(key: str) -> Path:
    """Per deployment (``key``: its database URL), so two services on one host
    do not share slots. Hashed: the URL may hold a password."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"nitida-cpu-slots-{os.getuid()}-{digest}"


class HostSlots:
    def __init__(self, directory: Path, count: int) -> None:
        if count < 1:
            raise ValueError("HostSlots needs at least one slot")
        self.directory = Path(directory)
        self.count = count
        _private_directory(self.directory)
        self._paths = [str(self.directory / f"slot-{i}") for i in range(count)]

    def try_acquire(self) -> int | None:
        """A held slot's file descriptor, or None when all are taken (never blocks)."""
        # From a random slot on: the waiters do not all fight over slot 0.
        start = random.randrange(self.count)
        for i in range(self.count):
            path = self._paths[(start + i) % self.count]
            # A descriptor of our own per try: flock conflicts between open files,
            # so two requests of one process exclude each other as two processes do.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                continue
            return fd
        return None

    async def acquire(self, deadline: float) -> int | None:
        """A slot, waiting (asleep) until ``deadline`` (time.monotonic()); None past it."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            fd = self.try_acquire()
            if fd is not None:
                return fd
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            await asyncio.sleep(min(left, backoff * random.uniform(0.5, 1.0)))
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    @staticmethod
    def release(fd: int) -> None:
        # Unlock before closing: a forked child sharing the descriptor would otherwise keep the lock.
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _private_directory(directory: Path) -> None:
    """Create it (0700) or accept it only if it is ours and not a link: in a
    shared /tmp another local user could otherwise hold every slot."""
    try:
        directory.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{directory} must be a directory of this user's, mode 0700 (the login slots)")
