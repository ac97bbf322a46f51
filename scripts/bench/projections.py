"""Projection benchmark on the large data set (~50,000 customers, ~1,000,000 events).

1. Catch-up from zero of every view, batched, as events/s per view, against the library's
   stock one-event-per-transaction `ProjectionRunner` on the timeline view in the same run.
2. Live lag (`scripts/bench/live_lag.py`): with the projection worker following the log,
   another process writes touchpoints at a steady rate (500/s by default, through group
   commit); lag is the time from a write's acknowledgement until the timeline has applied it.
3. `GET /customers/{id}/timeline` over HTTP for a customer with ~200 events, against
   `GET /health` on the same server as the baseline round trip.

    .venv/bin/python -m scripts.bench.projections [--scale 16.5] [--rate 500] [--seconds 20]
        [--only catchup|lag|http ...] [--views timeline,indicators]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from typing import Any
from uuid import uuid4

import httpx
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import ProjectionRunner

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import VIEW_CLASSES, Services, build_services
from crm.adapters.postgres.event_store import event_store_env
from crm.application.crm import CRM
from crm.application.users import Role
from projections.engine.view import View, ViewProjection
from projections.views.timeline import Timeline
from scripts.bench import live_lag
from scripts.bench.dataset import BENCH_SCALE, bench_settings
from scripts.bench.http_load import load
from scripts.bench.stats import percentile


def batched_catch_up(services: Services, view_classes: list[type[View]]) -> dict[str, float]:
    """Log positions/s of a full catch-up per view, each into a fresh generation.

    A view that consumes a few kinds skips the rest in SQL; its speed is how fast it moves
    through the log, so that is what is reported (with the events it actually applied)."""
    head = services.projector.head()
    rates = {}
    for view_class in view_classes:
        view = services.views.build(view_class, f"v{view_class.version}bench{os.getpid()}")
        view.create_table()
        try:
            started = time.monotonic()
            applied = services.projector.catch_up(view)
            elapsed = time.monotonic() - started
            rates[view_class.name] = head / elapsed
            print(
                f"  {view_class.name:16} {head:>9,} log events ({applied:>9,} applied)"
                f" in {elapsed:6.1f} s = {head / elapsed:>8,.0f} events/s"
            )
        finally:
            view.drop_tables()
    return rates


def together_catch_up(services: Services) -> float:
    """Events/s when the worker brings every view up at once, decoding each batch once."""
    views = [
        services.views.build(view_class, f"v{view_class.version}all{os.getpid()}")
        for view_class in VIEW_CLASSES
    ]
    for view in views:
        view.create_table()
    try:
        started = time.monotonic()
        read = services.projector.catch_up_all(views)
        elapsed = time.monotonic() - started
    finally:
        for view in views:
            view.drop_tables()
    print(
        f"  all {len(views)} views together: {read:,} events in {elapsed:6.1f} s"
        f" = {read / elapsed:,.0f} events/s for every view"
    )
    return read / elapsed


def stock_runner_rate(services: Services, seconds: float) -> float:
    """Events/s of the library's ProjectionRunner applying the timeline one event at a time."""
    suffix = f"stock{os.getpid()}"

    class StockTimeline(Timeline):
        def __init__(self, datastore: PostgresDatastore, tracking_table_name: str) -> None:
            super().__init__(datastore, suffix)

    class StockProjection(ViewProjection):
        name = suffix
        topics: tuple[str, ...] = ()

    crm = services.crm

    class StockCRM(CRM):
        name = CRM.name  # same events table and tracking name as the real application

        def __init__(self, env: Any = None) -> None:
            super().__init__(env, keys=crm.keys, identities=crm.identities)

    assert services.settings.database_url is not None
    runner: ProjectionRunner[Any, Any] = ProjectionRunner(
        application_class=StockCRM,
        projection_class=StockProjection,
        view_class=StockTimeline,
        env=event_store_env(services.settings.database_url),
    )
    try:
        # Blocks for `seconds`, re-raising any error of the runner's thread.
        runner.run_forever(timeout=seconds)
        applied: int = runner.view.position()
    finally:
        runner.stop()
        runner.view.drop_tables()
    rate = applied / seconds
    print(
        f"  stock ProjectionRunner (timeline): {applied:,} events in {seconds:.0f} s"
        f" = {rate:,.0f} events/s"
    )
    return rate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_timeline(services: Services, settings: Settings, seconds: float) -> tuple[float, float]:
    """p99 ms of the timeline of a ~200-event customer, and of /health, over HTTP."""
    row = services.views.get(Timeline).query(
        "SELECT customer_id, count(*) AS n FROM {p}entries GROUP BY customer_id"
        " ORDER BY abs(count(*) - 200) LIMIT 1"
    )[0]
    customer_id, events = row["customer_id"], row["n"]
    token = services.users.add(f"bench-{uuid4().hex[:6]}", Role.ACCOUNT_MANAGER)
    port = free_port()
    env = {
        **os.environ,
        "CRM_DATABASE_URL": settings.database_url or "",
        "CRM_DATA_DIR": str(settings.data_dir),
        "CRM_RUN_PROJECTIONS": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.http.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/customers/{customer_id}/timeline?limit=500"

        def sequential(path: str, seconds: float) -> list[float]:
            # One client, one request at a time: latency, not throughput.
            result = load(
                "127.0.0.1", port, headers, lambda _: ("GET", path, b""), clients=1, seconds=seconds
            )
            assert not result.failures, result.sample_error
            return [latency * 1000 for latency in result.latencies]

        sequential(url, 2)  # warm up
        timeline = sequential(url, seconds)
        health = sequential("/health", seconds / 2)
    finally:
        server.terminate()
        server.wait()
    print(
        f"  timeline of a {events}-event customer: p50 {percentile(timeline, 0.5):.1f} ms,"
        f" p99 {percentile(timeline, 0.99):.1f} ms; /health p50 {percentile(health, 0.5):.1f} ms,"
        f" p99 {percentile(health, 0.99):.1f} ms"
    )
    return percentile(timeline, 0.99), percentile(health, 0.99)


PARTS = ("catchup", "lag", "http")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--stock-seconds", type=float, default=20)
    parser.add_argument("--http-seconds", type=float, default=10)
    parser.add_argument(
        "--only", choices=PARTS, action="append", help="run only these parts (repeatable)"
    )
    parser.add_argument(
        "--views", help="catch-up: only these views (comma-separated names), not all together"
    )
    args = parser.parse_args()
    parts = set(args.only or PARTS)

    settings = bench_settings(args.scale)
    services = build_services(settings)
    try:
        head = services.projector.head()
        print(f"data set: {head:,} events; load average {load_average()}")
        if "catchup" in parts:
            view_classes = VIEW_CLASSES
            if args.views:
                wanted = args.views.split(",")
                view_classes = [cls for cls in VIEW_CLASSES if cls.name in wanted]
            print("catch-up from zero, batched:")
            rates = batched_catch_up(services, view_classes)
            together = None if args.views else together_catch_up(services)
            print("baseline:")
            stock = stock_runner_rate(services, args.stock_seconds)
            for name, rate in rates.items():
                print(f"  {name:16} {rate / stock:6.1f}x the stock runner (alone)")
            if together is not None:
                print(f"  all together     {together / stock:6.1f}x the stock runner, per view")
            print(f"  load average {load_average()}")
        if "lag" in parts:
            print(f"live lag at {args.rate:.0f} writes/s:")
            live_lag.measure(services, args.rate, args.seconds, args.scale)
        if "http" in parts:
            print("timeline over HTTP:")
            p99, health_p99 = http_timeline(services, settings, args.http_seconds)
            print(f"  timeline p99 / health p99 = {p99 / health_p99:.1f}x")
    finally:
        services.close()


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
