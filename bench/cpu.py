"""Where the CPU went during a measurement: the service's processes, PostgreSQL's, the
benchmark's own process (load generator, floor client) and the rest of the machine.

Everything shares the same cores, so a throughput that stops growing is a CPU budget
being spent; this says by whom. Read from /proc (Linux): a process's user + system time,
plus, for the service's master and PostgreSQL's postmaster, the time of children they
have reaped (a floor connection's backend exits when the floor closes it).
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TICKS = os.sysconf("SC_CLK_TCK")
REAP_SECONDS = 0.3


def _process_seconds(pid: int, reaped: bool) -> float:
    """CPU seconds of ``pid`` (and, with ``reaped``, of the children it has waited for)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command: state is field 3 of stat(5), utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError):
                pass
    tree, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parents.items() if pp in frontier]
        tree += frontier
    return tree


def tree_seconds(root: int) -> float:
    """CPU seconds of a process tree: the live processes' own, plus what ``root`` has reaped."""
    return sum(_process_seconds(pid, reaped=pid == root) for pid in process_tree(root))


def postmaster_pid(datadir: Path) -> int:
    return int((datadir / "postmaster.pid").read_text().split()[0])


def own_seconds() -> float:
    """This process's CPU seconds, all threads (the load generator or the floor's client)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent on anything but idle and I/O wait (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user already)
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy / TICKS


@dataclass
class Usage:
    """Cores busy, on average, over one measurement (CPU seconds / wall seconds)."""

    service: float  # the service's processes (0 for a floor run: it does not use them)
    postgres: float
    bench: float  # the load generator (service runs) or the floor's psycopg client (floor runs)
    machine: float  # everything busy on the machine, ours and not
    wall: float

    @property
    def other(self) -> float:
        """What the machine spent on processes of neither: noise on a shared host."""
        return max(0.0, self.machine - self.service - self.postgres - self.bench)

    def per_request_ms(self, cores: float, rps: float) -> float:
        return 1000 * cores / rps if rps else float("nan")


def measured(service_root: int | None, postmaster: int, run: Callable[[], T]) -> tuple[T, Usage]:
    """Run ``run`` and the cores each party kept busy meanwhile."""

    def snapshot(wall: float) -> tuple[float, float, float, float, float]:
        service = tree_seconds(service_root) if service_root is not None else 0.0
        return (service, tree_seconds(postmaster), own_seconds(), machine_busy_seconds(), wall)

    before = snapshot(time.perf_counter())
    result = run()
    end = time.perf_counter()
    # A floor closes its connections as it ends: their backends' time reaches the
    # postmaster's reaped total once it has waited for them.
    time.sleep(REAP_SECONDS)
    after = snapshot(end)
    service, postgres, bench, machine, wall = (a - b for a, b in zip(after, before, strict=True))
    wall = max(wall, 1e-9)
    return result, Usage(service / wall, postgres / wall, bench / wall, machine / wall, wall)
