"""The digimentor list over HTTP on the benchmark data set: the whole list's first page, one
owner's, one organisation's, as API answers and pages, p50/p95 and as a ratio to `GET /health`
measured in the same run against the same server.

    .venv/bin/python -m scripts.bench.digimentors [--scale 16.5] [--seconds 8] [--mentors 2000]

The data set's generator predates digimentors, so the first run names `--mentors` people
digimentors of organisations they act for (the organisations with the most people first),
under fixed idempotency keys: a second run adds nothing. The server runs as its own process
(uvicorn, one worker, projections off: the views are caught up first, then ANALYZEd); one
client sends one request after another, so each figure is a latency.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

import psycopg

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from crm.application.users import UserExistsError
from crm.domain.customer import Provenance
from crm.domain.errors import CRMError
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from scripts.bench.account_manager_lists import (
    owner_token,
    session_cookie,
    settings_for,
    start_server,
)
from scripts.bench.dataset import BENCH_SCALE, BENCH_SEED, DEFAULT_SERVER
from scripts.bench.http_load import Request, load
from scripts.bench.stats import percentile
from scripts.bench.touchpoints_http import _free_port, _stop_server


def name_mentors(services: Services, wanted: int) -> int:
    """Name up to `wanted` digimentors, at most three per organisation, once; how many the
    data set holds afterwards."""
    digimentors = services.views.get(Digimentors)
    [held] = digimentors.query("SELECT count(*) AS n FROM {p}roles WHERE active")
    if held["n"] >= wanted:
        return int(held["n"])
    links = services.views.get(Organisations).query(
        "SELECT person_id, organisation_id FROM ("
        " SELECT person_id, organisation_id, row_number() OVER ("
        "  PARTITION BY organisation_id ORDER BY person_id) AS n,"
        " count(*) OVER (PARTITION BY organisation_id) AS people"
        " FROM {p}affiliations WHERE active AND NOT person_erased) a"
        " WHERE n <= 3 ORDER BY people DESC, organisation_id, n LIMIT %s",
        (wanted,),
    )
    for link in links:
        provenance = Provenance(
            occurred_at=datetime.now(UTC),
            institution="joint",
            channel="other",
            recorded_by="bench",
            idempotency_key=f"bench:digimentor:{link['person_id']}:{link['organisation_id']}",
        )
        try:
            services.crm.name_digimentor(link["person_id"], provenance, link["organisation_id"])
        except CRMError:
            continue
    return len(links)


def busiest_owner(services: Services) -> tuple[str, str]:
    """The account manager whose organisations have the most digimentors, and the
    organisation with the most."""
    directory = services.views.get(CustomerDirectory)
    [row] = services.views.get(Digimentors).query(
        "SELECT o.account_manager, count(*) AS n FROM {p}roles r"
        f" JOIN {directory.prefix}customers o ON o.customer_id = r.organisation_id"
        " WHERE r.active AND o.account_manager IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    [organisation] = services.views.get(Digimentors).query(
        "SELECT organisation_id, count(*) AS n FROM {p}roles WHERE active"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    return str(row["account_manager"]), str(organisation["organisation_id"])


def reader_token(services: Services, settings: Settings) -> str:
    """A token of an account manager of this benchmark's own (kept beside the data set)."""
    for n in range(100):
        try:
            return owner_token(services, settings, f"bench.digimentors.{n}")
        except UserExistsError:
            continue
    raise RuntimeError("no free benchmark user name")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--fallback-scale", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measured address")
    parser.add_argument("--mentors", type=int, default=2000, help="digimentors to name once")
    args = parser.parse_args()

    settings, which = settings_for(args)
    services = build_services(settings)
    try:
        for view in services.views.refresh():
            services.projector.catch_up(view)
        mentors = name_mentors(services, args.mentors)
        for view in services.views.refresh():
            services.projector.catch_up(view)
        with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
            conn.execute("ANALYZE")
        owner, organisation = busiest_owner(services)
        # The list is not the owner's own: any account manager reads it. A user of its own,
        # since another benchmark's users' tokens are kept where that benchmark ran.
        token = reader_token(services, settings)
        [sizes] = services.views.get(CustomerDirectory).query(
            "SELECT count(*) AS customers FROM {p}customers"
        )
        events = services.projector.head()
    finally:
        services.close()
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"data set {which}: {sizes['customers']:,} customers, {events:,} events,"
        f" {mentors:,} digimentors; owner {owner}; load average {load_average}"
    )

    port = _free_port()
    server = start_server(settings, port)
    try:
        headers = {"Authorization": f"Bearer {token}", "Cookie": session_cookie(port, token)}

        def cycle(paths: list[str]) -> Callable[[int], Request]:
            return lambda n: ("GET", paths[n % len(paths)], b"")

        mine = quote(owner)
        targets: list[tuple[str, Callable[[int], Request]]] = [
            ("GET /health (baseline)", cycle(["/health"])),
            ("all digimentors, API (50)", cycle(["/digimentors"])),
            ("all digimentors, page", cycle(["/ui/digimentors"])),
            ("one owner's, API", cycle([f"/digimentors?owner={mine}"])),
            ("one owner's, page", cycle([f"/ui/digimentors?owner={mine}"])),
            ("one organisation's, API", cycle([f"/digimentors?organisation={organisation}"])),
            ("last page, API", cycle([f"/digimentors?offset={max(mentors - 50, 0)}"])),
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
