"""The scheduled lifetime fit in PostgreSQL: parameters, predictions, and too little data."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.lifetime.fit import fit_lifetime, latest_fit, prediction_for
from projections.views.indicators import CustomerIndicators
from tests.factories import day, purchase, register

WAIT = 30.0


def buy_pattern(services: Services, count: int) -> tuple[UUID, int]:
    """`count` customers with 1-4 purchase days; the first also buys twice on one day."""
    crm = services.crm
    first: UUID | None = None
    position = 0
    for n in range(count):
        customer_id = register(crm)
        first = first or customer_id
        for k in range(1 + n % 4):
            position = purchase(crm, customer_id, day(30 * k + n), f"P{k}", str(100 + 10 * n))
        if customer_id == first:
            position = purchase(crm, customer_id, day(n) + timedelta(hours=3), "same-day", "50")
    assert first is not None
    return first, position


def test_fit_stores_parameters_and_predictions_with_same_day_purchases_as_one(
    services: Services,
) -> None:
    first, position = buy_pattern(services, 24)
    indicators = services.views.get(CustomerIndicators)
    assert indicators.wait_for(position, WAIT)

    outcome = fit_lifetime(indicators, services.views.get(MergeMap), date(2025, 12, 31))

    assert outcome.fitted, outcome.reason
    fit = latest_fit(indicators.datastore)
    assert fit is not None and fit["fit_id"] == outcome.fit_id
    assert fit["observation_end"] == date(2025, 12, 31)
    assert set(fit["parameters"]["bgnbd"]) >= {"r", "alpha", "a", "b"}
    prediction = prediction_for(indicators.datastore, first)
    assert prediction is not None
    # One purchase day plus a second purchase that same day: no repeat transaction.
    assert prediction["frequency"] == 0
    assert prediction["age_days"] == (date(2025, 12, 31) - day(0).date()).days
    assert 0.0 <= prediction["probability_alive"] <= 1.0
    assert prediction["expected_purchases"] >= 0.0


def test_fit_with_too_little_data_stores_nothing_and_says_why(services: Services) -> None:
    indicators = services.views.get(CustomerIndicators)
    before = latest_fit(indicators.datastore)

    outcome = fit_lifetime(
        indicators, services.views.get(MergeMap), date(2025, 12, 31), min_customers=10**9
    )

    assert not outcome.fitted and outcome.fit_id is None
    assert outcome.reason is not None and "customers" in outcome.reason
    assert latest_fit(indicators.datastore) == before
