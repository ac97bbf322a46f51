"""An account manager's lists over HTTP on the benchmark data set: search, "my customers" for
the owner of the most customers, the page of the organisation with the most people, "my tasks"
and the lead pipeline, each page and API answer as p50/p95 and as a ratio to `GET /health`
measured in the same run against the same server.

    .venv/bin/python -m scripts.bench.account_manager_lists [--scale 16.5] [--seconds 8]

When the data set of `--scale` is not loaded, a smaller one (`--fallback-scale`) is generated
in a database of its own (the printout says which). The server runs as its own process
(uvicorn, one worker, projections off: the views are caught up first); one client sends one
request after another, so each figure is a latency, not a throughput. The database is
ANALYZEd after the catch-up (as autovacuum would; `--no-analyze` measures without).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from crm.application.users import Role
from crm.domain.customer import Provenance
from crm.domain.errors import CRMError
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from projections.views.tasks import Tasks
from scripts.bench.consent_audit import loaded_database
from scripts.bench.dataset import BENCH_SCALE, BENCH_SEED, DEFAULT_SERVER, bench_settings
from scripts.bench.http_load import Request, load
from scripts.bench.stats import percentile
from scripts.bench.touchpoints_http import _free_port, _stop_server

SEARCHES = ("virtanen", "Yrjo", "example.fi", "040", "oy", "nen")
"""Search texts: a common surname, a name without its accent, a domain, phone digits, a
company form and a frequent syllable (many matches)."""
TASKS_FOR_OWNER = 60


def settings_for(args: argparse.Namespace) -> tuple[Settings, str]:
    """The benchmark database's settings, and which data set it holds."""
    if loaded_database(args.server, args.scale, args.seed) is not None:
        return bench_settings(args.scale, args.seed, args.server), f"scale {args.scale}"
    print(f"benchmark data set not loaded: generating scale {args.fallback_scale} instead")
    settings = bench_settings(args.fallback_scale, args.seed, args.server)
    return settings, f"scale {args.fallback_scale} (fallback)"


def owner_token(services: Services, settings: Settings, owner: str) -> str:
    """A bearer token of the owner (kept beside the data set, since tokens show only once)."""
    path = Path(settings.data_dir) / "bench-tokens.json"
    tokens: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if owner not in tokens:
        tokens[owner] = services.users.add(owner, Role.ACCOUNT_MANAGER)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens))
    return tokens[owner]


