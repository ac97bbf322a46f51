"""Consent read over merged history: the ledger, the audit, segments and the expiry job.

While one record is merged into another, the survivor's consent is decided over both
records' changes by the aggregate's rule (a withdrawal on either keeps its effect), each
interval keeping its own record's evidence; the absorbed record's contacts count under the
survivor. Undoing the merge returns each record to its own consents.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from api.worker.scheduler import run_consent_expiry
from crm.domain.consents import in_force
from projections.audits import consent_audit
from projections.audits.consent_audit import AuditViews
from projections.engine.merges import MergeMap
from projections.engine.runner import wait_until_caught_up
from projections.segments import compiler
from projections.segments.rules import parse_rule
from projections.views.consent_ledger import ConsentLedger
from tests.factories import day, provenance, record, register, unique

PURPOSE = "email_marketing"
NOW = datetime.now(UTC)


def give(services: Services, customer_id: UUID, days: float, evidence: str) -> int:
    return record(
        services.crm, customer_id, day(days), "consent_given", purpose=PURPOSE,
        lawful_basis="consent", evidence=evidence,
    )  # fmt: skip


def withdraw(services: Services, customer_id: UUID, days: float) -> int:
    return record(
        services.crm, customer_id, day(days), "consent_withdrawn", purpose=PURPOSE,
        evidence="phone call",
    )  # fmt: skip


def send(services: Services, customer_id: UUID, days: float) -> int:
    return record(
        services.crm, customer_id, day(days), "marketing_email_sent", purpose=PURPOSE,
        campaign="autumn",
    )  # fmt: skip


def caught_up(services: Services) -> None:
    wait_until_caught_up(services.projector, services.views.refresh())


def merge(services: Services, survivor: UUID, absorbed: UUID, owner: str) -> list[UUID]:
    services.crm.merge_customers(
        survivor, absorbed, provenance(NOW), take_from_absorbed=(), reason="sama", owner=owner
    )
    caught_up(services)
    return services.views.get(MergeMap).absorbed_into(survivor)


def undo(services: Services, survivor: UUID, absorbed: UUID, owner: str) -> None:
    services.crm.undo_merge(survivor, absorbed, provenance(NOW), reason="eri", owner=owner)
    caught_up(services)


def spans(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (i["record_id"], i["valid_from"], i["valid_to"], i["evidence"], i["ended_by"]) for i in rows
    ]


def pair(services: Services) -> tuple[UUID, UUID, str]:
    owner = unique("am")
    survivor = register(services.crm, name="Tapio Virtanen", account_manager=owner)
    absorbed = register(services.crm, name="T. Virtanen", phone=None, account_manager=owner)
    return survivor, absorbed, owner


def test_a_withdrawal_on_either_record_closes_a_grant_on_either_while_merged(
    services: Services,
) -> None:
    survivor, absorbed, owner = pair(services)
    give(services, absorbed, 5, "form A")
    give(services, survivor, 10, "form S")
    withdraw(services, absorbed, 20)
    caught_up(services)
    ledger = services.views.get(ConsentLedger)
    own_survivor = spans(ledger.intervals(survivor, NOW))
    own_absorbed = spans(ledger.intervals(absorbed, NOW))
    assert own_survivor == [(survivor, day(10), None, "form S", None)]

    merged = merge(services, survivor, absorbed, owner)
    assert merged == [absorbed]
    # The absorbed record's withdrawal ends the survivor's grant; each keeps its evidence.
    assert spans(ledger.intervals(survivor, NOW, merged)) == [
        (absorbed, day(5), day(10), "form A", "renewed"),
        (survivor, day(10), day(20), "form S", "withdrawn"),
    ]
    changes = ledger.changes(survivor, merged)
    assert [(c["customer_id"], c["change"], c["evidence"]) for c in changes] == [
        (absorbed, "given", "form A"),
        (survivor, "given", "form S"),
        (absorbed, "withdrawn", "phone call"),
    ]
    # The same answer as the survivor's aggregate, which decides new contacts.
    history = services.crm.get_customer(survivor).consent_changes[PURPOSE]
    for at in (day(4), day(5), day(12), day(20), day(25), NOW):
        assert ledger.was_valid(survivor, PURPOSE, at, merged) == in_force(history, at, 24)
    assert not ledger.was_valid(survivor, PURPOSE, day(25), merged)

    undo(services, survivor, absorbed, owner)
    assert services.views.get(MergeMap).absorbed_into(survivor) == []
    assert spans(ledger.intervals(survivor, NOW)) == own_survivor
    assert spans(ledger.intervals(absorbed, NOW)) == own_absorbed
    assert ledger.was_valid(survivor, PURPOSE, day(25))


def audited(services: Services, ids: set[UUID]) -> list[Any]:
    caught_up(services)
    rows = consent_audit.marketing_contacts(AuditViews.of(services.views), None, None, PURPOSE)
    return [r for r in rows if r["record_id"] in ids]


def test_the_absorbed_records_contacts_are_audited_under_the_survivor_while_merged(
    services: Services,
) -> None:
    survivor, absorbed, owner = pair(services)
    give(services, survivor, 1, "form S")
    withdraw(services, survivor, 8)
    give(services, absorbed, 5, "form A")
    send(services, absorbed, 12)
    ids = {survivor, absorbed}
    [before] = audited(services, ids)
    assert (before["customer_id"], before["violation"]) == (absorbed, None)
    assert (before["consent_record_id"], before["evidence"]) == (absorbed, "form A")

    merge(services, survivor, absorbed, owner)
    # One person: the withdrawal through the survivor's record (day 8) came after the grant
    # through the absorbed one (day 5), so the e-mail of day 12 had no consent.
    [during] = audited(services, ids)
    assert (during["customer_id"], during["record_id"]) == (survivor, absorbed)
    assert during["violation"] == "no valid consent"
    views = AuditViews.of(services.views)
    given, _ = consent_audit.consents_in_window(views, day(0), day(30), PURPOSE, NOW)
    mine = [
        (g["customer_id"], g["record_id"], g["ended_by"]) for g in given if g["record_id"] in ids
    ]
    assert mine == [(survivor, survivor, "renewed"), (survivor, absorbed, "withdrawn")]

    undo(services, survivor, absorbed, owner)
    [after] = audited(services, ids)
    assert after == before


def test_a_grant_on_the_absorbed_record_covers_the_survivors_contact_with_its_evidence(
    services: Services,
) -> None:
    survivor, absorbed, owner = pair(services)
    give(services, absorbed, 5, "form A")
    merge(services, survivor, absorbed, owner)
    # The survivor's aggregate allows the contact under the absorbed record's consent.
    send(services, survivor, 12)
    [contact] = audited(services, {survivor, absorbed})
    assert (contact["customer_id"], contact["record_id"], contact["violation"]) == (
        survivor,
        survivor,
        None,
    )
    assert (contact["consent_record_id"], contact["evidence"]) == (absorbed, "form A")

    # Undone, the contact stays with the survivor, which had no consent of its own.
    undo(services, survivor, absorbed, owner)
    [contact] = audited(services, {survivor, absorbed})
    assert contact["violation"] == "no valid consent"


def test_a_segments_consent_condition_selects_the_survivor_by_either_records_consent(
    services: Services,
) -> None:
    survivor, absorbed, owner = pair(services)
    give(services, absorbed, 5, "form A")
    caught_up(services)
    rule = parse_rule({"consent": PURPOSE})

    def selected() -> set[UUID]:
        tables = compiler.Tables.of(services.views)
        members = compiler.member_ids(tables, compiler.compile_rule(tables, rule, day(10)))
        return {survivor, absorbed} & set(members)

    assert selected() == {absorbed}
    merge(services, survivor, absorbed, owner)
    assert selected() == {survivor}
    undo(services, survivor, absorbed, owner)
    assert selected() == {absorbed}


def test_the_expiry_job_expires_an_absorbed_records_old_consent_on_the_survivor(
    services: Services,
) -> None:
    survivor, absorbed, owner = pair(services)
    granted = NOW - timedelta(days=800)
    services.crm.record_touchpoint(
        absorbed, provenance(granted), "consent_given",
        {"notes": None, "purpose": PURPOSE, "lawful_basis": "consent", "evidence": "form A"},
    )  # fmt: skip
    merge(services, survivor, absorbed, owner)

    # The absorbed record accepts no events: the expiry goes on the survivor, which decides.
    run_consent_expiry(services, NOW)
    kinds = [type(e).kind() for e in services.crm.get_journey(survivor)]
    assert "consent_expired" in kinds
    caught_up(services)
    ledger = services.views.get(ConsentLedger)
    merged = services.views.get(MergeMap).absorbed_into(survivor)
    [interval] = ledger.intervals(survivor, NOW, merged)
    assert (interval["record_id"], interval["ended_by"]) == (absorbed, "expired")
