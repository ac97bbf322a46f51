"""The benchmark data set: the demo generator scaled to ~50,000 customers and ~1,000,000 events,
loaded once into its own database on a PostgreSQL server and reused by every benchmark.

    .venv/bin/python -m scripts.bench.dataset            # load (skips when already loaded)

The database name carries the scale and seed; its keys live in `var/bench/` so a later run can
still decrypt what an earlier run stored.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from api.bootstrap.embedded_database import ensure_database, with_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import build_services
from api.cli.demo_data import generate, save_customers

DEFAULT_SERVER = os.environ.get("CRM_BENCH_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_SCALE = 16.5
BENCH_SEED = 2026
DATA_DIR = Path("var/bench")


def bench_settings(
    scale: float = BENCH_SCALE,
    seed: int = BENCH_SEED,
    server: str = DEFAULT_SERVER,
    **extra: Any,
) -> Settings:
    """Settings for the benchmark database; loads and catches up the views on first use."""
    name = f"asiakassilma_bench_{str(scale).replace('.', '_')}_{seed}"
    url = ensure_database(with_database(server, "postgres"), name)
    settings = Settings(
        database_url=url,
        data_dir=DATA_DIR / name,
        # The benchmark's keys stay beside its data on purpose (throw-away data).
        secrets_dir=DATA_DIR / name / "secrets",
        run_projections=False,
        **extra,
    )
    _load_if_empty(settings, scale, seed)
    return settings


def _load_if_empty(settings: Settings, scale: float, seed: int) -> None:
    console = Console(stderr=True)
    services = build_services(settings)
    try:
        if services.projector.head() == 0:
            started = time.monotonic()
            customers, events = save_customers(services.crm, generate(scale, seed))
            console.print(
                f"bench data set: {customers:,} customers, {events:,} events loaded in "
                f"{time.monotonic() - started:.0f} s"
            )
        for view in services.views.refresh(force=True):
            if view.position() < services.projector.head():
                started = time.monotonic()
                services.projector.catch_up(view)
                console.print(f"  view {view.name} caught up in {time.monotonic() - started:.0f} s")
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=BENCH_SCALE)
    parser.add_argument("--seed", type=int, default=BENCH_SEED)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    args = parser.parse_args()
    settings = bench_settings(args.scale, args.seed, args.server)
    print(settings.database_url)


if __name__ == "__main__":
    main()
