"""Candidate duplicates over ~54,000 customers: the whole scored list an admin sees and the
list of one account manager, each as a ratio to reading the rows matching reads (the
directory's names, e-mails and phones and the current affiliations), timed in the same run.
Also the flags of what was just recorded (`projections.duplicates.flags`): one customer's,
as its page shows them (against reading that customer's directory row), and an import's
first `MAX_CHECKED` customers'.

    .venv/bin/python -m scripts.bench.duplicates [--scale 16.5] [--runs 5]

The customers are the demo generator's at the benchmark scale (the same people as
`scripts.bench.dataset`). Matching reads only the directory and organisations views, so their
rows are written straight into those views' tables of a database of their own (generating
the customers takes about a minute; the event log is not needed and not written). Later runs
reuse the rows. Each figure is the median of `--runs` warm runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from functools import partial
from pathlib import Path
from uuid import UUID

from api.bootstrap.embedded_database import ensure_database, with_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from api.cli.demo_data import generate
from api.services.duplicates import duplicate_candidates
from crm.application.users import Role, User
from projections.duplicates.flags import MAX_CHECKED, duplicate_flags
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from scripts.bench.dataset import BENCH_SCALE, BENCH_SEED, DEFAULT_SERVER
from scripts.bench.segments import median_ms

DATA_DIR = Path("var/bench")


def fill_views(services: Services, scale: float, seed: int) -> None:
    """Write the generated customers' directory rows and affiliations, once."""
    directory = services.views.get(CustomerDirectory)
    organisations = services.views.get(Organisations)
    [row] = directory.query("SELECT count(*) AS n FROM {p}customers")
    if row["n"]:
        return
    started = time.monotonic()
    customers = list(generate(scale, seed))
    with directory.datastore.transaction(commit=True) as cursor:
        with cursor.copy(
            f"COPY {directory.prefix}customers (customer_id, kind, customer_type, name, email,"
            " phone, sector, account_manager, institution, first_seen) FROM STDIN"
        ) as copy:
            for c in customers:
                copy.write_row(
                    (c.id, c.kind, c.customer_type, c.name, c.email, c.phone, c.sector,
                     c.account_manager, "joint", c.first_seen)
                )  # fmt: skip
        with cursor.copy(
            f"COPY {organisations.prefix}affiliations (person_id, organisation_id, changed_at,"
            " active, started_at) FROM STDIN"
        ) as copy:
            for c in customers:
                for organisation, since in c.affiliations.items():
                    copy.write_row((c.id, organisation, since, True, since))
    print(f"generated {len(customers):,} customers in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    name = f"asiakassilma_bench_duplicates_{str(args.scale).replace('.', '_')}_{args.seed}"
    url = ensure_database(with_database(args.server, "postgres"), name)
    settings = Settings(
        database_url=url,
        data_dir=DATA_DIR / name,
        secrets_dir=DATA_DIR / name / "secrets",  # throw-away data, keys beside it
        run_projections=False,
    )
    services = build_services(settings)
    try:
        fill_views(services, args.scale, args.seed)
        directory = services.views.get(CustomerDirectory)
        organisations = services.views.get(Organisations)
        admin = User("bench-admin", Role.ADMIN)
        manager = User("anna.am", Role.ACCOUNT_MANAGER)

        def read_rows() -> int:
            return len(directory.matching_rows(None)) + len(organisations.current_links(None))

        baseline, rows = median_ms(read_rows, args.runs)
        every_ms, every = median_ms(lambda: duplicate_candidates(services, admin), args.runs)
        mine_ms, mine = median_ms(lambda: duplicate_candidates(services, manager), args.runs)
        found = every.found
        print(
            f"customers compared: {found.customers_compared:,}; pairs: {len(found.pairs):,}"
            f" (anna.am: {len(mine.found.pairs):,}); keys left out: {found.keys_left_out:,}"
        )
        evidence = Counter(e for pair in found.pairs for e in pair.evidence)
        print("evidence: " + ", ".join(f"{e.value} {n:,}" for e, n in evidence.most_common()))
        print(f"baseline: reading the {rows:,} rows matching reads: {baseline:,.0f} ms")
        for label, ms in (("every pair (admin)", every_ms), ("anna.am's pairs", mine_ms)):
            print(f"{label}: {ms:,.0f} ms = {ms / baseline:.1f} x baseline")

        people = [
            row["customer_id"]
            for row in directory.query(
                "SELECT customer_id FROM {p}customers WHERE kind = 'person'"
                " ORDER BY customer_id LIMIT %s",
                (MAX_CHECKED,),
            )
        ]
        one_row, _ = median_ms(lambda: len(directory.rows(people[:1])), args.runs * 10)

        def flags_of(customer_ids: list[UUID]) -> int:
            return len(duplicate_flags(directory, organisations, customer_ids)[0].pairs)

        singles = [median_ms(partial(flags_of, [c]), 1)[0] for c in people[:50]]
        many_ms, many = median_ms(lambda: flags_of(people), args.runs)
        single = statistics.median(singles)
        print(f"baseline: reading one customer's directory row: {one_row:.2f} ms")
        print(
            f"flags of one customer (median of 50): {single:.1f} ms = {single / one_row:.1f} x;"
            f" max {max(singles):.1f} ms"
        )
        print(f"flags of {len(people)} customers ({many} pairs): {many_ms:,.0f} ms")
    finally:
        services.close()


if __name__ == "__main__":
    main()
