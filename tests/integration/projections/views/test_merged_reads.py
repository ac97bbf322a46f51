"""Merged history in every read that is not a timeline: indicators, lifetime inputs, the lead
lists, segments and organisation roll-ups. While merged, the survivor reads over both records'
histories and the absorbed record is in no list of its own; after the undo each reads as it
did before the merge."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.engine.runner import wait_until_caught_up
from projections.segments import compiler
from projections.segments.rules import parse_rule
from projections.views.directory import CustomerDirectory
from projections.views.funnel import STAGES, Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations
from tests.factories import day, provenance, purchase, record, register, unique

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def caught_up(services: Services) -> None:
    wait_until_caught_up(services.projector, services.views.refresh())


def merge(services: Services, survivor: UUID, absorbed: UUID) -> None:
    """An admin's merge (any two customers), then every view caught up."""
    services.crm.merge_customers(
        survivor, absorbed, provenance(day(200)), take_from_absorbed=(), reason="dup", owner=None
    )
    caught_up(services)


def undo(services: Services, survivor: UUID, absorbed: UUID) -> None:
    services.crm.undo_merge(survivor, absorbed, provenance(day(201)), reason="no", owner=None)
    caught_up(services)


def figures(services: Services, customer_id: UUID) -> dict[str, Any]:
    view = services.views.get(CustomerIndicators)
    merges = services.views.get(MergeMap)
    row = view.indicators(customer_id, NOW, merges)
    assert row is not None
    return {**row, "engagement": view.engagement_sums(customer_id, merges)}


def listed(services: Services, ids: set[UUID]) -> set[UUID]:
    """Which of the customers the lists (stage and engagement distributions, segments,
    retention) range over."""
    view = services.views.get(CustomerIndicators)
    rows = view.query(
        f"SELECT customer_id FROM {view.merged_customers(services.views.get(MergeMap))} c"
        " WHERE customer_id = ANY(%s)",
        (list(ids),),
    )
    return {row["customer_id"] for row in rows}


def test_a_survivors_indicators_count_both_histories_until_the_merge_is_undone(
    services: Services,
) -> None:
    crm = services.crm
    survivor, absorbed = register(crm), register(crm)
    purchase(crm, survivor, day(10), "S1", "100")
    record(crm, survivor, day(12), "feedback_given", score=6, comment=None, offering=None)
    purchase(crm, absorbed, day(2), "A1", "200")
    purchase(crm, absorbed, day(20), "A2", "300")
    record(crm, absorbed, day(30), "feedback_given", score=10, comment=None, offering=None)
    record(crm, absorbed, day(31), "company_visited", topic="Coaching")
    caught_up(services)
    before = {i: figures(services, i) for i in (survivor, absorbed)}
    stages_before = services.views.get(CustomerIndicators).lifecycle_distribution(
        NOW, services.views.get(MergeMap)
    )
    assert before[survivor]["revenue"] == Decimal(100)

    merge(services, survivor, absorbed)

    merged = figures(services, survivor)
    assert merged["revenue"] == Decimal(600)
    assert merged["purchase_count"] == 3
    assert (merged["first_purchase"], merged["second_purchase"]) == (day(2), day(10))
    assert merged["last_purchase"] == day(20)
    assert merged["stage"] == "repeat_customer" and merged["stage_since"] == day(10)
    assert (merged["feedback_count"], merged["feedback_sum"]) == (2, 16)
    assert merged["last_feedback_score"] == 10
    assert merged["last_activity"] == day(31)
    engagement = dict(before[survivor]["engagement"])
    for kind, total in before[absorbed]["engagement"].items():
        engagement[kind] = engagement.get(kind, Decimal(0)) + total
    assert merged["engagement"] == engagement
    # Read by its own id the absorbed record shows its own history; it is in no list.
    assert figures(services, absorbed)["revenue"] == Decimal(500)
    assert listed(services, {survivor, absorbed}) == {survivor}
    stages = services.views.get(CustomerIndicators).lifecycle_distribution(
        NOW, services.views.get(MergeMap)
    )
    assert sum(stages.values()) == sum(stages_before.values()) - 1

    undo(services, survivor, absorbed)

    assert {i: figures(services, i) for i in (survivor, absorbed)} == before
    assert listed(services, {survivor, absorbed}) == {survivor, absorbed}


