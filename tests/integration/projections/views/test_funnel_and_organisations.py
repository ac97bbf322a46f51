"""The lead funnel and organisation roll-ups against PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations
from tests.factories import day, provenance, purchase, record, register, unique

WAIT = 20.0


def test_funnel_counts_conversions_and_median_days_by_source_channel(
    services: Services,
) -> None:
    crm = services.crm
    # A target group of its own keeps other tests' leads out of this report row.
    group = unique("group")
    customer_id = register(crm)
    last = 0
    for n, (convert_after, lose) in enumerate(
        [(4, False), (10, False), (None, True), (None, False)]
    ):
        lead_id = f"L{n}"
        record(
            crm, customer_id, day(n), "lead_captured", lead_id=lead_id, source_channel="chat",
            target_group=group, interest=None,
        )  # fmt: skip
        last = record(crm, customer_id, day(n + 1), "lead_qualified", lead_id=lead_id)
        if convert_after is not None:
            last = record(
                crm, customer_id, day(n + convert_after), "lead_converted", lead_id=lead_id,
                purchase_id=None,
            )  # fmt: skip
        elif lose:
            last = record(crm, customer_id, day(n + 2), "lead_lost", lead_id=lead_id, reason="x")
    view = services.views.get(Funnel)
    assert view.wait_for(last, WAIT)

    [row] = [r for r in view.report("target_group") if r["value"] == group]
    assert (row["leads"], row["qualified"], row["converted"], row["lost"]) == (4, 4, 2, 1)
    assert row["conversion_rate"] == Decimal("0.5000")
    assert row["median_days_to_conversion"] == 7.0  # median of 4 and 10 days
    by_channel = {r["value"]: r for r in view.report("source_channel")}
    assert by_channel["chat"]["leads"] >= 4


def test_organisation_rollup_sums_its_current_people(services: Services) -> None:
    crm = services.crm
    organisation = register(crm, kind="organisation")
    alice, bob, carol = register(crm), register(crm), register(crm)
    purchase(crm, organisation, day(1), "O1", "5000")
    purchase(crm, alice, day(2), "A1", "100")
    purchase(crm, bob, day(3), "B1", "200")
    purchase(crm, carol, day(4), "C1", "400")
    crm.start_affiliation(alice, provenance(day(1)), organisation, None)
    crm.start_affiliation(bob, provenance(day(1)), organisation, None)
    crm.start_affiliation(carol, provenance(day(1)), organisation, None)
    position = crm.end_affiliation(carol, provenance(day(5)), organisation).position
    assert position is not None
    organisations = services.views.get(Organisations)
    indicators = services.views.get(CustomerIndicators)
    assert organisations.wait_for(position, WAIT) and indicators.wait_for(position, WAIT)

    rollup = organisations.rollup(
        organisation, indicators, services.views.get(MergeMap), datetime(2025, 6, 1, tzinfo=UTC)
    )

    assert rollup is not None
    assert rollup["own"]["revenue"] == Decimal(5000)
    assert rollup["people"]["people"] == 2
    assert rollup["people"]["revenue"] == Decimal(300)
    assert {m["person_id"] for m in rollup["members"]} == {alice, bob}
    assert organisations.rollup(uuid4(), indicators, services.views.get(MergeMap), day(0)) is None
