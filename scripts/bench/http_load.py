"""A lean HTTP/1.1 load client for the benchmarks: asyncio streams on keep-alive connections.

A general-purpose client (httpx) spends about a millisecond of CPU per request; on a 2-core
machine that shares the cores with the server and PostgreSQL, the client would then measure
itself. This one writes each request as prepared bytes and reads just the status line, the
headers and a `Content-Length` body, so nearly all CPU stays with the server under test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, bytes]
"""(method, path, body) of one request."""


@dataclass
class LoadResult:
    """What the clients saw: latencies of expected answers, other answers by status."""

    elapsed: float
    latencies: list[float] = field(default_factory=list)
    unexpected: dict[int, int] = field(default_factory=dict)
    sample_error: bytes = b""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    @property
    def failures(self) -> int:
        return sum(self.unexpected.values())


def encode(host: str, headers: dict[str, str], request: Request) -> bytes:
    method, path, body = request
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


def load(
    host: str,
    port: int,
    headers: dict[str, str],
    make_request: Callable[[int], Request],
    *,
    clients: int,
    seconds: float,
    expect: frozenset[int] = frozenset({200, 201}),
) -> LoadResult:
    """`clients` connections, each sending its next request as soon as the last one answered,
    for `seconds`; request i of client c is `make_request(c + i * clients)`. Runs on a fresh
    event loop (uvloop when installed)."""
    result = LoadResult(elapsed=0.0)

    async def client(number: int, stop_at: float) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            sequence = number
            while time.monotonic() < stop_at:
                payload = encode(host, headers, make_request(sequence))
                sequence += clients
                started = time.perf_counter()
                writer.write(payload)
                status, body = await _read_response(reader)
                if status in expect:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.unexpected[status] = result.unexpected.get(status, 0) + 1
                    result.sample_error = result.sample_error or body[:300]
        finally:
            writer.close()

    async def run() -> None:
        started = time.monotonic()
        await asyncio.gather(*(client(n, started + seconds) for n in range(clients)))
        result.elapsed = time.monotonic() - started

    try:
        import uvloop
    except ImportError:
        asyncio.run(run())
    else:
        uvloop.run(run())
    return result