def test_lifetime_inputs_are_the_survivors_purchases_from_both_records(services: Services) -> None:
    crm = services.crm
    survivor, absorbed = register(crm), register(crm)
    purchase(crm, survivor, day(10), "S1", "100")
    purchase(crm, absorbed, day(2), "A1", "200")
    caught_up(services)
    indicators = services.views.get(CustomerIndicators)

    def inputs() -> list[tuple[UUID, datetime, Decimal]]:
        rows = indicators.purchase_rows(services.views.get(MergeMap))
        return sorted(
            (r["customer_id"], r["occurred_at"], r["net"])
            for r in rows
            if r["customer_id"] in (survivor, absorbed)
        )

    before = inputs()
    assert before == sorted([(survivor, day(10), Decimal(100)), (absorbed, day(2), Decimal(200))])

    merge(services, survivor, absorbed)
    assert inputs() == [(survivor, day(2), Decimal(200)), (survivor, day(10), Decimal(100))]

    undo(services, survivor, absorbed)
    assert inputs() == before


def test_a_merged_records_leads_are_listed_under_the_survivor_for_its_manager(
    services: Services,
) -> None:
    crm = services.crm
    theirs, mine = unique("am"), unique("am")
    survivor = register(crm, account_manager=mine)
    absorbed = register(crm, account_manager=theirs)
    record(
        crm, absorbed, day(1), "lead_captured", lead_id="L7", source_channel="fair",
        target_group=None, interest=None,
    )  # fmt: skip
    record(crm, absorbed, day(2), "lead_qualified", lead_id="L7")
    caught_up(services)
    funnel = services.views.get(Funnel)
    indicators = services.views.get(CustomerIndicators)

    def leads(manager: str) -> tuple[list[tuple[UUID, UUID]], dict[str, int]]:
        merges = services.views.get(MergeMap)
        rows, total = funnel.leads_owned_by(manager, indicators, merges, NOW, stages=STAGES)
        assert total == len(rows)
        pairs = [(r["customer_id"], r["stream_id"]) for r in rows]
        return pairs, funnel.stage_counts(manager, indicators, merges)

    mine_before, theirs_before = leads(mine), leads(theirs)
    assert mine_before[0] == [] and theirs_before[0] == [(absorbed, absorbed)]

    merge(services, survivor, absorbed)

    pairs, counts = leads(mine)
    assert pairs == [(survivor, absorbed)]
    assert counts["qualified"] == 1
    assert leads(theirs)[0] == []

    undo(services, survivor, absorbed)
    assert (leads(mine), leads(theirs)) == (mine_before, theirs_before)


