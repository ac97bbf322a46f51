"""The rule for what is in force at a time: business time decides, ties by recording order."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm.domain.in_force import Change, add_change, interval_covers, state_at
from tests.factories import START

TICK = timedelta(microseconds=1)


def test_a_change_recorded_late_for_an_earlier_time_rewrites_history_from_then() -> None:
    history: list[Change] = []
    add_change(history, START + timedelta(days=10), True)
    add_change(history, START + timedelta(days=5), False)
    add_change(history, START + timedelta(days=2), True)
    assert state_at(history, START + timedelta(days=3))
    assert not state_at(history, START + timedelta(days=7))
    assert state_at(history, START + timedelta(days=10))
    assert not state_at(history, START + timedelta(days=2) - TICK)


def test_of_two_changes_at_one_instant_the_one_recorded_later_decides() -> None:
    history: list[Change] = []
    add_change(history, START, True)
    add_change(history, START, False)
    assert not state_at(history, START)
    add_change(history, START, True)
    assert state_at(history, START)


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=10), st.integers(-1, 6))
def test_the_state_is_the_last_change_in_business_time_then_recording_order(
    changes: list[tuple[int, bool]], day: int
) -> None:
    history: list[Change] = []
    for n, on in changes:
        add_change(history, START + timedelta(days=n), on)
    by_rule = sorted(enumerate(changes), key=lambda item: (item[1][0], item[0]))
    not_after = [on for _, (n, on) in by_rule if n <= day]
    assert state_at(history, START + timedelta(days=day)) == (not_after[-1] if not_after else False)


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=10), st.integers(-1, 6))
def test_the_intervals_of_a_history_cover_exactly_the_times_its_state_is_on(
    changes: list[tuple[int, bool]], day: int
) -> None:
    history: list[Change] = []
    for n, on in changes:
        add_change(history, START + timedelta(days=n), on)
    # The intervals as the SQL builds them: each "on" change until the next change.
    intervals = [
        (at, history[i + 1][0] if i + 1 < len(history) else None)
        for i, (at, on) in enumerate(history)
        if on
    ]
    moment = START + timedelta(days=day)
    covered = any(interval_covers(start, end, moment) for start, end in intervals)
    assert covered == state_at(history, moment)
