"""Benchmark: what per-customer encryption adds to the bulk write path.

Saves customers with a realistic journey (registration with name, e-mail and phone, then
touchpoints with and without notes) 100 aggregates per transaction, once through the
`PersonalDataMapper` (AES-256-GCM per customer, data keys created in bulk) and once through
the library's plain mapper (personal fields in clear), alternating rounds on a fresh database.

    .venv/bin/python -m scripts.bench.encryption --customers 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Mapper, Recording

from api.bootstrap.embedded_database import (
    drop_database,
    embedded_server_url,
    ensure_database,
    with_database,
)
from crm.adapters.postgres.data_keys import PostgresKeyRing
from crm.adapters.postgres.event_store import event_store_env
from crm.adapters.postgres.migrations import migrate
from crm.adapters.postgres.pool import open_pool
from crm.application.crm import CRM
from crm.domain.customer import Customer, Provenance
from crm.domain.identity import InMemoryIdentityIndex
from crm.speedups.saving import save_collecting_directly

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
TOUCHPOINTS: list[tuple[str, dict[str, object]]] = [
    ("fair_visited", {"notes": "Met at the stand, interested in AI", "fair_name": "Studia"}),
    ("webinar_attended", {"notes": None, "webinar_id": "w1", "title": "AI in teaching"}),
    ("company_visited", {"notes": "Coaching needs for 12 people", "topic": "Coaching"}),
    ("web_service_visited", {"notes": None, "page": "/koulutukset"}),
    (
        "purchase_made",
        {
            "notes": None,
            "purchase_id": "P1",
            "offering": "AI for leaders",
            "offering_type": "open_training",
            "amount": Decimal("1200.00"),
            "invoice_reference": "INV-1",
        },
    ),
    ("feedback_given", {"notes": None, "score": 9, "comment": "Erinomainen", "offering": "AI"}),
    ("course_completed", {"notes": None, "course": "AI basics", "credits": Decimal("5")}),
    ("recommendation_given", {"notes": "Told colleagues", "offering": "AI basics"}),
    ("web_service_visited", {"notes": None, "page": "/kumppanuus"}),
]


class PlainCRM(CRM):
    """The same application with the library's mapper: personal fields stored in clear."""

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return Mapper(transcoder=self.construct_transcoder())

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[uuid.UUID]]:
        # The same save path without data keys: the difference is encryption alone.
        return save_collecting_directly(self, objs, kwargs, direct=Customer)


def journeys(count: int) -> list[Customer]:
    customers = []
    from crm.domain import events as ev

    for i in range(count):

        def prov(day: int) -> Provenance:
            return Provenance(
                START + timedelta(days=day), "TAMK", "fair", "bench", uuid.uuid4().hex
            )

        customer = Customer.register(
            customer_id=uuid.uuid4(),
            provenance=prov(0),
            customer_kind="person",
            customer_type="individual",
            name=f"Person {i} Virtanen",
            email=f"person{i}@example.fi",
            phone="+358 40 123 4567",
            sector="ICT",
            account_manager="anna.am",
        )
        for day, (kind, fields) in enumerate(TOUCHPOINTS, start=1):
            customer.record_touchpoint(
                prov(day), ev.TOUCHPOINT_KINDS[kind], dict(fields), now=datetime.now(UTC)
            )
        customers.append(customer)
    return customers


def run(crm: CRM, customers: list[Customer], per_save: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(customers), per_save):
        crm.save(*customers[i : i + per_save])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-save", type=int, default=100)
    args = parser.parse_args()
    server = os.environ.get("CRM_DATABASE_URL") or embedded_server_url(ROOT / "var" / "test")
    maintenance = with_database(server, "postgres")
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    url = ensure_database(maintenance, name)
    pool = open_pool(url)
    try:
        migrate(pool)
        env = event_store_env(url)
        keys = PostgresKeyRing(pool, os.urandom(32))
        identities = InMemoryIdentityIndex(os.urandom(32))
        apps = {
            "encrypted": CRM(env, keys=keys, identities=identities),
            "plain": PlainCRM(env, keys=keys, identities=identities),
        }
        events_per_round = args.customers * (1 + len(TOUCHPOINTS))
        times: dict[str, list[float]] = {mode: [] for mode in apps}
        for _ in range(args.rounds):
            for mode, app in apps.items():
                times[mode].append(run(app, journeys(args.customers), args.per_save))
        rates = {mode: events_per_round / min(spent) for mode, spent in times.items()}
        overhead = (rates["plain"] / rates["encrypted"] - 1) * 100
        print(f"events per round: {events_per_round:,} ({args.per_save} aggregates per save)")
        for mode, rate in rates.items():
            print(f"{mode:>9}: {rate:,.0f} events/s (best of {args.rounds})")
        print(f"encryption adds {overhead:.1f}% to the bulk write time")
        for app in apps.values():
            app.close()
    finally:
        pool.close()
        drop_database(maintenance, name)


if __name__ == "__main__":
    main()
