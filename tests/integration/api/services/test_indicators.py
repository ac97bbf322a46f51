"""A customer's indicators as of a time, shared by the indicators route and the customer page."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from api.bootstrap.wiring import Services
from api.services.indicators import indicators_as_of, month_ends
from projections.views.indicators import CustomerIndicators
from tests.factories import register


def test_a_customer_the_view_has_seen_has_stored_and_derived_indicators(
    services: Services,
) -> None:
    customer_id = register(services.crm)
    services.projector.catch_up(services.views.get(CustomerIndicators))

    found = indicators_as_of(services, customer_id, datetime.now(UTC))

    assert found is not None
    row, derived = found
    assert row["customer_id"] == customer_id
    assert "engagement_score" in derived


def test_a_customer_the_view_has_not_seen_has_no_indicators(services: Services) -> None:
    assert indicators_as_of(services, uuid4(), datetime.now(UTC)) is None


def test_month_ends_fall_on_the_first_of_each_month_in_the_zone_of_now() -> None:
    helsinki = ZoneInfo("Europe/Helsinki")
    now = datetime(2026, 2, 15, 12, tzinfo=helsinki)
    assert month_ends(now, 3) == [
        datetime(2026, 1, 1, tzinfo=helsinki),
        datetime(2026, 2, 1, tzinfo=helsinki),
        now,
    ]
