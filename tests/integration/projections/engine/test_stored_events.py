"""Views that compute their rows in SQL from the stored events read them as the mapper does."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from api.bootstrap.wiring import Services
from crm.adapters.mapper import PersonalDataMapper
from crm.domain import events as ev
from projections.engine.merges import MergeMap
from projections.engine.stored_events import EventRows
from projections.views.indicators import EPOCH, CustomerIndicators, days_since_epoch
from projections.views.timeline import Timeline, own_fields, plain
from tests.factories import START, every_touchpoint, provenance, register, unique
from tests.integration.crm.application.test_privacy import marked_customer


def test_timeline_rows_hold_what_the_mapper_decodes_with_personal_fields_sealed(
    services: Services,
) -> None:
    marker = unique("SEALED")
    # Every touchpoint kind, a profile correction and an affiliation (a UUID field), so
    # every stored value type appears.
    customer_id = marked_customer(services, marker)
    timeline = services.views.get(Timeline)
    assert timeline.wait_for(services.projector.head(), 20)

    stored = timeline.query(
        "SELECT personal::text AS personal, details::text AS details FROM {p}entries"
        " WHERE customer_id = %s",
        (customer_id,),
    )
    assert stored and marker not in repr(stored), "personal fields are stored in clear"

    rows, _ = timeline.page(customer_id, limit=100)
    mapper = cast(PersonalDataMapper, services.crm.mapper)
    decoded = [
        mapper.to_domain_event(stored_event)
        for stored_event in services.crm.recorder.select_events(customer_id)
    ]
    assert len(rows) == len(decoded) == len(every_touchpoint()) + 3
    by_version = {row["version"]: row for row in rows}
    for event in decoded:
        assert isinstance(event, ev.CustomerEvent)
        row = by_version[event.originator_version]
        public, personal = own_fields(type(event))
        state = event.__dict__
        assert row["kind"] == type(event).kind()
        assert row["occurred_at"] == event.occurred_at
        assert row["recorded_at"] == event.timestamp
        assert (row["institution"], row["channel"], row["recorded_by"]) == (
            event.institution,
            event.channel,
            event.recorded_by,
        )
        assert row["details"] == {name: plain(state[name]) for name in public}
        expected: Any = {name: plain(state[name]) for name in personal}
        if all(value is None for value in expected.values()):
            expected = None
        assert row["personal"] == expected, type(event).kind()
    assert any(marker in str(row["personal"]) for row in rows)
    kinds = {row["kind"]: row for row in rows}
    assert kinds["purchase_made"]["details"]["amount"] == "1200.00"
    assert kinds["annual_review_held"]["details"]["next_review_due"] == "2026-01-15"
    organisation_id = kinds["affiliation_started"]["details"]["organisation_id"]
    assert str(uuid.UUID(organisation_id)) == organisation_id


def test_engagement_terms_are_the_formula_digit_for_digit(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm, email=None)
    moments = [START + timedelta(days=37, microseconds=123457), EPOCH - timedelta(days=400.3)]
    for at in moments:
        position = crm.record_touchpoint(
            customer_id, provenance(at), "web_service_visited", {"notes": None, "page": "/"}
        ).position
    view = services.views.get(CustomerIndicators)
    assert view.wait_for(position, 20)
    half_life = view.half_life_days
    expected = sum(Decimal(repr(2.0 ** (days_since_epoch(at) / half_life))) for at in moments)
    assert view.engagement_sums(customer_id, services.views.get(MergeMap)) == {
        "web_service_visited": expected
    }


def test_every_concrete_customer_event_class_is_listed_for_the_views() -> None:
    """The SQL views read the classes in `CUSTOMER_EVENT_CLASSES`; a kind missing there
    would be skipped silently."""
    found, pending = set(), [ev.CustomerEvent]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    assert found - {ev.Touchpoint} == set(ev.CUSTOMER_EVENT_CLASSES)


def test_stored_events_with_upcasters_are_refused() -> None:
    class Upcast(ev.WebServiceVisited):
        class_version = 2

    with pytest.raises(NotImplementedError, match="Upcast"):
        EventRows([Upcast])
