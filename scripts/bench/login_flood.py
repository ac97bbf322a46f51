"""`/health` latency while wrong passwords arrive at `/ui/login`, as a ratio to a quiet server.

Starts `uvicorn api.main:app` in a subprocess on a throwaway database, probes `/health` at a
steady rate (open loop) for a while, then probes again while another client posts wrong
passwords to the sign-in form at a steady rate (20/s by default, each with a fresh CSRF
token, as a browser-less attacker would). Prints p50/p99 of both phases and their ratio, and
how the flood was answered (401: checked; 429: refused without a check while delayed;
0: no answer).

    .venv/bin/python -m scripts.bench.login_flood [--seconds 20] [--rate 20] [--names 1]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
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


def _flood(base: str, seconds: float, rate: float, names: int, answers: Counter[int]) -> None:
    """`rate` wrong-password sign-ins a second, spread over `names` user names, sent open loop
    (each at its time, however long earlier ones wait for their answers)."""

    async def run() -> None:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
            page = (await client.get("/ui/login")).text
            found = CSRF.search(page)
            assert found, "the sign-in page has no CSRF token"
            token = found.group(1)

            async def once(index: int) -> None:
                name = USER if names == 1 else f"guess-{index % names}"
                form = {"name": name, "password": "wrong guess", "csrf_token": token}
                try:
                    answer = await client.post("/ui/login", data=form)
                    answers[answer.status_code] += 1
                except httpx.HTTPError:
                    answers[0] += 1

            tasks = []
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index in range(int(seconds * rate)):
                await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
                tasks.append(asyncio.create_task(once(index)))
            await asyncio.gather(*tasks)

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=20.0, help="wrong passwords per second")
    parser.add_argument("--probe-rate", type=float, default=50.0, help="/health probes per second")
    parser.add_argument("--names", type=int, default=1, help="user names the flood rotates over")
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
        with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
            data_dir = Path(tmp)
            settings = Settings(database_url=database_url, data_dir=data_dir, run_projections=False)
            services = build_services(settings)
            services.users.add(USER, Role.DPO, PASSWORD)
            services.close()
            port = _free_port()
            server = _start_server(database_url, data_dir, port)
            base = f"http://127.0.0.1:{port}"
            _probe(base, 2, args.probe_rate)  # warm-up
            print(f"quiet: /health at {args.probe_rate:g}/s for {args.seconds:g} s ...")
            quiet = _probe(base, args.seconds, args.probe_rate)
            answers: Counter[int] = Counter()
            flood = threading.Thread(
                target=_flood, args=(base, args.seconds, args.rate, args.names, answers)
            )
            print(
                f"flood: the same probe while {args.rate:g} wrong passwords/s arrive"
                f" ({args.names} user name{'s' if args.names > 1 else ''}) ..."
            )
            flood.start()
            loaded = _probe(base, args.seconds, args.probe_rate)
            flood.join()
            for label, values in (("quiet", quiet), ("flood", loaded)):
                print(
                    f"  {label}: {len(values):,} probes, p50 {percentile(values, 0.5) * 1000:.1f}"
                    f" ms, p99 {percentile(values, 0.99) * 1000:.1f} ms"
                )
            print(f"  flood answers: {dict(sorted(answers.items()))}")
            ratio = percentile(loaded, 0.99) / percentile(quiet, 0.99)
            print(f"/health p99 under the flood / quiet: {ratio:.2f}x")
    finally:
        if server is not None:
            _stop_server(server)
        drop_database(args.database_url, dbname)


if __name__ == "__main__":
    main()
