"""`/health` latency while wrong passwords arrive at `/ui/login`, against quiet windows and a
control flood of harmless requests at the same rate, all in one run.

Starts `uvicorn api.http.main:app` in a subprocess on a throwaway database and probes
`/health` at a steady rate (open loop) through five windows of equal length, in this order:

    quiet 1 | flood | quiet 2 | control | quiet 3

flood: another process posts wrong passwords to the sign-in form at `--rate` a second (open
loop, with the form's CSRF token, as a browser-less attacker would); control: the same
process sends the same rate of harmless requests (`GET --control-path`, by default the
sign-in page). The load runs in a process of its own so that its client work does not share
the probe's interpreter. The three quiet windows give the noise band (a shared machine's
p99 moves between windows); the flood's p99 is printed against the quiet windows' median
and against the control's, and whether it lies inside the quiet band.

    .venv/bin/python -m scripts.bench.login_flood [--seconds 20] [--rate 20] [--names 1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.bootstrap.embedded_database import drop_database, ensure_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import build_services
from crm.application.users import Role
from scripts.bench.stats import percentile
from scripts.bench.touchpoints_http import _free_port, _start_server, _stop_server

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
USER = "bench.dpo"
PASSWORD = "the right password"


def _steady(rate: float, seconds: float, action: Callable[[], None]) -> None:
    """Call `action` `rate` times a second (open loop: a slow answer does not delay the next
    start beyond its own duration) for `seconds`."""
    interval = 1.0 / rate
    start = time.perf_counter()
    n = 0
    while (now := time.perf_counter()) < start + seconds:
        due = start + n * interval
        if due > now:
            time.sleep(due - now)
        action()
        n += 1


def _probe(base: str, seconds: float, rate: float) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=10) as client:

        def once() -> None:
            started = time.perf_counter()
            client.get("/health")
            latencies.append(time.perf_counter() - started)

        _steady(rate, seconds, once)
    return latencies


@dataclass(frozen=True)
class Load:
    """What the load process sends: wrong passwords (`control_path` None) or GETs of a page."""

    base: str
    seconds: float
    rate: float
    names: int = 1
    control_path: str | None = None


def _load(load: Load, ready: threading.Event, go: threading.Event) -> dict[int, int]:
    """Run in a process of its own: `load.rate` requests a second for `load.seconds`, open
    loop (each sent at its time, however long earlier ones wait for their answers); the
    answers by status (0: no answer)."""
    answers: Counter[int] = Counter()

    async def run() -> None:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=load.base, timeout=120, limits=limits) as client:
            page = (await client.get("/ui/login")).text
            found = CSRF.search(page)
            assert found, "the sign-in page has no CSRF token"
            token = found.group(1)

            async def once(index: int) -> None:
                try:
                    if load.control_path is not None:
                        answer = await client.get(load.control_path)
                    else:
                        name = USER if load.names == 1 else f"guess-{index % load.names}"
                        form = {"name": name, "password": "wrong guess", "csrf_token": token}
                        answer = await client.post("/ui/login", data=form)
                    answers[answer.status_code] += 1
                except httpx.HTTPError:
                    answers[0] += 1

            ready.set()
            await asyncio.to_thread(go.wait)
            tasks = []
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index in range(int(load.seconds * load.rate)):
                await asyncio.sleep(max(0.0, start + index / load.rate - loop.time()))
                tasks.append(asyncio.create_task(once(index)))
            await asyncio.gather(*tasks)

    asyncio.run(run())
    return dict(answers)


def _cpu_seconds(stat_path: str) -> float:
    """User + system CPU time of a process or thread from /proc (0 where there is none)."""
    try:
        with open(stat_path) as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds the server has used: in all, and on its main thread (the event loop)."""
    return _cpu_seconds(f"/proc/{pid}/stat"), _cpu_seconds(f"/proc/{pid}/task/{pid}/stat")


@dataclass
class Window:
    label: str
    latencies: list[float]
    answers: dict[int, int]
    cpu: float = 0.0
    """Server CPU seconds during the window, all threads."""
    loop_cpu: float = 0.0
    """Server CPU seconds during the window on the event loop's thread."""

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) * 1000

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) * 1000


