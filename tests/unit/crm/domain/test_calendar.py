"""The provider's calendar: month arithmetic clipped to short months, days in Finnish time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from crm.domain.calendar import (
    HELSINKI,
    local_date,
    months_after,
    months_before,
    one_month_after,
    start_of_day,
)


def test_months_after_and_before_keep_the_day_or_clip_it_to_a_shorter_month() -> None:
    assert months_after(datetime(2024, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2024, 2, 29, 9, tzinfo=UTC
    )
    assert months_after(datetime(2025, 11, 15, tzinfo=UTC), 24) == datetime(
        2027, 11, 15, tzinfo=UTC
    )
    assert months_before(datetime(2025, 3, 31, tzinfo=UTC), 13) == datetime(2024, 2, 29, tzinfo=UTC)
    assert months_before(datetime(2025, 1, 10, tzinfo=UTC), 1) == datetime(2024, 12, 10, tzinfo=UTC)


def test_the_gdpr_deadline_is_one_calendar_month_on() -> None:
    received = datetime(2026, 12, 31, 12, tzinfo=UTC)
    assert (
        one_month_after(received)
        == months_after(received, 1)
        == datetime(2027, 1, 31, 12, tzinfo=UTC)
    )


def test_days_begin_and_end_in_finnish_time() -> None:
    assert start_of_day(date(2025, 6, 1)) == datetime(2025, 5, 31, 21, tzinfo=UTC)
    assert start_of_day(date(2025, 1, 1)).tzinfo is HELSINKI
    assert local_date(datetime(2025, 5, 31, 21, 30, tzinfo=UTC)) == date(2025, 6, 1)