def test_segments_count_a_survivors_merged_history_and_never_the_absorbed_record(
    services: Services,
) -> None:
    crm = services.crm
    sector = unique("sector")
    survivor = register(crm, sector=sector)
    absorbed = register(crm, sector=sector)
    organisation = register(crm, kind="organisation")
    purchase(crm, survivor, day(100), "S1", "300")
    purchase(crm, absorbed, day(110), "A1", "400")
    record(crm, survivor, day(120), "webinar_attended", webinar_id="w1", title="AI")
    record(crm, absorbed, day(121), "webinar_attended", webinar_id="w2", title="ML")
    crm.start_affiliation(absorbed, provenance(day(1)), organisation, None)
    caught_up(services)
    ids = {survivor, absorbed}
    rules = {
        "revenue at least 700": {
            "all": [{"sector": sector}, {"field": "revenue", "op": ">=", "value": 700}]
        },
        "revenue at least 400": {
            "all": [{"sector": sector}, {"field": "revenue", "op": ">=", "value": 400}]
        },
        "two webinars": {
            "all": [{"sector": sector}, {"webinars_attended": {"at_least": 2, "days": 365}}]
        },
        "works for it": {
            "all": [
                {"sector": sector},
                {"organisation": {"field": "kind", "op": "=", "value": "organisation"}},
            ]
        },
        "repeat customer": {"all": [{"sector": sector}, {"lifecycle_stage": "repeat_customer"}]},
    }

    def members() -> dict[str, set[UUID]]:
        tables = compiler.Tables.of(services.views)
        found = {}
        for name, rule in rules.items():
            compiled = compiler.compile_rule(tables, parse_rule(rule), NOW)
            found[name] = set(compiler.member_ids(tables, compiled)) & ids
            assert compiler.count(tables, compiled) == len(found[name])
        return found

    before = members()
    assert before == {
        "revenue at least 700": set(),
        "revenue at least 400": {absorbed},
        "two webinars": set(),
        "works for it": {absorbed},
        "repeat customer": set(),
    }

    merge(services, survivor, absorbed)

    assert members() == {
        "revenue at least 700": {survivor},
        "revenue at least 400": {survivor},
        "two webinars": {survivor},
        "works for it": {survivor},
        "repeat customer": {survivor},
    }
    tables = compiler.Tables.of(services.views)
    compiled = compiler.compile_rule(tables, parse_rule(rules["revenue at least 400"]), NOW)
    explained = compiler.explain(tables, compiled, absorbed)
    assert explained is not None and explained.held[0]
    assert explained.merged_into == survivor and not explained.member

    undo(services, survivor, absorbed)
    assert members() == before


def test_organisation_rollups_read_merged_people_and_merged_organisations(
    services: Services,
) -> None:
    crm = services.crm
    organisation, duplicate = register(crm, kind="organisation"), register(crm, kind="organisation")
    survivor, absorbed, colleague = register(crm), register(crm), register(crm)
    purchase(crm, organisation, day(1), "O1", "5000")
    purchase(crm, duplicate, day(2), "D1", "700")
    purchase(crm, survivor, day(3), "S1", "100")
    purchase(crm, absorbed, day(4), "A1", "200")
    purchase(crm, colleague, day(5), "C1", "40")
    crm.start_affiliation(survivor, provenance(day(1)), organisation, "CTO")
    crm.start_affiliation(absorbed, provenance(day(2)), organisation, "Engineer")
    crm.start_affiliation(colleague, provenance(day(2)), duplicate, None)
    caught_up(services)
    organisations = services.views.get(Organisations)
    indicators = services.views.get(CustomerIndicators)

    def rollup(org: UUID) -> dict[str, Any]:
        merges = services.views.get(MergeMap)
        found = organisations.rollup(org, indicators, merges, NOW)
        assert found is not None
        people = organisations.people(org, services.views.get(CustomerDirectory), merges, 50)
        return {
            "own": found["own"]["revenue"],
            "people": found["people"]["people"],
            "people_revenue": found["people"]["revenue"],
            "members": sorted((m["person_id"], sorted(m["streams"])) for m in found["members"]),
            "listed": sorted(row["person_id"] for row in people),
        }

    before = {org: rollup(org) for org in (organisation, duplicate)}
    assert before[organisation]["people"] == 2
    assert before[organisation]["people_revenue"] == Decimal(300)

    merge(services, survivor, absorbed)

    merged_people = rollup(organisation)
    assert merged_people["people"] == 1
    assert merged_people["people_revenue"] == Decimal(300)
    assert merged_people["members"] == [(survivor, sorted([survivor, absorbed]))]
    assert merged_people["listed"] == [survivor]
    employers = organisations.employers(
        survivor, services.views.get(CustomerDirectory), services.views.get(MergeMap)
    )
    assert [(e["organisation_id"], e["role"]) for e in employers] == [(organisation, "Engineer")]

    merge(services, organisation, duplicate)

    both = rollup(organisation)
    assert both["own"] == Decimal(5700)
    assert both["people"] == 2
    assert both["people_revenue"] == Decimal(340)
    assert both["listed"] == sorted([survivor, colleague])

    undo(services, organisation, duplicate)
    undo(services, survivor, absorbed)
    assert {org: rollup(org) for org in (organisation, duplicate)} == before
