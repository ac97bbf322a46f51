"""Merging customers in the aggregate: what each side records, what a merged record refuses,
consents counted across both records, and what an undo returns to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm.domain import events as ev
from crm.domain.customer import Customer
from crm.domain.errors import (
    ConsentRequiredError,
    CustomerMergedError,
    InvalidFieldError,
    MergeError,
)
from tests.factories import START, provenance

NOW = datetime.now(UTC)


def person(name: str = "Tapio Virtanen", **fields: Any) -> Customer:
    values: dict[str, Any] = {"email": None, "phone": None, "sector": None, **fields}
    return Customer.register(
        customer_id=uuid.uuid4(),
        provenance=provenance(),
        customer_kind="person",
        customer_type="individual",
        name=name,
        account_manager="anna.am",
        **values,
    )


def consent(customer: Customer, days: int, given: bool) -> None:
    at = provenance(START + timedelta(days=days))
    if given:
        fields = {"notes": None, "purpose": "email_marketing", "lawful_basis": "consent"}
        customer.record_touchpoint(at, ev.ConsentGiven, {**fields, "evidence": "lomake"}, now=NOW)
    else:
        fields = {"notes": None, "purpose": "email_marketing", "evidence": "puhelu"}
        customer.record_touchpoint(at, ev.ConsentWithdrawn, fields, now=NOW)


def market(customer: Customer, days: int) -> None:
    fields = {"notes": None, "purpose": "email_marketing", "campaign": "Kevät"}
    customer.record_touchpoint(
        provenance(START + timedelta(days=days)), ev.MarketingEmailSent, fields, now=NOW
    )


def merge(survivor: Customer, absorbed: Customer, take: set[str] | None = None) -> None:
    survivor.absorb(provenance(), absorbed, take or set(), "sama henkilö")
    absorbed.merge_into(provenance(), survivor, "sama henkilö")


def test_the_absorbed_record_refuses_new_events_naming_the_survivor_until_undone() -> None:
    survivor, absorbed = person(email="t@a.fi"), person(email="t2@b.fi", phone="040 1")
    merge(survivor, absorbed, {"phone"})
    assert (survivor.email, survivor.phone) == ("t@a.fi", "040 1")
    with pytest.raises(CustomerMergedError, match=str(survivor.id)):
        market(absorbed, 1)
    absorbed.undo_merge(provenance(), survivor.id, "eri")
    survivor.undo_merge(provenance(), absorbed.id, "eri")
    assert (survivor.email, survivor.phone) == ("t@a.fi", None)
    consent(absorbed, 1, given=True)  # accepted again


def test_an_undo_keeps_a_value_corrected_after_the_merge() -> None:
    survivor, absorbed = person(phone="040 1"), person(phone="050 2")
    merge(survivor, absorbed, {"phone"})
    survivor.correct_profile(provenance(), name=None, email=None, phone="044 3", sector=None)
    survivor.undo_merge(provenance(), absorbed.id, "eri")
    assert survivor.phone == "044 3"


def test_bad_pairs_are_refused() -> None:
    survivor, absorbed = person(), person()
    with pytest.raises(MergeError):
        survivor.absorb(provenance(), survivor, set(), "x")
    organisation = Customer.register(
        customer_id=uuid.uuid4(), provenance=provenance(), customer_kind="organisation",
        customer_type="private_organisation", name="Oy", email=None, phone=None, sector=None,
        account_manager=None,
    )  # fmt: skip
    with pytest.raises(MergeError):
        survivor.absorb(provenance(), organisation, set(), "x")
    with pytest.raises(InvalidFieldError) as refused:
        survivor.absorb(provenance(), absorbed, {"notes"}, "x")
    assert refused.value.field == "take_from_absorbed"
    merge(survivor, absorbed)
    with pytest.raises(CustomerMergedError):
        person().absorb(provenance(), absorbed, set(), "x")
    with pytest.raises(MergeError):
        survivor.undo_merge(provenance(), uuid.uuid4(), "x")


def test_consents_count_across_both_records_and_a_later_withdrawal_keeps_its_effect() -> None:
    survivor, absorbed = person(), person()
    consent(absorbed, 1, given=True)
    merge(survivor, absorbed)
    market(survivor, 2)  # under the consent given on the absorbed record
    survivor.undo_merge(provenance(), absorbed.id, "eri")
    with pytest.raises(ConsentRequiredError):
        market(survivor, 3)

    survivor, absorbed = person(), person()
    consent(survivor, 1, given=True)
    consent(absorbed, 5, given=False)  # withdrawn later, on the other record
    merge(survivor, absorbed)
    with pytest.raises(ConsentRequiredError):
        market(survivor, 6)
    market(survivor, 3)  # before the withdrawal the consent was in force
