"""Merge then undo equals before, for every view, over generated journeys.

Two people with generated journeys are merged (the survivor taking some of the absorbed
record's profile values) and the merge is undone. While merged, the survivor's timeline reads
both histories, and its merged reads (indicators, engagement, lifetime inputs, leads) equal
the view's own definitions evaluated over both streams' events as one history, while the
absorbed record is in no list of its own; after the undo every view holds, for both
customers, the rows it held before the merge, and every merged read answers as before. The
merge's own events stay in the timelines (history is never rewritten): they are the only rows
that differ. Consent is read over the merged history too: while merged, the ledger's answer
for the survivor is the survivor aggregate's at every change and contact, and the audit counts
both records' contacts under the survivor; after the undo the ledger's and the audit's reads
of both customers are what they were before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap.wiring import Services
from crm.domain import events as ev
from crm.domain.consents import in_force
from crm.domain.customer import PROFILE_FIELDS
from projections.audits import consent_audit
from projections.audits.consent_audit import AuditViews
from projections.engine.merges import MergeMap
from projections.engine.runner import wait_until_caught_up
from projections.views.consent_ledger import ConsentLedger
from projections.views.funnel import STAGES, Funnel
from projections.views.indicators import (
    BATCH,
    CUSTOMER_COLUMNS,
    DECAY_TERM,
    TOUCHPOINT,
    CustomerIndicators,
)
from projections.views.timeline import Timeline
from tests.factories import START, every_touchpoint, provenance, register, unique
from tests.views import view_rows

TOUCHPOINTS = every_touchpoint()
MERGE_KINDS = {cls.kind() for cls in (ev.MergedInto, ev.Absorbed, ev.MergeUndone)}
NOW = datetime.now(UTC)
RFM = {"recency_score", "frequency_score", "monetary_score"}
FACTS = [name for name in CUSTOMER_COLUMNS if name != "customer_id"]

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


def merged_reads(services: Services, survivor: UUID, absorbed: UUID, owner: str) -> dict[str, Any]:
    """What the survivor and the absorbed record read as: indicators, engagement sums,
    lifetime inputs, the owner's leads and which of the two any list names."""
    indicators = services.views.get(CustomerIndicators)
    merges = services.views.get(MergeMap)
    ids = {survivor, absorbed}
    leads, _ = services.views.get(Funnel).leads_owned_by(
        owner, indicators, merges, NOW, stages=STAGES, limit=500
    )
    listed = indicators.query(
        f"SELECT customer_id FROM {indicators.merged_customers(merges)} c"
        " WHERE customer_id = ANY(%s)",
        (list(ids),),
    )
    return {
        "indicators": {i: indicators.indicators(i, NOW, merges) for i in ids},
        "engagement": {i: indicators.engagement_sums(i, merges) for i in ids},
        "purchases": [r for r in indicators.purchase_rows(merges) if r["customer_id"] in ids],
        "leads": sorted((dict(r) for r in leads), key=repr),
        "listed": {r["customer_id"] for r in listed},
    }


