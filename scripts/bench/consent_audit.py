"""Consent audit speed on the benchmark data set (~50,000 customers, ~1,000,000 events): the
totals over every marketing contact, the first page of violations and the CSV of every audited
contact, each as a ratio to `SELECT count(*)` over the same stored events, timed in the same run.

    .venv/bin/python -m scripts.bench.consent_audit [--scale 16.5] [--runs 5]

Only the audit's three views and the merge map are opened, so running this from a branch
whose other views have another version leaves the shared benchmark database's other
generations alone. When the data set is not loaded, a smaller one (`--fallback-scale`) is
generated in a database of its own.
Each figure is the median of `--runs` warm runs.
"""

from __future__ import annotations

import argparse
from typing import cast

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from api.bootstrap.embedded_database import with_database
from api.bootstrap.key_files import open_key_ring
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import view_configurator
from api.services.consent_audit import audit_csv_lines
from crm.adapters.mapper import PersonalDataMapper
from crm.adapters.postgres.event_store import STORED_EVENTS
from crm.adapters.postgres.pool import open_pool
from crm.application.crm import CRM
from crm.domain.identity import InMemoryIdentityIndex
from projections.audits.consent_audit import AuditViews, audit_totals, marketing_contacts
from projections.engine.generations import LiveViews
from projections.engine.merges import MergeMap
from projections.views.consent_ledger import ConsentLedger
from projections.views.restrictions import Restrictions
from projections.views.timeline import Timeline
from scripts.bench.dataset import BENCH_SCALE, BENCH_SEED, DEFAULT_SERVER, bench_settings
from scripts.bench.segments import median_ms


def loaded_database(server: str, scale: float, seed: int) -> str | None:
    """The URL of the benchmark database when it exists and holds events, else None."""
    name = f"asiakassilma_bench_{str(scale).replace('.', '_')}_{seed}"
    url = with_database(server, name)
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(f"SELECT count(*) > 0 FROM {STORED_EVENTS}").fetchone()
    except psycopg.Error:
        return None
    return url if row and row[0] else None


def audit_views(url: str, settings: Settings) -> AuditViews:
    """The audit's views (and the merge map it reads merged people through) of the benchmark
    database, opening sealed evidence with the data set's own keys (`settings`: where its key
    files are)."""
    parts = conninfo_to_dict(url)
    datastore = PostgresDatastore(
        dbname=str(parts.get("dbname")),
        host=str(parts.get("host") or "127.0.0.1"),
        port=str(parts.get("port") or "5432"),
        user=str(parts.get("user") or "postgres"),
        password=str(parts.get("password") or ""),
    )
    pool = open_pool(url, max_size=2)
    # The application's own mapper (its transcodings), over the data set's keys.
    crm = CRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        keys=open_key_ring(settings, pool),
        identities=InMemoryIdentityIndex(bytes(32)),
    )
    mapper = cast(PersonalDataMapper, crm.mapper)
    views = LiveViews(
        datastore,
        [Timeline, ConsentLedger, Restrictions, MergeMap],
        configure=view_configurator(settings, mapper),
    )
    return AuditViews.of(views)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--fallback-scale", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url = loaded_database(args.server, args.scale, args.seed)
    if url is None:
        print(f"benchmark data set not loaded: generating scale {args.fallback_scale} instead")
        settings = bench_settings(args.fallback_scale, args.seed, args.server)
        url = str(settings.database_url)
    else:
        settings = bench_settings(args.scale, args.seed, args.server)
    audited = audit_views(url, settings)
    timeline = audited.timeline
    [sizes] = timeline.query(
        f"SELECT (SELECT count(*) FROM {STORED_EVENTS}) AS events,"
        " (SELECT count(DISTINCT customer_id) FROM {p}entries) AS customers"
    )
    behind = [
        v.name for v in audited.all() if v.position() < max(x.position() for x in audited.all())
    ]
    print(f"data set: {sizes['customers']:,} customers, {sizes['events']:,} events")
    if behind:
        print(f"warning: views behind the others: {', '.join(behind)}")

    baseline, _ = median_ms(
        lambda: timeline.query(f"SELECT count(*) AS n FROM {STORED_EVENTS}"), args.runs
    )
    totals_ms, totals = median_ms(lambda: audit_totals(audited, None, None, None), args.runs)
    page_ms, _ = median_ms(
        lambda: marketing_contacts(
            audited, None, None, None, violations_only=True, offset=0, limit=50
        ),
        args.runs,
    )
    csv_ms, lines = median_ms(
        lambda: sum(1 for _ in audit_csv_lines(audited, None, None, None, violations_only=False)),
        args.runs,
    )
    print(f"contacts checked: {totals.contacts:,}; violations: {totals.violations:,}")
    print(f"baseline: SELECT count(*) over {sizes['events']:,} stored events: {baseline:,.0f} ms")
    for label, ms in (
        ("audit totals (every contact)", totals_ms),
        ("first page of violations (50)", page_ms),
        (f"CSV of every contact ({lines - 1:,} rows)", csv_ms),
    ):
        print(f"{label}: {ms:,.0f} ms = {ms / baseline:.1f} x baseline")


if __name__ == "__main__":
    main()
