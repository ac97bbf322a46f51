"""Customer indicators against PostgreSQL, with expected values computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
from projections.engine.merges import MergeMap
from projections.views.indicators import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_WEIGHTS,
    CustomerIndicators,
    derived,
    nps_class,
)
from tests.factories import START, day, provenance, purchase, record, register, unique

WAIT = 20.0


def read(
    services: Services, customer_id: UUID, position: int, now: datetime
) -> tuple[Any, dict[str, Any]]:
    view = services.views.get(CustomerIndicators)
    assert view.wait_for(position, WAIT)
    row = view.indicators(customer_id, now, services.views.get(MergeMap))
    assert row is not None
    extra = derived(
        row,
        view.engagement_sums(customer_id, services.views.get(MergeMap)),
        now,
        DEFAULT_WEIGHTS,
        DEFAULT_HALF_LIFE_DAYS,
    )
    return row, extra


def test_value_and_participation_indicators_match_hand_computed_figures(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm, sector="ICT")
    # Recorded out of business-time order on purpose: the latest purchase first.
    purchase(crm, customer_id, day(40), "P3", "500.00")
    purchase(crm, customer_id, day(10), "P1", "1200.00")
    purchase(crm, customer_id, day(10) + timedelta(hours=2), "P2", "300.00")
    record(
        crm, customer_id, day(12), "purchase_refunded", purchase_id="P1", amount=Decimal(200),
        reason="Moved",
    )  # fmt: skip
    record(crm, customer_id, day(5), "webinar_registered", webinar_id="w1", title="AI")
    record(crm, customer_id, day(6), "webinar_registered", webinar_id="w2", title="ML")
    record(crm, customer_id, day(7), "webinar_attended", webinar_id="w1", title="AI")
    record(
        crm, customer_id, day(8), "event_attended", event_name="Open day", organiser="own",
        event_format="event",
    )  # fmt: skip
    record(crm, customer_id, day(20), "feedback_given", score=9, comment=None, offering=None)
    last = record(crm, customer_id, day(15), "feedback_given", score=6, comment=None, offering=None)

    row, extra = read(services, customer_id, last, now=day(50))

    assert row["revenue"] == Decimal("1800.00")  # 1200 + 300 + 500 - 200
    assert row["purchase_count"] == 3  # same-day purchases count separately
    assert extra["average_order_value"] == Decimal("600.00")
    assert row["first_purchase"] == day(10)
    assert row["last_purchase"] == day(40)
    assert row["first_seen"] == START
    assert row["last_activity"] == day(40)
    assert extra["tenure_days"] == 50
    assert (row["events_attended"], row["webinars_attended"]) == (1, 1)
    assert extra["webinar_utilisation"] == 0.5
    assert extra["feedback_average"] == 7.5
    # The score given last in business time counts, not the one recorded last.
    assert row["last_feedback_score"] == 9
    assert extra["nps_class"] == "promoter"
    assert row["stage"] == "repeat_customer"
    assert row["stage_since"] == day(10) + timedelta(hours=2)
    assert (row["kind"], row["sector"], row["institution"]) == ("person", "ICT", "TAMK")
    assert all(1 <= row[f"{d}_score"] <= 5 for d in ("recency", "frequency", "monetary"))


def test_engagement_decays_by_half_every_half_life(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm)
    now = day(200)
    record(crm, customer_id, now - timedelta(days=90), "company_visited", topic="Coaching")
    record(crm, customer_id, now - timedelta(days=180), "fair_visited", fair_name="Studia")
    last = record(crm, customer_id, now, "web_service_visited", page="/ai")

    _, extra = read(services, customer_id, last, now)

    # company visit 4 * 1/2 + fair visit 2 * 1/4 + web visit 0.5 * 1 (half-life 90 days)
    assert extra["engagement_score"] == pytest.approx(2.0 + 0.5 + 0.5, abs=1e-9)
    row, sums = _inputs(services, customer_id)
    later = derived(row, sums, now + timedelta(days=90), DEFAULT_WEIGHTS, DEFAULT_HALF_LIFE_DAYS)
    assert later["engagement_score"] == pytest.approx(3.0 / 2, abs=1e-9)
    weights = {**DEFAULT_WEIGHTS, "company_visited": 10.0}
    heavier = derived(row, sums, now, weights, DEFAULT_HALF_LIFE_DAYS)
    assert heavier["engagement_score"] == pytest.approx(10 * 0.5 + 0.5 + 0.5, abs=1e-9)


def _inputs(services: Services, customer_id: UUID) -> tuple[Any, Any]:
    view = services.views.get(CustomerIndicators)
    return view.indicators(customer_id, START, services.views.get(MergeMap)), view.engagement_sums(
        customer_id, services.views.get(MergeMap)
    )


def test_lifecycle_moves_from_prospect_to_lapsed_with_entry_dates(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm, kind="organisation")

    def stage(position: int, now: datetime) -> tuple[str, datetime]:
        row, _ = read(services, customer_id, position, now)
        return row["stage"], row["stage_since"]

    assert stage(crm.recorder.max_notification_id() or 0, day(1)) == ("prospect", START)
    position = record(
        crm, customer_id, day(5), "lead_captured", lead_id="L1", source_channel="fair",
        target_group="ICT", interest=None,
    )  # fmt: skip
    assert stage(position, day(6)) == ("lead", day(5))
    position = purchase(crm, customer_id, day(10), unique("P"), "100")
    assert stage(position, day(11)) == ("customer", day(10))
    position = purchase(crm, customer_id, day(30), unique("P"), "100")
    assert stage(position, day(31)) == ("repeat_customer", day(30))
    position = record(crm, customer_id, day(40), "partner_membership_started", tier="free")
    assert stage(position, day(41)) == ("partner", day(40))
    position = record(crm, customer_id, day(60), "partner_membership_ended", reason="Budget")
    assert stage(position, day(70)) == ("repeat_customer", day(30))
    two_years_on = day(30) + timedelta(days=2 * 365 + 40)
    lapsed_stage, since = stage(position, two_years_on)
    assert lapsed_stage == "lapsed"
    assert since == datetime(2027, 2, 5, 9, 0, tzinfo=START.tzinfo)  # 2025-02-05 + 24 months


def test_erased_customer_keeps_facts_and_is_marked(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm)
    purchase(crm, customer_id, day(3), "P1", "250")
    customer = crm.get_customer(customer_id)
    customer.erase(provenance(day(4)), "test of erasure")
    recordings = crm.save(customer)

    row, _ = read(services, customer_id, recordings[-1].notification.id, day(5))

    assert row["erased"] is True
    assert row["revenue"] == Decimal(250)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(10, "promoter"), (9, "promoter"), (8, "passive"), (7, "passive"), (6, "detractor"),
     (0, "detractor"), (None, None)],
)  # fmt: skip
def test_nps_class_follows_the_standard_bands(score: int | None, expected: str | None) -> None:
    assert nps_class(score) == expected


def organisation(crm: CRM, manager: str) -> UUID:
    return register(crm, "organisation", account_manager=manager)


def test_last_annual_review_is_the_latest_in_business_time(services: Services) -> None:
    crm = services.crm
    late = organisation(crm, unique("am"))
    record(crm, late, day(5), "partner_membership_started", tier="paid")
    # The later review is recorded first: the earlier one must not replace it.
    record(crm, late, day(30), "annual_review_held", next_review_due=None)
    position = record(crm, late, day(10), "annual_review_held", next_review_due=None)
    view = services.views.get(CustomerIndicators)
    assert view.wait_for(position, WAIT)
    row = view.indicators(late, day(400), services.views.get(MergeMap))
    assert row is not None and row["last_annual_review"] == day(30)


def test_engagement_and_lifecycle_distributions_count_each_customer_in_its_band_and_stage(
    services: Services,
) -> None:
    crm = services.crm
    view = services.views.get(CustomerIndicators)
    now = day(200)
    # Everything recorded so far is applied once this probe is.
    assert view.wait_for(
        crm.register_customer(
            provenance(),
            customer_kind="person",
            customer_type="individual",
            name=None,
            email=f"{unique('p')}@example.fi",
        ).position,
        WAIT,
    )
    bands_before = view.engagement_distribution(now, DEFAULT_WEIGHTS, services.views.get(MergeMap))
    stages_before = view.lifecycle_distribution(now, services.views.get(MergeMap))

    register(crm, at=now)  # score 0, prospect
    visited = register(crm, at=now)  # 4, prospect
    record(crm, visited, now, "company_visited", topic="Needs")
    buyer = register(crm, at=now)  # 5 + 4 = 9, customer
    record(crm, buyer, now, "company_visited", topic="Offer")
    purchase(crm, buyer, now, "P1", "100")
    lead = register(crm, at=now)  # 1 + 2 = 3, lead
    record(
        crm,
        lead,
        now,
        "lead_captured",
        lead_id="L1",
        source_channel="fair",
        target_group="ICT",
        interest=None,
    )
    record(crm, lead, now, "lead_qualified", lead_id="L1")
    partner = register(crm, "organisation", at=now)  # 5 + 4 + 4 = 13, partner
    record(crm, partner, now, "partner_membership_started", tier="paid")
    record(crm, partner, now, "annual_review_held", next_review_due=None)
    position = record(crm, partner, now, "company_visited", topic="Review")
    assert view.wait_for(position, WAIT)

    bands_after = view.engagement_distribution(now, DEFAULT_WEIGHTS, services.views.get(MergeMap))
    added = [
        after - before for (_, after), (_, before) in zip(bands_after, bands_before, strict=True)
    ]
    assert [low for low, _ in bands_after] == [0.0, 1.0, 5.0, 10.0, 20.0, 50.0]
    assert added == [1, 2, 1, 1, 0, 0]
    stages_after = view.lifecycle_distribution(now, services.views.get(MergeMap))
    assert {stage: stages_after[stage] - stages_before[stage] for stage in stages_after} == {
        "prospect": 2,
        "lead": 1,
        "customer": 1,
        "repeat_customer": 0,
        "partner": 1,
        "lapsed": 0,
    }