def one_history(services: Services, streams: list[UUID]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The indicator row and engagement sums the view's own per-event definitions (BATCH,
    DECAY_TERM) give for the streams' events taken as one customer's history."""
    view = services.views.get(CustomerIndicators)
    params = view.events.params(
        0, services.projector.head(), replay=streams, half_life=view.half_life_days
    )
    columns = ", ".join(f"{BATCH[name]} AS {name}" for name in CUSTOMER_COLUMNS if name in FACTS)
    with view.datastore.transaction(commit=False) as cursor:
        cursor.execute("SET LOCAL extra_float_digits TO 1")
        cursor.execute(f"WITH {view.events.replay_cte} SELECT {columns} FROM events e", params)
        row = cursor.fetchone()
        cursor.execute(
            f"WITH {view.events.replay_cte} SELECT e.kind, sum({DECAY_TERM}) AS total"
            f" FROM events e WHERE {TOUCHPOINT} GROUP BY e.kind",
            params,
        )
        sums = {r["kind"]: r["total"] for r in cursor.fetchall()}
    assert row is not None
    return dict(row), sums


def consent_reads(services: Services, ids: list[UUID]) -> dict[str, Any]:
    """What the ledger and the audit show of each customer, each read on its own (through the
    merge map, as the routes read them)."""
    ledger, merges = services.views.get(ConsentLedger), services.views.get(MergeMap)
    reads: dict[str, Any] = {}
    for customer_id in ids:
        merged = merges.absorbed_into(customer_id)
        reads[f"intervals {customer_id}"] = ledger.intervals(customer_id, NOW, merged)
        reads[f"changes {customer_id}"] = ledger.changes(customer_id, merged)
    contacts = consent_audit.marketing_contacts(AuditViews.of(services.views), None, None, None)
    reads["audit"] = [row for row in contacts if row["record_id"] in ids]
    return reads


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
    # The survivor's registration and journey come later in the log than the absorbed
    # record's, so on a tie in business time the survivor's own value wins in both readings.
    absorbed = register(
        services.crm, name="T. Virtanen", phone="040 123 4567", account_manager=owner
    )
    survivor = register(services.crm, name="Tapio Virtanen", account_manager=owner)
    record_journey(services, absorbed, absorbed_journey)
    record_journey(services, survivor, survivor_journey)
    before = rows_of(services, {survivor, absorbed})
    reads_before = merged_reads(services, survivor, absorbed, owner)
    assert reads_before["listed"] == {survivor, absorbed}
    consents_before = consent_reads(services, [survivor, absorbed])

    services.crm.merge_customers(
        survivor, absorbed, provenance(NOW), take_from_absorbed=taken, reason="x", owner=owner
    )
    wait_until_caught_up(services.projector, services.views.refresh())
    merged = services.views.get(MergeMap).absorbed_into(survivor)
    assert merged == [absorbed]
    entries, _ = services.views.get(Timeline).page(survivor, merged=merged, limit=500)
    absorbed_entries = [e for e in entries if e["customer_id"] == absorbed]
    assert len(absorbed_entries) == 1 + absorbed_journey[0] + 1  # registered, journey, merge
    reads = merged_reads(services, survivor, absorbed, owner)
    assert reads["listed"] == {survivor}
    combined, sums = one_history(services, [survivor, absorbed])
    row = reads["indicators"][survivor]
    assert row is not None
    assert {name: row[name] for name in FACTS} == combined
    assert reads["engagement"][survivor] == sums
    # Read by its own id, the absorbed record shows its own history, as its timeline does
    # (its RFM scores are relative to the customers as they read, which the merge changed).
    own, own_before = reads["indicators"][absorbed], reads_before["indicators"][absorbed]
    assert own is not None and own_before is not None
    assert {k: v for k, v in own.items() if k not in RFM} == {
        k: v for k, v in own_before.items() if k not in RFM
    }
    # The lifetime fit's inputs: every purchase of both, all the survivor's.
    assert {r["customer_id"] for r in reads["purchases"]} <= {survivor}
    assert sorted((r["occurred_at"], r["net"]) for r in reads["purchases"]) == sorted(
        (r["occurred_at"], r["net"]) for r in reads_before["purchases"]
    )
    # Every lead of both, each listed under the survivor from the record it is on.
    assert {lead["customer_id"] for lead in reads["leads"]} <= {survivor}
    assert sorted((lead["stream_id"], lead["lead_id"]) for lead in reads["leads"]) == sorted(
        (lead["stream_id"], lead["lead_id"]) for lead in reads_before["leads"]
    )

    # The ledger decides the survivor's consent as its aggregate does, at every moment that
    # matters: each change and each contact of either record.
    ledger = services.views.get(ConsentLedger)
    histories = services.crm.get_customer(survivor).consent_changes
    moments = {e["occurred_at"] for e in entries} | {NOW}
    for purpose, history in histories.items():
        for at in moments:
            expected = in_force(history, at, ledger.validity_months)
            assert ledger.was_valid(survivor, purpose, at, merged) == expected, (purpose, at)
    audit = consent_reads(services, [survivor, absorbed])["audit"]
    assert len(audit) == len(consents_before["audit"])
    assert {row["customer_id"] for row in audit} <= {survivor}

    services.crm.undo_merge(survivor, absorbed, provenance(NOW), reason="y", owner=owner)
    after = rows_of(services, {survivor, absorbed})
    assert after == before
    assert merged_reads(services, survivor, absorbed, owner) == reads_before
    assert consent_reads(services, [survivor, absorbed]) == consents_before
