"""Merge then undo equals before, for every view, over generated journeys.

Two people with generated journeys are merged (the survivor taking some of the absorbed
record's profile values) and the merge is undone. While merged, the survivor's timeline reads
both histories; after the undo every view holds, for both customers, the rows it held before
the merge. The merge's own events stay in the timelines (history is never rewritten): they
are the only rows that differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap.wiring import Services
from crm.domain import events as ev
from crm.domain.customer import PROFILE_FIELDS
from projections.engine.merges import MergeMap
from projections.engine.runner import wait_until_caught_up
from projections.views.timeline import Timeline
from tests.factories import START, every_touchpoint, provenance, register, unique
from tests.views import view_rows

TOUCHPOINTS = every_touchpoint()
MERGE_KINDS = {cls.kind() for cls in (ev.MergedInto, ev.Absorbed, ev.MergeUndone)}
NOW = datetime.now(UTC)

SIZE = len(TOUCHPOINTS)
journeys = st.tuples(
    st.integers(min_value=0, max_value=SIZE),
    st.lists(st.integers(min_value=0, max_value=600), min_size=SIZE, max_size=SIZE),
)


def record_journey(services: Services, customer_id: UUID, journey: tuple[int, list[int]]) -> None:
    """The first `length` touchpoints of every kind, in rule order, on increasing days."""
    length, days = journey
    for (kind, fields), day in zip(TOUCHPOINTS[:length], sorted(days), strict=False):
        at = START + timedelta(days=day, hours=len(kind))
        services.crm.record_touchpoint(customer_id, provenance(at), kind, dict(fields))


def rows_of(services: Services, ids: set[UUID]) -> dict[str, list[tuple[Any, ...]]]:
    """Every live view's rows that concern the customers, the merge's own entries aside."""
    wait_until_caught_up(services.projector, services.views.refresh())
    found: dict[str, list[tuple[Any, ...]]] = {}
    for view in services.views.refresh():
        for table, rows in view_rows(view).items():
            mine = [
                row
                for row in rows
                if any(isinstance(value, UUID) and value in ids for value in row)
                and not any(value in MERGE_KINDS for value in row if isinstance(value, str))
            ]
            found[f"{view.name}.{table}"] = mine
    return found


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    survivor_journey=journeys,
    absorbed_journey=journeys,
    taken=st.sets(st.sampled_from(PROFILE_FIELDS)),
)
def test_merge_then_undo_leaves_every_view_as_it_was(
    services: Services,
    survivor_journey: tuple[int, list[int]],
    absorbed_journey: tuple[int, list[int]],
    taken: set[str],
) -> None:
    owner = unique("am")
    survivor = register(services.crm, name="Tapio Virtanen", account_manager=owner)
    absorbed = register(
        services.crm, name="T. Virtanen", phone="040 123 4567", account_manager=owner
    )
    record_journey(services, survivor, survivor_journey)
    record_journey(services, absorbed, absorbed_journey)
    before = rows_of(services, {survivor, absorbed})

    services.crm.merge_customers(
        survivor, absorbed, provenance(NOW), take_from_absorbed=taken, reason="x", owner=owner
    )
    wait_until_caught_up(services.projector, services.views.refresh())
    merged = services.views.get(MergeMap).absorbed_into(survivor)
    assert merged == [absorbed]
    entries, _ = services.views.get(Timeline).page(survivor, merged=merged, limit=500)
    absorbed_entries = [e for e in entries if e["customer_id"] == absorbed]
    assert len(absorbed_entries) == 1 + absorbed_journey[0] + 1  # registered, journey, merge

    services.crm.undo_merge(survivor, absorbed, provenance(NOW), reason="y", owner=owner)
    after = rows_of(services, {survivor, absorbed})
    assert after == before
