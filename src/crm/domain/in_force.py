"""What is in force at a time: the one rule behind consent and restriction as of a time.

A history is a list of changes that each switch a state on (consent given, processing
restricted) or off (consent withdrawn or expired, restriction lifted) at a business time.

Ordering: changes are ordered by business time (`occurred_at`), ties broken by recording
order (the event's version; in SQL its log position, which orders one customer's events the
same way). The state at time T is the one set by the last change in that order whose
`occurred_at` is not after T; before the first change the state is off. So a change recorded
late for an earlier business time rewrites history from that time on, and of two changes at
the same instant the one recorded later decides.

SQL reads the same rule as half-open intervals: each "on" change opens
[occurred_at, occurred_at of the next change in the order), open-ended (NULL) when it is the
last; an instant is in force when an interval covers it. A tie makes an empty interval, so
the later change decides there too. `intervals_window`, `VALID_TO` and `covers` (and
`interval_covers` for intervals read into Python) are those intervals; tests check them
against `state_at` on generated histories.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")

Change = tuple[datetime, bool]
"""One change of a history: its business time and whether it switched the state on."""

ORDER_SQL = "occurred_at, position"
"""The order of a history in SQL: business time, then log position."""

MERGED_ORDER_SQL = "occurred_at, merge_rank, position"
"""The order of a merged history in SQL (a survivor's changes and those of the records merged
into it): business time; at a tie the survivor's own changes first (`merge_rank` 0), then each
merged record's in merge order, as the aggregate adds them; then log position."""

VALID_TO = "lead(occurred_at) OVER w"
"""Where the interval a change opens ends: at the next change in the order (window `w`)."""


def intervals_window(partition: str, order: str = ORDER_SQL) -> str:
    """The window `w` over which `VALID_TO` is read: one history per `partition`, in `order`
    (`ORDER_SQL`, or `MERGED_ORDER_SQL` for merged histories)."""
    return f"WINDOW w AS (PARTITION BY {partition} ORDER BY {order})"


def covers(alias: str, at: str) -> str:
    """SQL that holds when interval `alias` covers the instant `at` (an expression)."""
    return f"{alias}.valid_from <= {at} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {at})"


def interval_covers(valid_from: datetime, valid_to: datetime | None, at: datetime) -> bool:
    """Whether the interval [valid_from, valid_to) covers `at`: `covers` in Python."""
    return valid_from <= at and (valid_to is None or at < valid_to)


def in_order(changes: Iterable[T], key: Callable[[T], tuple[datetime, int]]) -> list[T]:
    """The changes in the order of the rule; `key` gives (occurred_at, version)."""
    return sorted(changes, key=key)


def last_in_force(
    history: Sequence[T], at: datetime, occurred_at: Callable[[T], datetime]
) -> T | None:
    """The change that decides the state at `at`, of a history already in the rule's order."""
    position = bisect.bisect_right(history, at, key=occurred_at)
    return history[position - 1] if position else None


def state_at(history: Sequence[Change], at: datetime) -> bool:
    """Whether the state was on at `at`, for a history already in the rule's order."""
    change = last_in_force(history, at, _occurred_at)
    return change is not None and change[1]


def add_change(history: list[Change], occurred_at: datetime, on: bool) -> None:
    """Put a change recorded after all the others in its place in the rule's order."""
    # Insertion to the right of equal times keeps ties in recording order.
    bisect.insort_right(history, (occurred_at, on), key=_occurred_at)


def _occurred_at(change: Change) -> datetime:
    return change[0]
