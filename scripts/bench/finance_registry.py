"""Completion registry look-ups and the receivables list over HTTP, each as p50/p95 latency and
as a ratio to `GET /health` measured by the same client against the same server in the same run.

    .venv/bin/python -m scripts.bench.finance_registry [--scale 2] [--seconds 8] [--clients 1]

The data set is the demo generator's (which now invoices purchases, records payments and
credits, and gives completions catalogue codes and grades) in a database of its own
(`asiakassilma_bench_<scale>_<seed>`), loaded and caught up on first use; the demo catalogue
is added to it. The server runs as `uvicorn api.http.main:app` in a subprocess with
projections off (the views are caught up before it starts), so only the reads are measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.bootstrap.wiring import build_services
from api.cli.demo_data import load_catalogue
from crm.application.users import Role
from projections.views.completions import Completions
from projections.views.organisations import Organisations
from scripts.bench.dataset import DEFAULT_SERVER, bench_settings
from scripts.bench.http_load import Request, load
from scripts.bench.stats import percentile

HOST = "127.0.0.1"


def sample(settings: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Tokens for a finance user and an account manager, and the look-ups' subjects: the
    learner and the organisation with the most completions, and the most completed code."""
    services = build_services(settings)
    try:
        load_catalogue(services)
        for view in services.views.refresh(force=True):
            services.projector.catch_up(view)
        suffix = str(int(time.time()))
        tokens = {
            "finance": services.users.add(f"bench.finance.{suffix}", Role.FINANCE),
            "am": services.users.add(f"bench.am.{suffix}", Role.ACCOUNT_MANAGER),
        }
        registry = services.views.get(Completions)
        [learner] = registry.query(
            "SELECT customer_id FROM {p}completions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        [code] = registry.query(
            "SELECT offering_code FROM {p}completions WHERE offering_code IS NOT NULL"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        [organisation] = services.views.get(Organisations).query(
            "SELECT organisation_id FROM {p}affiliations WHERE active"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        [sizes] = registry.query(
            "SELECT count(*) AS completions, (SELECT count(*) FROM crm_stored_events) AS events"
            " FROM {p}completions"
        )
        print(f"data set: {sizes['events']:,} events, {sizes['completions']:,} completions")
        subjects = {
            "person": str(learner["customer_id"]),
            "organisation": str(organisation["organisation_id"]),
            "code": str(code["offering_code"]),
        }
        return tokens, subjects
    finally:
        services.close()


def start_server(settings: Any, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CRM_DATABASE_URL": str(settings.database_url),
        "CRM_DATA_DIR": str(Path(settings.data_dir).resolve()),
        "CRM_SECRETS_DIR": str(Path(settings.secrets_dir).resolve()),
        "CRM_RUN_PROJECTIONS": "false",
    }
    command = [sys.executable, "-m", "uvicorn", "api.http.main:app", "--host", HOST,
               "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=Path(settings.data_dir).resolve())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not become healthy within 60 s")


def always(request: Request) -> Callable[[int], Request]:
    """The same request every time."""
    return lambda _: request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1616)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()

    settings = bench_settings(args.scale, args.seed, args.server)
    tokens, subject = sample(settings)
    person, organisation, code = subject["person"], subject["organisation"], subject["code"]
    cases = [
        ("GET /health (baseline)", "/health", "am"),
        ("receivables, first page of 50", "/finance/receivables?limit=50", "finance"),
        ("receivables, over 90 days late", "/finance/receivables?bucket=over_90", "finance"),
        ("revenue by month, this year", "/finance/revenue?by=month", "finance"),
        ("registry: one learner", f"/completions?person={person}", "am"),
        ("registry: an organisation's staff", f"/completions?organisation={organisation}", "am"),
        ("registry: one offering", f"/completions?offering_code={code}", "am"),
        ("registry: one month", "/completions?start=2026-09-01&end=2026-09-30", "am"),
        ("transcript CSV", f"/completions/transcript.csv?person={person}", "am"),
    ]
    server = start_server(settings, args.port)
    try:
        baseline = 0.0
        print(f"{args.clients} client(s), {args.seconds:.0f} s per case")
        print(f"{'case':<36} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p95 / health':>13}")
        for label, path, who in cases:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            result = load(HOST, args.port, headers, always(("GET", path, b"")),
                          clients=args.clients, seconds=args.seconds)  # fmt: skip
            if result.failures:
                print(f"{label}: {result.failures} unexpected answers {result.unexpected}:"
                      f" {result.sample_error!r}")  # fmt: skip
            p50 = percentile(result.latencies, 0.5) * 1000
            p95 = percentile(result.latencies, 0.95) * 1000
            baseline = baseline or p95
            print(f"{label:<36} {len(result.latencies):>8} {p50:>8.1f} {p95:>8.1f}"
                  f" {p95 / baseline:>12.1f}x")  # fmt: skip
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
