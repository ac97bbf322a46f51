"""Tasks, the future-date rule and retractions, decided by the aggregate (in-memory store)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from crm.application.crm import CRM
from crm.domain import events as ev
from crm.domain.corrections import NOT_RETRACTABLE, RETRACTABLE
from crm.domain.customer import MAX_CLOCK_SKEW
from crm.domain.errors import ConsentRequiredError, InvalidFieldError, TaskError
from tests.factories import START, day, in_memory_crm, provenance, register

NOW = START + timedelta(days=30)
VISIT = {"topic": "Koulutustarpeet", "notes": None}
CONSENT = {
    "purpose": "email_marketing",
    "lawful_basis": "consent",
    "evidence": "form",
    "notes": None,
}
EMAIL = {"purpose": "email_marketing", "campaign": "Syksy", "notes": None}


@pytest.fixture
def crm() -> CRM:
    return in_memory_crm(lambda: NOW)


@pytest.fixture
def customer_id(crm: CRM) -> UUID:
    return register(crm)


def test_a_touchpoint_dated_beyond_the_clock_skew_is_refused_naming_occurred_at(
    crm: CRM, customer_id: UUID
) -> None:
    later = NOW + MAX_CLOCK_SKEW + timedelta(seconds=1)
    with pytest.raises(InvalidFieldError) as refused:
        crm.record_touchpoint(customer_id, provenance(later), "company_visited", dict(VISIT))
    assert refused.value.field == "occurred_at" and refused.value.code == "future"
    assert "plan a task" in refused.value.problem
    assert crm.get_customer(customer_id).version == 1


def test_a_touchpoint_within_the_clock_skew_is_recorded(crm: CRM, customer_id: UUID) -> None:
    at = NOW + MAX_CLOCK_SKEW
    recorded = crm.record_touchpoint(customer_id, provenance(at), "company_visited", dict(VISIT))
    assert recorded.version == 2


def test_completing_a_task_records_the_touchpoint_it_planned_and_the_task_as_done(
    crm: CRM, customer_id: UUID
) -> None:
    crm.plan_task(
        customer_id,
        provenance(NOW),
        task_kind="call",
        due_on=date(2025, 2, 10),
        owner="anna.am",
        title="Soita koulutuksista",
        task_id="t1",
    )
    done = crm.complete_task(customer_id, provenance(NOW), "t1", notes="Sovittiin tapaaminen")
    call, completed = crm.get_journey(customer_id)[-2:]
    assert isinstance(call, ev.PhoneCallMade) and call.topic == "Soita koulutuksista"
    assert call.notes == "Sovittiin tapaaminen" and call.direction == "outbound"
    assert (
        isinstance(completed, ev.TaskCompleted)
        and completed.entry_version == call.originator_version
    )
    assert done.version == completed.originator_version
    with pytest.raises(TaskError):
        crm.complete_task(customer_id, provenance(NOW), "t1")
    with pytest.raises(TaskError):
        crm.cancel_task(customer_id, provenance(NOW), "t1", None)


def test_a_cancelled_task_records_no_touchpoint(crm: CRM, customer_id: UUID) -> None:
    crm.plan_task(
        customer_id,
        provenance(NOW),
        task_kind="visit",
        due_on=date(2025, 2, 10),
        owner="anna.am",
        title="Käynti",
        task_id="t2",
    )
    crm.cancel_task(customer_id, provenance(NOW), "t2", "Asiakas perui")
    kinds = [type(e) for e in crm.get_journey(customer_id)]
    assert kinds == [ev.Registered, ev.TaskPlanned, ev.TaskCancelled]
    with pytest.raises(InvalidFieldError) as unknown:
        crm.complete_task(customer_id, provenance(NOW), "no-such-task")
    assert unknown.value.field == "task_id"


def test_a_task_kind_outside_the_vocabulary_is_refused(crm: CRM, customer_id: UUID) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        crm.plan_task(
            customer_id,
            provenance(NOW),
            task_kind="lunch",
            due_on=date(2025, 2, 10),
            owner="anna.am",
            title="x",
        )
    assert refused.value.field == "task_kind"


def test_a_retracted_consent_no_longer_allows_marketing_from_its_time_on(
    crm: CRM, customer_id: UUID
) -> None:
    given = crm.record_touchpoint(customer_id, provenance(day(1)), "consent_given", dict(CONSENT))
    crm.record_touchpoint(customer_id, provenance(day(2)), "marketing_email_sent", dict(EMAIL))
    crm.retract_entry(customer_id, provenance(NOW), given.version, "Annettu väärälle henkilölle")
    assert not crm.get_customer(customer_id).has_consent("email_marketing", day(3))
    with pytest.raises(ConsentRequiredError):
        crm.record_touchpoint(customer_id, provenance(day(3)), "marketing_email_sent", dict(EMAIL))


def test_an_entry_is_retracted_once_and_only_with_a_reason(crm: CRM, customer_id: UUID) -> None:
    visit = crm.record_touchpoint(customer_id, provenance(day(1)), "company_visited", dict(VISIT))
    with pytest.raises(InvalidFieldError) as no_reason:
        crm.retract_entry(customer_id, provenance(NOW), visit.version, "  ")
    assert no_reason.value.field == "reason"
    crm.retract_entry(customer_id, provenance(NOW), visit.version, "Väärä asiakas")
    with pytest.raises(InvalidFieldError) as again:
        crm.retract_entry(customer_id, provenance(NOW), visit.version, "Uudelleen")
    assert again.value.field == "version"


def test_purchases_leads_withdrawals_and_memberships_cannot_be_retracted(
    crm: CRM, customer_id: UUID
) -> None:
    fields = {
        "purchase_id": "P1",
        "offering": "Johtamisen koulutus",
        "offering_type": "open_training",
        "amount": Decimal("900"),
        "invoice_reference": None,
        "notes": None,
    }
    bought = crm.record_touchpoint(customer_id, provenance(day(1)), "purchase_made", fields)
    with pytest.raises(InvalidFieldError) as refused:
        crm.retract_entry(customer_id, provenance(NOW), bought.version, "Väärin")
    assert "refund" in refused.value.problem and refused.value.code == "not_retractable"
    registered = 1
    with pytest.raises(InvalidFieldError):
        crm.retract_entry(customer_id, provenance(NOW), registered, "Väärin")
    assert ev.ConsentGiven in RETRACTABLE and ev.ConsentWithdrawn in NOT_RETRACTABLE
    assert set(RETRACTABLE) | set(NOT_RETRACTABLE) == set(ev.TOUCHPOINT_CLASSES)


def test_a_correction_records_the_entry_again_and_retracts_the_one_in_error(
    crm: CRM, customer_id: UUID
) -> None:
    visit = crm.record_touchpoint(customer_id, provenance(day(1)), "company_visited", dict(VISIT))
    crm.correct_entry(
        customer_id, provenance(NOW), visit.version, {"occurred_at": day(2)}, "Päivä väärin"
    )
    corrected, retraction = crm.get_journey(customer_id)[-2:]
    assert isinstance(corrected, ev.CompanyVisited) and corrected.occurred_at == day(2)
    assert corrected.topic == VISIT["topic"]
    assert isinstance(retraction, ev.EntryRetracted)
    assert retraction.retracted_version == visit.version
    assert retraction.replaced_by == corrected.originator_version
    with pytest.raises(InvalidFieldError) as future:
        crm.correct_entry(
            customer_id,
            provenance(NOW),
            corrected.originator_version,
            {"occurred_at": NOW + timedelta(days=1)},
            "Tulevaisuuteen",
        )
    assert future.value.field == "occurred_at"
