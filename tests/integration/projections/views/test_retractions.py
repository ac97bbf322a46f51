"""A retracted entry counts in no view: each view that reads contacts is checked by name.

Views and what they must show after a retraction: the timeline (the entry struck out, the
retraction beside it), indicators (last active, engagement, counts), the touchpoint index
(the row gone), the consent ledger (a retracted consent gives no interval) and segments (rules
over contacts and consents no longer hold). The funnel holds only lead stages, which cannot be
retracted; `test_the_funnel_is_untouched_because_lead_stages_cannot_be_retracted` says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap.wiring import Services
from crm.domain import events as ev
from crm.domain.errors import InvalidFieldError
from projections.engine.merges import MergeMap
from projections.segments import compiler
from projections.segments.rules import parse_rule
from projections.views.consent_ledger import ConsentLedger
from projections.views.funnel import Funnel
from projections.views.indicators import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_WEIGHTS,
    CustomerIndicators,
    derived,
)
from projections.views.tasks import Tasks
from projections.views.timeline import Timeline
from projections.views.touchpoint_index import TouchpointIndex
from tests.factories import day, provenance, record, register

WAIT = 20.0
READ_AT = day(60)
FUTURE = datetime(2030, 1, 1, 9, tzinfo=UTC)
AFTER_FUTURE = datetime(2030, 1, 2, tzinfo=UTC)
VIEWS_THAT_COUNT = (CustomerIndicators, TouchpointIndex, Timeline, ConsentLedger)


def caught_up(services: Services, position: int | None) -> None:
    for view_class in (*VIEWS_THAT_COUNT, Funnel, Tasks):
        assert services.views.get(view_class).wait_for(position, WAIT), view_class.name


def indicators(services: Services, customer_id: UUID) -> tuple[Any, float]:
    view = services.views.get(CustomerIndicators)
    row = view.indicators(customer_id, READ_AT, services.views.get(MergeMap))
    assert row is not None
    sums = view.engagement_sums(customer_id, services.views.get(MergeMap))
    score = derived(row, sums, READ_AT, DEFAULT_WEIGHTS, DEFAULT_HALF_LIFE_DAYS)
    return row, float(score["engagement_score"])


def index_rows(services: Services, customer_id: UUID) -> list[tuple[int, str]]:
    rows = services.views.get(TouchpointIndex).query(
        "SELECT version, kind FROM {p}touchpoints WHERE customer_id = %s ORDER BY version",
        (customer_id,),
    )
    return [(row["version"], row["kind"]) for row in rows]


def member(
    services: Services, rule: dict[str, Any], customer_id: UUID, at: datetime = READ_AT
) -> bool:
    tables = compiler.Tables.of(services.views)
    compiled = compiler.compile_rule(tables, parse_rule(rule), at)
    explained = compiler.explain(tables, compiled, customer_id)
    assert explained is not None
    return bool(explained.held[0])


def record_visit_dated_2030(services: Services, customer_id: UUID) -> tuple[int, int | None]:
    """A company visit dated 2030, as entries were recorded before touchpoints could not be
    dated in the future: decided with a clock that stood in 2030."""
    customer = services.crm.get_customer(customer_id)
    customer.record_touchpoint(
        provenance(FUTURE),
        ev.CompanyVisited,
        {"topic": "Suunniteltu käynti", "notes": None},
        now=FUTURE,
    )
    [*_, last] = services.crm.save(customer)
    return customer.version, last.notification.id


def test_retracting_a_visit_dated_2030_restores_engagement_and_last_active_in_every_view(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm, account_manager="anna.am")
    record(crm, customer_id, day(3), "webinar_attended", webinar_id="w1", title="AI")
    before = record(crm, customer_id, day(10), "company_visited", topic="Tarpeet")
    caught_up(services, before)
    row_before, engagement_before = indicators(services, customer_id)
    index_before = index_rows(services, customer_id)
    visits = {"touchpoints": {"kind": "company_visited", "at_least": 2, "days": 3650}}
    assert not member(services, visits, customer_id, AFTER_FUTURE)

    version, position = record_visit_dated_2030(services, customer_id)
    caught_up(services, position)
    row_wrong, engagement_wrong = indicators(services, customer_id)
    assert row_wrong["last_activity"] == FUTURE
    assert engagement_wrong > 100 * engagement_before
    assert member(services, visits, customer_id, AFTER_FUTURE)

    retracted = crm.retract_entry(customer_id, provenance(day(59)), version, "Suunniteltu käynti")
    caught_up(services, retracted.position)
    row_after, engagement_after = indicators(services, customer_id)
    assert row_after["last_activity"] == row_before["last_activity"] == day(10)
    assert engagement_after == pytest.approx(engagement_before, rel=1e-9)
    assert index_rows(services, customer_id) == index_before
    assert not member(services, visits, customer_id, AFTER_FUTURE)
    rows, _ = services.views.get(Timeline).page(customer_id, limit=50)
    by_version = {row["version"]: row for row in rows}
    assert by_version[version]["retracted_in"] == retracted.version
    assert by_version[retracted.version]["kind"] == "entry_retracted"
    assert by_version[retracted.version]["personal"] == {"reason": "Suunniteltu käynti"}
    assert by_version[retracted.version]["details"]["retracted_version"] == version


def test_a_retraction_in_the_same_batch_as_its_entry_leaves_no_trace_in_the_counts(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm)
    customer = crm.get_customer(customer_id)
    for n in (1, 2):
        customer.record_touchpoint(
            provenance(day(n)),
            ev.EventAttended,
            {
                "event_name": "Avoimet ovet",
                "organiser": "own",
                "event_format": "event",
                "notes": None,
            },
            now=READ_AT,
        )
    customer.retract_entry(provenance(day(3)), customer.version, "Kirjattu kahdesti")
    [*_, last] = crm.save(customer)
    caught_up(services, last.notification.id)
    row, _ = indicators(services, customer_id)
    assert row["events_attended"] == 1 and row["last_activity"] == day(1)
    assert [kind for _, kind in index_rows(services, customer_id)] == ["event_attended"]


def test_a_retracted_consent_gives_no_interval_and_no_segment_membership(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm)
    given = crm.record_touchpoint(
        customer_id,
        provenance(day(1)),
        "consent_given",
        {"purpose": "newsletter", "lawful_basis": "consent", "evidence": "lomake", "notes": None},
    )
    caught_up(services, given.position)
    ledger = services.views.get(ConsentLedger)
    assert ledger.was_valid(customer_id, "newsletter", day(2))
    assert member(services, {"consent": "newsletter"}, customer_id)

    retracted = crm.retract_entry(customer_id, provenance(day(5)), given.version, "Väärä henkilö")
    caught_up(services, retracted.position)
    assert not ledger.was_valid(customer_id, "newsletter", day(2))
    assert ledger.intervals(customer_id, datetime.now(UTC)) == []
    assert ledger.changes(customer_id) == []
    assert not member(services, {"consent": "newsletter"}, customer_id)


def test_the_funnel_is_untouched_because_lead_stages_cannot_be_retracted(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm)
    captured = crm.record_touchpoint(
        customer_id,
        provenance(day(1)),
        "lead_captured",
        {
            "lead_id": "L1",
            "source_channel": "fair",
            "target_group": "ICT",
            "interest": None,
            "notes": None,
        },
    )
    with pytest.raises(InvalidFieldError) as refused:
        crm.retract_entry(customer_id, provenance(day(2)), captured.version, "Väärin")
    assert "lost" in refused.value.problem
