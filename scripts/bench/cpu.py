"""CPU time spent by the parts of a benchmark: the server under test, PostgreSQL and the load
client, read from /proc (Linux). On a machine whose cores the three share, CPU per request,
not requests per second alone, tells how many cores a target rate needs."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int) -> float:
    """User + system CPU of one process (its exited children not included)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def tree_seconds(pid: int) -> float:
    """CPU of a process and its live descendants (e.g. uvicorn's worker processes)."""
    return _process_seconds(pid) + sum(tree_seconds(child) for child in _children(pid))


def postgres_processes() -> dict[int, float]:
    """CPU of every PostgreSQL process on this machine (the server and its backends)."""
    seconds = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    seconds[int(entry.name)] = _process_seconds(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return seconds


def wait_until_idle(pid: int, timeout: float = 60.0) -> None:
    """Wait until a process tree has finished starting up (under 5% of a core for 0.5 s).

    A server answers its health check as soon as its first worker is up; clients that
    connect then, on keep-alive connections, would all stay with that worker while the
    others are still importing the app.
    """
    deadline = time.monotonic() + timeout
    before = tree_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_seconds(pid)
        if now - before < 0.025:
            return
        before = now


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSplit:
    """CPU seconds of each part over one measurement."""

    server: float
    postgres: float
    client: float

    def per_request_us(self, requests: int) -> str:
        if not requests:
            return "no requests"
        return (
            f"CPU per request: server {1e6 * self.server / requests:,.0f} us,"
            f" PostgreSQL {1e6 * self.postgres / requests:,.0f} us,"
            f" load client {1e6 * self.client / requests:,.0f} us"
        )


class CpuMeter:
    """Start before the load, `stop()` after it. A PostgreSQL backend that ends in between
    (a closed connection) takes its CPU with it, so PostgreSQL's share is a lower bound."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self._server = tree_seconds(server_pid)
        self._postgres = postgres_processes()
        self._client = own_seconds()

    def stop(self) -> CpuSplit:
        postgres = postgres_processes()
        return CpuSplit(
            server=tree_seconds(self.server_pid) - self._server,
            postgres=sum(
                seconds - self._postgres.get(pid, 0.0) for pid, seconds in postgres.items()
            ),
            client=own_seconds() - self._client,
        )