def _window(
    label: str,
    base: str,
    server: int,
    args: argparse.Namespace,
    pool: ProcessPoolExecutor,
    load: Load | None,
) -> Window:
    """Probe `/health` for one window, with the load process sending `load` meanwhile."""
    print(f"{label} ...", flush=True)
    if load is None:
        before = _server_cpu(server)
        latencies = _probe(base, args.seconds, args.probe_rate)
        after = _server_cpu(server)
        return Window(label, latencies, {}, after[0] - before[0], after[1] - before[1])
    with multiprocessing.Manager() as manager:
        ready, go = manager.Event(), manager.Event()
        sent = pool.submit(_load, load, ready, go)
        if not ready.wait(60):
            sent.result()  # raises what stopped the load process
            raise RuntimeError("the load process did not start")
        before = _server_cpu(server)
        go.set()
        latencies = _probe(base, args.seconds, args.probe_rate)
        answers = sent.result()
        after = _server_cpu(server)
    return Window(label, latencies, answers, after[0] - before[0], after[1] - before[1])


def _report(windows: list[Window], args: argparse.Namespace) -> None:
    for window in windows:
        answers = f", answers {dict(sorted(window.answers.items()))}" if window.answers else ""
        print(
            f"  {window.label:8} {len(window.latencies):5,} probes, p50 {window.p50:6.1f} ms,"
            f" p99 {window.p99:6.1f} ms; server CPU {window.cpu:5.2f} s, event loop"
            f" {window.loop_cpu:5.2f} s{answers}"
        )
    quiet = [window.p99 for window in windows if window.label.startswith("quiet")]
    flood = next(window for window in windows if window.label == "flood")
    control = next(window for window in windows if window.label == "control")
    baseline = statistics.median(quiet)
    low, high = min(quiet), max(quiet)
    print(f"quiet p99 band: {low:.1f} to {high:.1f} ms (spread {high / low:.2f}x)")
    print(f"flood p99 / quiet median: {flood.p99 / baseline:.2f}x")
    print(f"control p99 / quiet median: {control.p99 / baseline:.2f}x")
    print(f"flood p99 / control p99: {flood.p99 / control.p99:.2f}x")
    quiet_cpu = statistics.median(w.cpu for w in windows if w.label.startswith("quiet"))
    quiet_loop = statistics.median(w.loop_cpu for w in windows if w.label.startswith("quiet"))
    for window in (flood, control):
        requests = max(1, sum(window.answers.values()))
        print(
            f"{window.label} costs the server {(window.cpu - quiet_cpu) / requests * 1000:.2f} ms"
            f" CPU a request over quiet, {(window.loop_cpu - quiet_loop) / requests * 1000:.2f}"
            " ms of it on the event loop"
        )
    where = "inside" if flood.p99 <= high else f"{flood.p99 - high:.1f} ms above"
    print(f"flood p99 is {where} the quiet band; load average {os.getloadavg()[0]:.1f} at the end")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each window")
    parser.add_argument("--rate", type=float, default=20.0, help="wrong passwords per second")
    parser.add_argument("--probe-rate", type=float, default=50.0, help="/health probes per second")
    parser.add_argument("--names", type=int, default=1, help="user names the flood rotates over")
    parser.add_argument(
        "--control-path", default="/ui/login", help="what the control window GETs at --rate"
    )
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="server URL; a throwaway database is created on it and dropped afterwards",
    )
    args = parser.parse_args(argv)
    dbname = f"bench_{secrets.token_hex(4)}"
    database_url = ensure_database(args.database_url, dbname)
    server = None
    try:
        with (
            tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp,
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool,
        ):
            data_dir = Path(tmp)
            settings = Settings(database_url=database_url, data_dir=data_dir, run_projections=False)
            services = build_services(settings)
            services.users.add(USER, Role.DPO, PASSWORD)
            services.close()
            port = _free_port()
            server = _start_server(database_url, data_dir, port)
            base = f"http://127.0.0.1:{port}"
            _probe(base, 2, args.probe_rate)  # warm-up
            flood = Load(base, args.seconds, args.rate, names=args.names)
            control = Load(base, args.seconds, args.rate, control_path=args.control_path)
            print(
                f"/health at {args.probe_rate:g}/s, windows of {args.seconds:g} s; flood:"
                f" {args.rate:g} wrong passwords/s ({args.names} user name"
                f"{'s' if args.names > 1 else ''}); control: {args.rate:g} GET"
                f" {args.control_path}/s"
            )
            windows = [
                _window(label, base, server.pid, args, pool, load)
                for label, load in (
                    ("quiet 1", None),
                    ("flood", flood),
                    ("quiet 2", None),
                    ("control", control),
                    ("quiet 3", None),
                )
            ]
            _report(windows, args)
    finally:
        if server is not None:
            _stop_server(server)
        drop_database(args.database_url, dbname)


if __name__ == "__main__":
    main()
