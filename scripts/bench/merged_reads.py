"""What reading through the merge map costs, on the benchmark data set (~50,000 customers):
each read as the product answers it (customers as they read through merges) beside the same
read over the views' own per-record rows (the read before merges were read through), in the
same run. Reads: one customer's indicators with RFM, the segment count of the issue's example
rule, the largest organisation's roll-up and an owner's open leads.

    .venv/bin/python -m scripts.bench.merged_reads [--runs 15]

Figures are medians of warm runs and their ratio; run on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from api.bootstrap.embedded_database import with_database
from api.bootstrap.wiring import VIEW_CLASSES
from projections.engine.generations import LiveViews
from projections.engine.merges import MergeMap
from projections.segments import compiler
from projections.segments.rules import parse_rule
from projections.views.funnel import STAGE_SQL as LEAD_STAGE_SQL
from projections.views.funnel import Funnel
from projections.views.indicators import (
    RFM_OF_ONE,
    STAGE_SINCE_SQL,
    STAGE_SQL,
    CustomerIndicators,
)
from projections.views.organisations import Organisations
from scripts.bench.dataset import BENCH_SCALE, BENCH_SEED, DEFAULT_SERVER
from scripts.bench.segments import EXAMPLE_RULE


def median_ms(run: Callable[[], Any], runs: int) -> float:
    run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    # The views read no personal data here, so no keys are needed: the live generations over
    # a plain datastore.
    parts = conninfo_to_dict(_bench_url())
    datastore = PostgresDatastore(
        dbname=str(parts.get("dbname")),
        host=str(parts.get("host") or "127.0.0.1"),
        port=str(parts.get("port") or "5432"),
        user=str(parts.get("user") or "postgres"),
        password=str(parts.get("password") or ""),
        pool_size=2,
    )
    try:
        views = LiveViews(datastore, list(VIEW_CLASSES))
        indicators = views.get(CustomerIndicators)
        merges = views.get(MergeMap)
        organisations = views.get(Organisations)
        funnel = views.get(Funnel)
        p = indicators.prefix
        now = datetime.now(UTC)
        [busiest] = indicators.query(
            "SELECT customer_id FROM {p}customers ORDER BY purchase_count DESC LIMIT 1"
        )
        [largest] = organisations.query(
            "SELECT organisation_id FROM {p}affiliations WHERE active"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        [owner] = indicators.query(
            "SELECT account_manager FROM {p}customers WHERE account_manager <> ''"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        customer, organisation, manager = (
            busiest["customer_id"],
            largest["organisation_id"],
            owner["account_manager"],
        )
        merged_count = len(merges.query("SELECT 1 FROM {p}merged"))
        tables = compiler.Tables.of(views)
        compiled = compiler.compile_rule(tables, parse_rule(EXAMPLE_RULE), now)
        plain_rfm = RFM_OF_ONE.replace("{customers}", f"{p}customers")

        def own_row() -> Any:
            return indicators.query(
                f"SELECT c.*, {STAGE_SQL} AS stage, {STAGE_SINCE_SQL} AS stage_since, r.*"
                f" FROM {{p}}customers c LEFT JOIN LATERAL ({plain_rfm}) r ON true"
                " WHERE c.customer_id = %(id)s",
                {"id": customer, "now": now},
            )

        def plain_count() -> Any:
            return tables.run(
                f"SELECT count(*) FROM {compiler.from_clause(tables, compiled, f'{p}customers')}"
                f" WHERE {compiler.eligible(tables)} AND {compiled.where}",
                compiled.params,
            )

        def plain_rollup() -> Any:
            return organisations.query(
                "SELECT count(*), sum(c.revenue), max(c.last_activity)"
                f" FROM {{p}}affiliations a JOIN {p}customers c ON c.customer_id = a.person_id"
                " WHERE a.organisation_id = %s AND a.active",
                (organisation,),
            )

        def plain_leads() -> Any:
            return funnel.query(
                f"SELECT l.*, {LEAD_STAGE_SQL} AS stage, count(*) OVER () AS total"
                f" FROM {{p}}leads l JOIN {p}customers c ON c.customer_id = l.customer_id"
                " WHERE c.account_manager = %s AND NOT c.erased AND NOT l.erased"
                " AND l.captured_at IS NOT NULL ORDER BY l.captured_at LIMIT 50",
                (manager,),
            )

        pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
            (
                "indicators of one customer",
                lambda: indicators.indicators(customer, now, merges),
                own_row,
            ),
            ("segment count, example rule", lambda: compiler.count(tables, compiled), plain_count),
            (
                "largest organisation's roll-up",
                lambda: organisations.rollup(
                    organisation, indicators, merges, now, with_members=False
                ),
                plain_rollup,
            ),
            (
                "an owner's open leads (50)",
                lambda: funnel.leads_owned_by(manager, indicators, merges, now),
                plain_leads,
            ),
        ]
        customers = len(indicators.query("SELECT 1 FROM {p}customers"))
        print(
            f"{customers} customers, {merged_count} merged records, owner {manager!r},"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        print("| read | through merges ms | own rows ms | ratio |")
        print("|---|---|---|---|")
        for name, merged, plain in pairs:
            a, b = median_ms(merged, args.runs), median_ms(plain, args.runs)
            print(f"| {name} | {a:.1f} | {b:.1f} | {a / b:.2f}x |")
    finally:
        datastore.close()


def _bench_url() -> str:
    """The benchmark database's address (it must have been built: `scripts.bench.dataset`)."""
    name = f"asiakassilma_bench_{str(BENCH_SCALE).replace('.', '_')}_{BENCH_SEED}"
    return with_database(DEFAULT_SERVER, name)


if __name__ == "__main__":
    main()
