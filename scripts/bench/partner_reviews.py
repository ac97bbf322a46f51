"""A partner's yearly review and the reviews due, over HTTP on the benchmark data set: the
review (API and page) of the partner with the most people and of a partner of median size,
the reviews due of the account manager with the most partners (API first and last page, and
"my customers", which lists them), each as p50/p95 and as a ratio to `GET /health` measured
in the same run against the same server.

    .venv/bin/python -m scripts.bench.partner_reviews [--scale 16.5] [--seconds 8]

The partner network's views are new: they catch up over the data set first (they only add
tables of their own). The server runs as its own process (uvicorn, one worker, projections
off); one client sends one request after another, so each figure is a latency.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date

import psycopg

from api.bootstrap.wiring import build_services
from projections.engine.merges import MergeMap
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations
from projections.views.partners import Partners
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


def subjects(
    partners: Partners,
    indicators: CustomerIndicators,
    organisations: Organisations,
    merges: MergeMap,
) -> dict[str, object]:
    """The active partner with the most current people, one of median size, and the owner
    of the most partners due a review with how many are due."""
    sized = partners.query(
        "SELECT p.customer_id, count(a.person_id) AS people FROM {p}partners p"
        f" LEFT JOIN {organisations.prefix}affiliations a"
        " ON a.organisation_id = p.customer_id AND a.active"
        " WHERE p.membership_active GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    largest, median = sized[0], sized[len(sized) // 2]
    [owner] = partners.query(
        "SELECT c.account_manager, count(*) AS n FROM {p}partners p"
        f" JOIN {indicators.prefix}customers c USING (customer_id)"
        " WHERE p.membership_active AND c.account_manager <> ''"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    _, due = partners.due_reviews(
        indicators, merges, owner["account_manager"], date.today(), limit=1
    )
    return {
        "partners": len(sized),
        "largest": str(largest["customer_id"]),
        "largest_people": int(largest["people"]),
        "median": str(median["customer_id"]),
        "median_people": int(median["people"]),
        "owner": owner["account_manager"],
        "owned_partners": int(owner["n"]),
        "due": due,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--fallback-scale", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measured address")
    args = parser.parse_args()

    settings, which = settings_for(args)
    services = build_services(settings)
    try:
        for view in services.views.refresh():
            services.projector.catch_up(view)
        with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
            for view in (services.views.get(Partners),):
                for table in view.table_names():
                    conn.execute(f'ANALYZE "{table}"')
        partners = services.views.get(Partners)
        indicators = services.views.get(CustomerIndicators)
        found = subjects(
            partners, indicators, services.views.get(Organisations), services.views.get(MergeMap)
        )
        token = owner_token(services, settings, str(found["owner"]))
        events = services.projector.head()
    finally:
        services.close()
    print(
        f"data set {which}: {events:,} events, {found['partners']:,} active partners;"
        f" largest partner {found['largest_people']:,} people, median"
        f" {found['median_people']:,}; {found['owner']} owns {found['owned_partners']:,}"
        f" partners, {found['due']:,} due a review"
    )
    due = int(str(found["due"]))
    last_page = max(0, (due - 1) // 50 * 50)

    port = _free_port()
    server = start_server(settings, port)
    try:
        headers = {"Authorization": f"Bearer {token}", "Cookie": session_cookie(port, token)}

        def cycle(paths: list[str]) -> Callable[[int], Request]:
            return lambda n: ("GET", paths[n % len(paths)], b"")

        largest, median = found["largest"], found["median"]
        targets: list[tuple[str, Callable[[int], Request]]] = [
            ("GET /health (baseline)", cycle(["/health"])),
            ("review, largest partner, API", cycle([f"/partners/{largest}/review"])),
            ("review, largest partner, page", cycle([f"/ui/partners/{largest}/review"])),
            ("review, largest, 3 years, API",
             cycle([f"/partners/{largest}/review?since=2023-11-01"])),
            ("review, median partner, API", cycle([f"/partners/{median}/review"])),
            ("review, median partner, page", cycle([f"/ui/partners/{median}/review"])),
            ("reviews due, API first page", cycle(["/partners/due-reviews?limit=50"])),
            ("reviews due, API last page",
             cycle([f"/partners/due-reviews?limit=50&offset={last_page}"])),
            ("my customers page (lists them)", cycle(["/ui/my-customers"])),
        ]  # fmt: skip
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
