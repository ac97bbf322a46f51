"""Tasks: what each kind of planned task records when it is done, and when tasks are due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from crm.domain import events as ev
from crm.domain.calendar import HELSINKI

TASK_TOUCHPOINTS: dict[str, type[ev.Touchpoint]] = {
    "call": ev.PhoneCallMade,
    "visit": ev.CompanyVisited,
    "meeting": ev.CompanyVisited,
    "review": ev.AnnualReviewHeld,
}
"""The touchpoint a completed task of each kind records."""

TASK_STATES = ("open", "completed", "cancelled")


def touchpoint_fields(
    task_kind: str, title: str, notes: str | None, next_review_due: date | None = None
) -> dict[str, Any]:
    """The fields of the touchpoint that completing a task of this kind records."""
    kind = TASK_TOUCHPOINTS[task_kind]
    if kind is ev.PhoneCallMade:
        return {"direction": "outbound", "topic": title, "marketing_purpose": None, "notes": notes}
    if kind is ev.AnnualReviewHeld:
        return {"next_review_due": next_review_due, "notes": notes}
    return {"topic": title, "notes": notes}


def due_window(now: datetime) -> tuple[date, date]:
    """Today and the last day of this week (Sunday), in Finnish time."""
    today = now.astimezone(HELSINKI).date()
    return today, today + timedelta(days=6 - today.weekday())
