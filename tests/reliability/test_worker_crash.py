"""A projection worker killed with SIGKILL again and again ends with views identical to a clean
rebuild: nothing lost, nothing applied twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import VIEW_CLASSES, Services
from crm.domain import events as ev
from crm.domain.customer import Customer
from tests.factories import START, provenance, unique
from tests.processes import crm_environment
from tests.views import view_rows

NOW = datetime.now(UTC)

CUSTOMERS = 300
EVENTS_PER_CUSTOMER = 20


def seed_journeys(services: Services) -> None:
    """Customers with purchases, refunds, consents and visits, saved many per transaction."""
    rng = random.Random(7)
    customers = []
    for n in range(CUSTOMERS):
        customer = Customer.register(
            customer_id=__import__("uuid").uuid4(),
            provenance=provenance(START),
            customer_kind="person",
            customer_type="individual",
            name=f"Crash Test {n}",
            email=f"crash{n}-{unique()}@example.fi",
            phone=None,
            sector=None,
            account_manager="anna.am",
        )
        for i in range(EVENTS_PER_CUSTOMER):
            at = START.replace(day=1 + i % 27, hour=rng.randrange(8, 18))
            if i == 3:
                customer.record_touchpoint(
                    provenance(at),
                    ev.PurchaseMade,
                    {
                        "notes": "invoice by mail",
                        "purchase_id": "P",
                        "offering": "Coaching",
                        "offering_type": "coaching",
                        "amount": Decimal(rng.randrange(100, 900)),
                        "invoice_reference": None,
                    },
                    now=NOW,
                )
            elif i == 4 and n % 3 == 0:
                customer.record_touchpoint(
                    provenance(at),
                    ev.PurchaseRefunded,
                    {"notes": None, "purchase_id": "P", "amount": Decimal(50), "reason": "x"},
                    now=NOW,
                )
            elif i == 5:
                customer.record_touchpoint(
                    provenance(at),
                    ev.ConsentGiven,
                    {
                        "notes": None,
                        "purpose": "newsletter",
                        "lawful_basis": "consent",
                        "evidence": "form v1",
                    },
                    now=NOW,
                )
            else:
                customer.record_touchpoint(
                    provenance(at),
                    ev.WebServiceVisited,
                    {"notes": f"visit {i}", "page": "/p"},
                    now=NOW,
                )
        customers.append(customer)
    for chunk in range(0, len(customers), 100):
        services.crm.save(*customers[chunk : chunk + 100])


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **crm_environment(settings, projection_batch_size="250")}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli.main", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_views_survive_repeated_sigkill_of_the_worker(isolated_services: Services) -> None:
    services = isolated_services
    seed_journeys(services)
    head = services.projector.head()
    live = services.views.refresh(force=True)
    rng = random.Random(11)
    kills = 0
    interrupted_mid_catch_up = 0
    while min(view.position() for view in live) < head and kills < 8:
        before = sum(view.position() for view in live)
        worker = start_worker(services.settings)
        # Kill soon after the worker has committed something, so it dies mid catch-up.
        deadline = time.monotonic() + 60
        while sum(view.position() for view in live) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
        positions = [view.position() for view in live]
        interrupted_mid_catch_up += any(0 < position < head for position in positions)
    assert kills >= 2, "the worker finished before it could be killed twice; seed more events"
    assert interrupted_mid_catch_up, "no kill landed while a view was part-way through"
    worker = start_worker(services.settings)
    try:
        for view in live:
            assert view.wait_for(head, timeout=120), f"{view.name} did not catch up"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    for view_class in VIEW_CLASSES:
        # Built as the live views are (configured from settings: mapper, validity, half-life).
        clean = services.views.build(view_class, f"v{view_class.version}crash{kills}")
        clean.create_table()
        try:
            services.projector.catch_up(clean)
            assert view_rows(services.views.get(view_class)) == view_rows(clean), view_class.name
        finally:
            clean.drop_tables()
