"""The provider's calendar: its time zone and calendar-month arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIME_ZONE_NAME = "Europe/Helsinki"
HELSINKI = ZoneInfo(TIME_ZONE_NAME)
"""The provider's time zone: local times without a zone, days and months are Finnish time."""


def zone_named(name: str, field: str = "timezone") -> ZoneInfo:
    """An IANA time zone by name (`Europe/Helsinki`); an unknown name is an invalid field."""
    # Imported here: errors format their times with this module, so it cannot import them first.
    from crm.domain.errors import InvalidFieldError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidFieldError(field, "is not a known time zone (e.g. Europe/Helsinki)") from error


def months_after(at: datetime, months: int) -> datetime:
    """The same moment `months` calendar months later (clipped to the month's last day)."""
    index = at.year * 12 + at.month - 1 + months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


def months_before(at: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (clipped to the month's last day)."""
    return months_after(at, -months)


def one_month_after(at: datetime) -> datetime:
    """The GDPR deadline: the same day next month, or that month's last day if it is shorter."""
    return months_after(at, 1)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day` in the provider's time zone."""
    return datetime.combine(day, time(), HELSINKI)


def local_date(at: datetime) -> date:
    """The provider's calendar date at the moment `at`."""
    return at.astimezone(HELSINKI).date()


def local_text(at: datetime | date, language: str = "en") -> str:
    """A moment (or a day) as Finnish time, written the way the language writes it: the one
    format every page and every message uses ("1.12.2027 14.30" in Finnish, "2027-12-01 14:30"
    in English)."""
    if isinstance(at, datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=HELSINKI)
        local = at.astimezone(HELSINKI)
        return local.strftime("%-d.%-m.%Y %H.%M" if language == "fi" else "%Y-%m-%d %H:%M")
    return at.strftime("%-d.%-m.%Y" if language == "fi" else "%Y-%m-%d")
