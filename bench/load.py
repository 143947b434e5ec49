"""Closed-loop load: N clients, each sending its next request when the last one ends.

HTTP side: a minimal asyncio HTTP/1.1 client (keep-alive, Content-Length and
chunked bodies) on uvloop. Every request's latency is measured from just before
its bytes are written to just after the last byte of its response is read;
the time to the first response byte is kept too (for the streamed list).

Floor side: the same SQL through psycopg, one connection per client thread
(psycopg releases the GIL while it waits on the server).

Both report requests/s over the measured window and exact percentiles of
every request completed in it (after a warm-up that is not counted).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    label: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds
    first_bytes: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0
    error_sample: str = ""
    bytes_received: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float, values: list[float] | None = None) -> float:
        values = sorted(self.latencies if values is None else values)
        if not values:
            return math.nan
        k = max(0, math.ceil(p / 100 * len(values)) - 1)
        return values[k]

    def first_byte_p50(self) -> float:
        return self.pct(50, self.first_bytes)


# --- HTTP ---------------------------------------------------------------------


class HttpError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None):
        """(status, seconds to first byte, seconds to last byte, body bytes, response headers)."""
        if self.writer is None:
            await self.open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        reader, writer = self.reader, self.writer
        assert reader is not None and writer is not None  # open() set both
        t0 = time.perf_counter()
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        t_first = time.perf_counter()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        resp_headers = {}
        for h in header_lines:
            if h:
                k, _, v = h.partition(":")
                resp_headers[k.strip().lower()] = v.strip()
        received: bytes | bytearray = bytearray()
        if "content-length" in resp_headers:
            received = await reader.readexactly(int(resp_headers["content-length"]))
            size = len(received)
        elif resp_headers.get("transfer-encoding", "").lower() == "chunked":
            size = 0
            while True:
                line = await reader.readuntil(b"\r\n")
                n = int(line.split(b";")[0], 16)
                chunk = await reader.readexactly(n + 2)
                size += n
                if status >= 400 or size < 65536:
                    received += chunk[:-2]
                if n == 0:
                    break
        else:
            raise HttpError(f"response without length: {resp_headers}")
        t_end = time.perf_counter()
        if resp_headers.get("connection", "").lower() == "close":
            self.close()
        return status, t_first - t0, t_end - t0, bytes(received), size, resp_headers


# A request factory: (client index, request number) -> (method, path, body, expected status)
RequestFactory = Callable[[int, int], tuple[str, str, bytes | None, int]]


async def _http_run(host, port, headers, factory: RequestFactory, clients, warmup, duration, max_requests):
    result = Result("", clients)
    conns = [Connection(host, port) for _ in range(clients)]
    for c in conns:
        await c.open()
    state = {"measuring": False, "stop": False, "n": 0}

    async def client(i: int) -> None:
        seq = 0
        conn = conns[i]
        while not state["stop"]:
            method, path, body, expected = factory(i, seq)
            seq += 1
            measuring = state["measuring"]
            try:
                status, first, total, content, size, _ = await conn.request(method, path, headers, body)
            except (OSError, asyncio.IncompleteReadError, HttpError) as exc:
                conn.close()
                result.errors += 1
                result.error_sample = result.error_sample or repr(exc)
                continue
            if measuring and state["measuring"]:
                if status != expected:
                    result.errors += 1
                    result.error_sample = result.error_sample or f"{status}: {content[:300]!r}"
                    continue
                result.latencies.append(total)
                result.first_bytes.append(first)
                result.bytes_received += size
                state["n"] += 1
                if max_requests and state["n"] >= max_requests:
                    state["stop"] = True

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.sleep(warmup)
    state["measuring"] = True
    t0 = time.perf_counter()
    deadline = t0 + duration
    while time.perf_counter() < deadline and not state["stop"]:
        await asyncio.sleep(0.01)
    # Requests still in flight at the deadline finish and count: the window is
    # the time until the last of them ends, so slow requests are never dropped.
    state["stop"] = True
    await asyncio.gather(*tasks)
    result.elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return result


def run_http(
    host: str,
    port: int,
    headers: dict[str, str],
    factory: RequestFactory,
    *,
    clients: int,
    warmup: float,
    duration: float,
    max_requests: int = 0,
) -> Result:
    runner: Callable[..., Result]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    return runner(_http_run(host, port, headers, factory, clients, warmup, duration, max_requests))


# --- floor: psycopg directly ------------------------------------------------------

# A floor action: (connection, client index, request number, marks), its result unused (raises on
# failure); it may append the instant its first row arrived to ``marks``.
FloorAction = Callable[[Any, int, int, list[float]], object]


def run_floor(
    dsn: str,
    action: FloorAction,
    *,
    clients: int,
    warmup: float,
    duration: float,
    max_requests: int = 0,
    first_byte: Callable | None = None,
) -> Result:
    import psycopg

    result = Result("", clients)
    lock = threading.Lock()
    state = {"measuring": False, "stop": False, "n": 0}
    conns = [psycopg.connect(dsn) for _ in range(clients)]
    for c in conns:
        c.execute("SELECT 1")
        c.rollback()

    def client(i: int) -> None:
        seq = 0
        conn = conns[i]
        while not state["stop"]:
            measuring = state["measuring"]
            t0 = time.perf_counter()
            marks: list[float] = []
            try:
                action(conn, i, seq, marks)
            except Exception as exc:  # noqa: BLE001 - counted and shown
                conn.rollback()
                with lock:
                    result.errors += 1
                    result.error_sample = result.error_sample or repr(exc)
                seq += 1
                continue
            t1 = time.perf_counter()
            seq += 1
            if measuring and state["measuring"]:
                with lock:
                    result.latencies.append(t1 - t0)
                    result.first_bytes.append((marks[0] if marks else t1) - t0)
                    state["n"] += 1
                    if max_requests and state["n"] >= max_requests:
                        state["stop"] = True

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    state["measuring"] = True
    t0 = time.perf_counter()
    deadline = t0 + duration
    while time.perf_counter() < deadline and not state["stop"]:
        time.sleep(0.01)
    state["stop"] = True
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return result
