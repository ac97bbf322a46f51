"""Segment speed on the benchmark data set (~50,000 customers, ~1,000,000 events): count of the
issue's example rule, the same rule answered from the raw touchpoints on the fly (the ratio),
a consent-checked CSV export of about 10,000 members, and the customer page's server time.

    .venv/bin/python -m scripts.bench.segments [--scale 16.5] [--runs 7]

Each figure is the median of `--runs` warm runs. Run once, on a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services, build_services
from api.http.app import create_app
from api.services.segments import compile_for, export_segment
from crm.application.users import Role, User
from crm.domain.vocabulary import PURPOSES
from projections.segments import compiler as queries
from projections.segments.compiler import Tables
from projections.segments.rules import parse_rule
from projections.views.indicators import DEFAULT_WEIGHTS
from projections.views.timeline import Timeline
from scripts.bench.dataset import BENCH_SCALE, bench_settings

EXAMPLE_RULE = {
    "all": [
        {"field": "engagement_score", "op": ">=", "value": 5},
        {"consent": "email_marketing"},
        {"webinars_attended": {"at_least": 2, "days": 365}},
        {"sector": "ICT"},
        {"not": {"purchased_within_days": 365}},
    ]
}
# The same rule over the timeline's raw rows, every figure aggregated per query.
RAW_COUNT = """
WITH per AS (
  SELECT e.customer_id,
    sum(coalesce(w.weight, 0) * power(0.5::float8,
        extract(epoch FROM %(now)s - e.occurred_at) / 86400 / %(half_life)s))
      FILTER (WHERE e.occurred_at <= %(now)s) AS engagement,
    count(*) FILTER (WHERE e.kind = 'webinar_attended'
      AND e.occurred_at > %(now)s - interval '365 days' AND e.occurred_at <= %(now)s) AS webinars,
    max(e.occurred_at) FILTER (WHERE e.kind = 'purchase_made') AS last_purchase,
    bool_or(e.kind = 'erased') AS erased,
    (array_agg(e.details->>'sector' ORDER BY e.occurred_at DESC, e.version DESC)
      FILTER (WHERE e.kind IN ('registered', 'profile_corrected')
        AND e.details->>'sector' IS NOT NULL))[1] AS sector,
    (array_agg(e.kind ORDER BY e.occurred_at DESC, e.position DESC)
      FILTER (WHERE e.kind IN ('consent_given', 'consent_withdrawn', 'consent_expired')
        AND e.details->>'purpose' = 'email_marketing' AND e.occurred_at <= %(now)s))[1]
      AS email_consent,
    (array_agg(e.kind ORDER BY e.position DESC)
      FILTER (WHERE e.kind IN ('processing_restricted', 'restriction_lifted')))[1] AS restriction
  FROM {p}entries e
  LEFT JOIN unnest(%(kinds)s::text[], %(weights)s::float8[]) AS w(kind, weight)
    ON w.kind = e.kind
  GROUP BY e.customer_id
)
SELECT count(*) AS n FROM per
WHERE NOT erased AND restriction IS DISTINCT FROM 'processing_restricted'
  AND engagement >= 5 AND email_consent = 'consent_given' AND webinars >= 2
  AND lower(sector) = lower('ICT')
  AND NOT coalesce(last_purchase > %(now)s - interval '365 days', false)
"""


def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of `runs` calls after one warm-up, and the last result."""
    result = action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def data_now(services: Services) -> datetime:
    """The newest business time in the data set: the rule's "now"."""
    rows = Tables.of(services.views).run(
        f"SELECT max(occurred_at) AS at FROM {Tables.of(services.views).touchpoints.prefix}"
        "touchpoints",
        {},
    )
    at: datetime = rows[0]["at"]
    return at + timedelta(seconds=1)


def bench_count(services: Services, now: datetime, runs: int) -> None:
    rule = parse_rule(EXAMPLE_RULE)

    def segment_count() -> int:
        tables, compiled = compile_for(services, rule, now)
        return queries.count(tables, compiled)

    count_ms, count = median_ms(segment_count, runs)
    weights = {**DEFAULT_WEIGHTS, **services.settings.engagement_weights}
    timeline = services.views.get(Timeline)
    params = {
        "now": now,
        "half_life": services.settings.engagement_half_life_days,
        "kinds": list(weights),
        "weights": list(weights.values()),
    }
    raw_ms, raw = median_ms(lambda: timeline.query(RAW_COUNT, params)[0]["n"], max(1, runs // 2))
    print(f"segment count (example rule): {count} members, median {count_ms:.1f} ms")
    print(f"same rule from raw touchpoints: {raw} members, median {raw_ms:.1f} ms")
    print(f"ratio raw / segment: {raw_ms / count_ms:.1f}x (segment = {count_ms / raw_ms:.3f})")


def bench_export(services: Services, now: datetime, runs: int) -> None:
    """Export the purpose whose consenting customers number closest to 10,000."""
    tables = Tables.of(services.views)
    rule = parse_rule({"not": {"sector": "no such sector"}})
    sizes = {
        purpose: len(queries.export_rows(tables, compile_for(services, rule, now)[1], purpose))
        for purpose in PURPOSES
    }
    purpose = min(sizes, key=lambda p: abs(sizes[p] - 10_000))
    segment = services.segment_store.create(
        f"bench everyone {uuid.uuid4().hex[:6]}",
        {"not": {"sector": "no such sector"}},
        None,
        "bench",
    )
    user = User("bench", Role.MARKETING)
    export_ms, export = median_ms(
        lambda: export_segment(services, segment, purpose, user, now), max(1, runs // 2)
    )
    print(f"consenting customers per purpose: {sizes}")
    print(
        f"CSV export ({purpose}): {len(export.rows)} rows, {len(export.content) / 1e6:.2f} MB,"
        f" median {export_ms:.0f} ms (recorded + access-logged)"
    )


def bench_customer_page(services: Services, runs: int) -> None:
    """GET /ui/customers/{id} for a customer with a long journey, signed in as its manager."""
    rows = services.views.get(Timeline).query(
        "SELECT customer_id, count(*) AS n FROM {p}entries GROUP BY customer_id"
        " ORDER BY count(*) DESC LIMIT 1"
    )
    customer_id, events = rows[0]["customer_id"], rows[0]["n"]
    name = f"bench-am-{uuid.uuid4().hex[:6]}"
    services.users.add(name, Role.ACCOUNT_MANAGER, "bench password 123")
    with TestClient(create_app(services=services)) as client:
        page = client.get("/ui/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post(
            "/ui/login",
            data={"name": name, "password": "bench password 123", "csrf_token": token},
        )

        def open_page() -> int:
            return client.get(f"/ui/customers/{customer_id}").status_code

        page_ms, status = median_ms(open_page, runs)
    print(f"customer page ({events} events, status {status}): median {page_ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    services = build_services(bench_settings(args.scale))
    try:
        head = services.projector.head()
        customers = Tables.of(services.views).run(
            f"SELECT count(*) AS n FROM {Tables.of(services.views).indicators.prefix}customers", {}
        )[0]["n"]
        print(f"data set: {customers:,} customers, {head:,} events")
        now = data_now(services)
        print(f"now = {now.isoformat()}")
        bench_count(services, now, args.runs)
        bench_export(services, now, args.runs)
        bench_customer_page(services, args.runs)
    finally:
        services.close()


if __name__ == "__main__":
    main()
