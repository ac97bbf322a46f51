"""Merging two customers of 1,000 events each: how long `CRM.merge_customers` (and undoing
it) takes to answer, and how long until every live view reflects it, each against recording
one touchpoint for the same customer in the same run.

    .venv/bin/python -m scripts.bench.merge [--events 1000] [--runs 10]

A database of its own (`asiakassilma_bench_merge` on the benchmark server) holds two people
whose journeys cycle through every touchpoint kind (consents, leads and purchases in rule
order), written through the application. The projection worker runs in this process, as
`crm worker` does. Each run records a touchpoint on the survivor (the baseline), merges the
pair and undoes the merge, each through the application as a route calls it; catch-up is the
time from the answer until the lowest tracking position of the live views passes the write
(sampled every 2 ms). Figures are medians and maxima over `--runs` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from tests.factories import every_touchpoint

from api.bootstrap.embedded_database import ensure_database, with_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from crm.application.crm import Recorded
from crm.domain.customer import Provenance
from projections.engine.runner import ProjectionWorker
from scripts.bench.dataset import DEFAULT_SERVER

DATA_DIR = Path("var/bench")
SAMPLE_SECONDS = 0.002
START = datetime(2024, 1, 8, 9, tzinfo=UTC)
REPEATABLE = {
    "fair_visited", "webinar_registered", "webinar_attended", "event_attended",
    "company_visited", "phone_call_made", "consent_given", "marketing_email_sent",
    "newsletter_sent", "chat_conversation_held", "web_service_visited",
    "social_media_interacted", "feedback_given", "recommendation_given",
}  # fmt: skip
"""Kinds a journey may repeat (leads, purchases and memberships follow their rules once)."""


def journey_touchpoints(count: int) -> list[tuple[str, dict[str, Any]]]:
    """`count` touchpoints: one of every kind in rule order, then the repeatable ones in turn."""
    every = every_touchpoint()
    repeatable = [t for t in every if t[0] in REPEATABLE]
    journey = every[:count]
    while len(journey) < count:
        journey.append(repeatable[len(journey) % len(repeatable)])
    return journey


def provenance(at: datetime, user: str = "bench.am") -> Provenance:
    return Provenance(
        occurred_at=at,
        institution="TAMK",
        channel="other",
        recorded_by=user,
        idempotency_key=uuid4().hex,
    )


def person(services: Services, name: str, email: str, events: int) -> UUID:
    """A person with `events` events: registered, then touchpoints a few hours apart."""
    crm = services.crm
    customer_id = crm.register_customer(
        provenance(START),
        customer_kind="person",
        customer_type="individual",
        name=name,
        email=email,
        phone=None,
        sector=None,
        account_manager="bench.am",
    ).customer_id
    for n, (kind, fields) in enumerate(journey_touchpoints(events - 1)):
        at = START + timedelta(hours=3 * n + 1)
        crm.record_touchpoint(customer_id, provenance(at), kind, fields)
    return customer_id


def caught_up_after(services: Services, recorded: Recorded, answered: float) -> float:
    """Seconds from the answer until every live view has applied the write."""
    assert recorded.position is not None
    views = services.views.refresh()
    while min(view.position() for view in views) < recorded.position:
        time.sleep(SAMPLE_SECONDS)
    return time.monotonic() - answered


def timed(services: Services, write: Any) -> tuple[float, float]:
    """(answer seconds, catch-up seconds after the answer) of one write."""
    started = time.monotonic()
    recorded = write()
    answered = time.monotonic()
    return answered - started, caught_up_after(services, recorded, answered)


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms (max {max(values) * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    name = f"asiakassilma_bench_merge_{args.events}"
    url = ensure_database(with_database(args.server, "postgres"), name)
    settings = Settings(
        database_url=url,
        data_dir=DATA_DIR / name,
        secrets_dir=DATA_DIR / name / "secrets",  # throw-away data, keys beside it
        run_projections=False,
    )
    services = build_services(settings)
    worker = ProjectionWorker(services.projector, services.views, services.database_url)
    worker.start()
    try:
        tag = uuid4().hex[:6]
        started = time.monotonic()
        survivor = person(
            services, "Tapio Virtanen", f"tapio.virtanen.{tag}@yritys.fi", args.events
        )
        absorbed = person(
            services, "Tapio Virtanen", f"tapio.virtanen.{tag}2@gmail.com", args.events
        )
        print(
            f"two customers of {args.events:,} events each written in"
            f" {time.monotonic() - started:.1f} s"
        )
        if not worker.caught_up.wait(600):
            raise SystemExit("the views did not catch up")
        caught_up_after(services, services.crm.record_touchpoint(
            survivor, provenance(START), "web_service_visited", {"notes": None, "page": "/"}
        ), time.monotonic())  # fmt: skip

        crm = services.crm
        baseline: list[tuple[float, float]] = []
        merges: list[tuple[float, float]] = []
        undos: list[tuple[float, float]] = []
        cold: dict[str, list[tuple[float, float]]] = {"touchpoint": [], "merge": [], "undo": []}
        for run in range(args.runs):
            # Cold: a process that has not read either customer yet (each write in a fresh
            # application, so both aggregates load from the store and their snapshots).
            for label in cold:
                fresh = build_services(settings)
                try:
                    cold[label].append(timed(services, lambda c=fresh.crm, label=label: (
                        c.record_touchpoint(survivor, provenance(datetime.now(UTC)),
                                            "web_service_visited", {"notes": None, "page": "/c"})
                        if label == "touchpoint" else
                        c.merge_customers(survivor, absorbed, provenance(datetime.now(UTC)),
                                          take_from_absorbed=("phone",), reason="bench",
                                          owner="bench.am")
                        if label == "merge" else
                        c.undo_merge(survivor, absorbed, provenance(datetime.now(UTC)),
                                     reason="bench", owner="bench.am")
                    )))  # fmt: skip
                finally:
                    fresh.close()
            at = datetime.now(UTC) - timedelta(seconds=args.runs - run)
            baseline.append(timed(services, lambda at=at: crm.record_touchpoint(
                survivor, provenance(at), "web_service_visited", {"notes": None, "page": "/k"}
            )))  # fmt: skip
            merges.append(timed(services, lambda: crm.merge_customers(
                survivor, absorbed, provenance(datetime.now(UTC)), take_from_absorbed=("phone",),
                reason="bench", owner="bench.am",
            )))  # fmt: skip
            undos.append(timed(services, lambda: crm.undo_merge(
                survivor, absorbed, provenance(datetime.now(UTC)), reason="bench",
                owner="bench.am",
            )))  # fmt: skip
        journeys = [len(crm.get_journey(c)) for c in (survivor, absorbed)]
    finally:
        worker.stop()
        services.close()

    base_answer = statistics.median(a for a, _ in baseline)
    base_catch = statistics.median(c for _, c in baseline)
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load}, {args.runs} runs")
    print(f"events per stream at the end: {journeys[0]:,} and {journeys[1]:,}")
    rows = (
        ("baseline: one touchpoint on the survivor", baseline),
        (f"merge two customers of {args.events:,} events", merges),
        ("undo the merge", undos),
        ("cold process: one touchpoint on the survivor", cold["touchpoint"]),
        ("cold process: merge", cold["merge"]),
        ("cold process: undo", cold["undo"]),
    )
    print("| write | answers in (median, max) | x baseline | every view reflects it after"
          " the answer (median, max) | x baseline |")  # fmt: skip
    print("|---|---|---|---|---|")
    for label, figures in rows:
        answers = [a for a, _ in figures]
        catch = [c for _, c in figures]
        print(
            f"| {label} | {ms(answers)} | {statistics.median(answers) / base_answer:.1f}x"
            f" | {ms(catch)} | {statistics.median(catch) / base_catch:.1f}x |"
        )


if __name__ == "__main__":
    main()