def busiest(services: Services) -> tuple[str, int, str, int]:
    """The owner of the most customers and the organisation with the most current people."""
    directory = services.views.get(CustomerDirectory)
    [owner] = directory.query(
        "SELECT account_manager, count(*) AS n FROM {p}customers"
        " WHERE account_manager IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    [organisation] = services.views.get(Organisations).query(
        "SELECT organisation_id, count(*) AS n FROM {p}affiliations WHERE active"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    return (
        owner["account_manager"],
        int(owner["n"]),
        str(organisation["organisation_id"]),
        int(organisation["n"]),
    )


def plan_tasks(services: Services, owner: str) -> None:
    """Give the owner open tasks over the coming weeks, once, so "my tasks" has a list."""
    _, total = services.views.get(Tasks).owned_by(
        owner, "open", date.today(), date.today() + timedelta(days=7), offset=0, limit=1
    )
    if total >= TASKS_FOR_OWNER:
        return
    directory = services.views.get(CustomerDirectory)
    customers = directory.query(
        "SELECT customer_id FROM {p}customers WHERE account_manager = %s LIMIT %s",
        (owner, TASKS_FOR_OWNER),
    )
    for n, row in enumerate(customers):
        provenance = Provenance(
            occurred_at=datetime.now(UTC),
            institution="joint",
            channel="other",
            recorded_by=owner,
            idempotency_key=f"bench:task:{owner}:{n}",
        )
        try:
            services.crm.plan_task(
                row["customer_id"],
                provenance,
                task_kind="call",
                due_on=date.today() + timedelta(days=n % 14 - 3),
                owner=owner,
                title=f"Bench call {n}",
            )
        except CRMError:
            continue


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CRM_DATABASE_URL": str(settings.database_url),
        "CRM_RUN_PROJECTIONS": "false",
        "CRM_DATA_DIR": str(Path(settings.data_dir).resolve()),
    }
    if settings.secrets_dir is not None:
        env["CRM_SECRETS_DIR"] = str(Path(settings.secrets_dir).resolve())
    command = [
        sys.executable, "-m", "uvicorn", "api.http.main:app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    _stop_server(server)
    raise RuntimeError("the server did not become healthy within 120 s")


def session_cookie(port: int, token: str) -> str:
    """A signed-in web session of the token's user, as a Cookie header value."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        page = client.get("/ui/login").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None, "the sign-in page carries no CSRF token"
        answer = client.post("/ui/login", data={"token": token, "csrf_token": found.group(1)})
        assert answer.status_code == 303, answer.text
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--fallback-scale", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measured address")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="measure without first gathering planner statistics (ANALYZE)",
    )
    args = parser.parse_args()

    settings, which = settings_for(args)
    services = build_services(settings)
    try:
        owner, owned, organisation, people = busiest(services)
        plan_tasks(services, owner)
        # No worker runs here: apply the planned tasks to every view before measuring.
        for view in services.views.refresh():
            services.projector.catch_up(view)
        if args.analyze:
            # What autovacuum does on a server where it runs: without statistics on freshly
            # filled view tables the planner guesses a handful of rows and nests loops.
            with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
                conn.execute("ANALYZE")
        token = owner_token(services, settings, owner)
        [sizes] = services.views.get(CustomerDirectory).query(
            "SELECT count(*) AS customers FROM {p}customers"
        )
        events = services.projector.head()
    finally:
        services.close()
    print(
        f"data set {which}: {sizes['customers']:,} customers, {events:,} events;"
        f" owner {owner} of {owned:,} customers; organisation with {people:,} people"
    )

    port = _free_port()
    server = start_server(settings, port)
    try:
        headers = {"Authorization": f"Bearer {token}", "Cookie": session_cookie(port, token)}

        def cycle(paths: list[str]) -> Callable[[int], Request]:
            return lambda n: ("GET", paths[n % len(paths)], b"")

        targets: list[tuple[str, Callable[[int], Request]]] = [
            ("GET /health (baseline)", cycle(["/health"])),
            ("search, API (50 a page)", cycle([f"/customers?query={quote(q)}" for q in SEARCHES])),
            ("search, page", cycle([f"/ui/customers?q={quote(q)}" for q in SEARCHES])),
            ("my customers, API", cycle(["/customers?mine=true&sort=name"])),
            ("my customers, page", cycle(["/ui/my-customers"])),
            ("organisation page", cycle([f"/ui/customers/{organisation}"])),
            ("organisation roll-up, API", cycle([f"/organisations/{organisation}/rollup"])),
            ("my tasks, API", cycle(["/tasks?window=open"])),
            ("my tasks, page", cycle(["/ui/tasks?window=open"])),
            ("pipeline, API", cycle(["/pipeline?stage=open"])),
            ("pipeline, page", cycle(["/ui/pipeline?stage=captured"])),
        ]
        baseline = 0.0
        print(f"{'address':32} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p95 / health':>13}")
        for label, make in targets:
            result = load(
                "127.0.0.1", port, headers, make, clients=1, seconds=args.seconds,
                expect=frozenset({200}),
            )  # fmt: skip
            if result.failures:
                print(f"{label}: {result.unexpected} {result.sample_error!r}")
            p50 = percentile(result.latencies, 0.50) * 1000
            p95 = percentile(result.latencies, 0.95) * 1000
            baseline = baseline or p95
            print(
                f"{label:32} {len(result.latencies):>9,} {p50:>8.1f} {p95:>8.1f}"
                f" {p95 / baseline:>12.1f}x"
            )
    finally:
        _stop_server(server)


if __name__ == "__main__":
    main()
