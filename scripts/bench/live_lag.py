"""Live lag: how long after a write's acknowledgement the timeline view shows it.

The writes come from a process of their own, as from the API: an open-loop generator submits
touchpoints to the group committer at a steady rate without waiting for earlier answers, and
notes each acknowledgement's log position and time. This process runs the projection worker,
as `crm worker` does, and samples the timeline's tracking position every
`SAMPLE_SECONDS`; a write is visible at the first sample at or past its position. Both
processes read `time.monotonic()`, one clock for the whole machine on Linux.

    .venv/bin/python -m scripts.bench.live_lag [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from bisect import bisect_left
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from api.bootstrap.wiring import Services, build_services
from crm.application.crm import Recorded
from crm.domain.customer import Provenance
from projections.engine.runner import ProjectionWorker
from projections.views.timeline import Timeline
from scripts.bench.dataset import BENCH_SCALE, bench_settings
from scripts.bench.stats import percentile

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_SECONDS = 0.002


def write_steadily(services: Services, customers: list[UUID], rate: float, seconds: float) -> None:
    """The writer process: submit `rate` touchpoints per second for `seconds`, then print
    every acknowledgement as JSON lines `[position, monotonic time]` on stdout."""
    committer = services.committer
    assert committer is not None, "the benchmark needs group commit (CRM_GROUP_COMMIT)"
    acknowledged: list[tuple[int, float]] = []
    failures: list[str] = []
    futures: list[Future[Recorded]] = []

    def note(future: Future[Recorded]) -> None:
        # Runs on the committer's thread as it answers: the acknowledgement time.
        at = time.monotonic()
        error = future.exception()
        if error is not None:
            failures.append(repr(error))
            return
        position = future.result().position
        if position is not None:
            acknowledged.append((position, at))

    run = uuid4().hex[:8]
    started = time.monotonic()
    sent = 0
    while (now := time.monotonic()) < started + seconds:
        due = started + sent / rate
        if due > now:
            time.sleep(due - now)
        key = f"lag:{run}:{sent}"
        provenance = Provenance(datetime.now(UTC), "joint", "web_service", "bench", key)
        command = services.crm.touchpoint_command(
            customers[sent % len(customers)],
            provenance,
            "web_service_visited",
            {"page": "/lag", "notes": None},
        )
        future = committer.submit(command)
        future.add_done_callback(note)
        futures.append(future)
        sent += 1
    for future in futures:
        future.exception(timeout=30)
    elapsed = max((at for _, at in acknowledged), default=time.monotonic()) - started
    print(json.dumps({"sent": sent, "elapsed": elapsed, "failures": failures[:5]}))
    for position, at in acknowledged:
        print(json.dumps([position, at]))


def measure(services: Services, rate: float, seconds: float, scale: float) -> list[float]:
    """Run the worker here and the writer process beside it; lags in milliseconds."""
    timeline = services.views.get(Timeline)
    worker = ProjectionWorker(services.projector, services.views, services.database_url)
    worker.start()
    if not worker.caught_up.wait(600):
        raise RuntimeError("the projection worker did not catch up")
    samples: list[tuple[int, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((timeline.position(), time.monotonic()))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, name="lag-sampler")
    sampler.start()
    customers = [
        row["customer_id"]
        for row in timeline.query("SELECT DISTINCT customer_id FROM {p}entries LIMIT 1000")
    ]
    command = [sys.executable, "-m", "scripts.bench.live_lag", "--writer"]
    command += ["--rate", str(rate), "--seconds", str(seconds), "--scale", str(scale)]
    writer = subprocess.run(
        command,
        input="\n".join(str(c) for c in customers),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    time.sleep(1.0)  # let the last writes show
    stop.set()
    sampler.join()
    worker.stop()
    lines = writer.stdout.splitlines()
    if not lines:
        raise RuntimeError(f"the writer printed nothing: {writer.stderr[-2000:]}")
    summary = json.loads(lines[0])
    if len(lines) == 1:
        raise RuntimeError(f"no write was acknowledged: {summary['failures']}")
    acknowledged = [tuple(json.loads(line)) for line in lines[1:]]
    # Positions only grow, so the first sample at or past a position is a binary search.
    reached = [position for position, _ in samples]
    lags = []
    for position, at in acknowledged:
        index = bisect_left(reached, position)
        if index < len(samples):
            lags.append(max(0.0, samples[index][1] - at) * 1000)
    # Acknowledged writes per second from the first submission to the last answer.
    achieved = len(acknowledged) / summary["elapsed"]
    print(
        f"  offered {rate:,.0f}/s, acknowledged {len(acknowledged):,} writes = {achieved:,.0f}/s"
        f" ({len(summary['failures'])} failed); lag p50 {percentile(lags, 0.5):.1f} ms,"
        f" p99 {percentile(lags, 0.99):.1f} ms, max {max(lags):.1f} ms"
        f" (position sampled every {SAMPLE_SECONDS * 1000:.0f} ms)"
    )
    return lags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--writer", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    services = build_services(bench_settings(args.scale))
    try:
        if args.writer:
            customers = [UUID(line) for line in sys.stdin.read().split()]
            write_steadily(services, customers, args.rate, args.seconds)
        else:
            print(f"live lag at {args.rate:,.0f} writes/s for {args.seconds:.0f} s:")
            measure(services, args.rate, args.seconds, args.scale)
    finally:
        services.close()


if __name__ == "__main__":
    main()
