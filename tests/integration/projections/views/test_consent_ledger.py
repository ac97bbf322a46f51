"""The consent ledger against PostgreSQL: intervals, their boundaries and out-of-order history."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
from projections.views.consent_ledger import ConsentLedger
from tests.factories import START, day, provenance, record, register

WAIT = 20.0


def give(crm: CRM, customer_id: UUID, days: float, purpose: str, evidence: str) -> int:
    return record(
        crm, customer_id, day(days), "consent_given", purpose=purpose, lawful_basis="consent",
        evidence=evidence,
    )  # fmt: skip


def withdraw(crm: CRM, customer_id: UUID, days: float, purpose: str) -> int:
    return record(
        crm, customer_id, day(days), "consent_withdrawn", purpose=purpose, evidence="phone call"
    )


def ledger(services: Services, position: int) -> ConsentLedger:
    view = services.views.get(ConsentLedger)
    assert view.wait_for(position, WAIT)
    return view


def test_validity_holds_from_the_grant_up_to_but_not_at_the_withdrawal(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm)
    give(crm, customer_id, 10, "newsletter", "form v1")
    view = ledger(services, withdraw(crm, customer_id, 20, "newsletter"))

    tick = timedelta(microseconds=1)
    assert not view.was_valid(customer_id, "newsletter", day(10) - tick)
    assert view.was_valid(customer_id, "newsletter", day(10))
    assert view.was_valid(customer_id, "newsletter", day(20) - tick)
    assert not view.was_valid(customer_id, "newsletter", day(20))
    assert not view.was_valid(customer_id, "email_marketing", day(15))
    [interval] = view.intervals(customer_id, day(100))
    assert (interval["valid_from"], interval["valid_to"]) == (day(10), day(20))
    assert (interval["evidence"], interval["ended_by"]) == ("form v1", "withdrawn")


def test_out_of_order_history_gives_the_same_intervals_as_in_order(services: Services) -> None:
    crm = services.crm
    in_order, out_of_order = register(crm), register(crm)
    give(crm, in_order, 1, "email_marketing", "form v1")
    withdraw(crm, in_order, 5, "email_marketing")
    give(crm, in_order, 8, "email_marketing", "form v2")
    give(crm, in_order, 12, "email_marketing", "form v3")
    # Same facts, recorded latest first.
    give(crm, out_of_order, 12, "email_marketing", "form v3")
    give(crm, out_of_order, 8, "email_marketing", "form v2")
    withdraw(crm, out_of_order, 5, "email_marketing")
    view = ledger(services, give(crm, out_of_order, 1, "email_marketing", "form v1"))

    expected = [
        (day(1), day(5), "form v1", "withdrawn"),
        (day(8), day(12), "form v2", "renewed"),
        (day(12), None, "form v3", None),
    ]
    for customer_id in (in_order, out_of_order):
        intervals = view.intervals(customer_id, day(100))
        got = [(i["valid_from"], i["valid_to"], i["evidence"], i["ended_by"]) for i in intervals]
        assert got == expected
    assert view.was_valid(out_of_order, "email_marketing", day(100))
    assert not view.was_valid(out_of_order, "email_marketing", day(6))


def test_expiry_closes_the_interval_and_erasure_marks_the_customer(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm)
    give(crm, customer_id, 2, "phone_marketing", "recorded call")
    customer = crm.get_customer(customer_id)
    customer.expire_consent(provenance(day(30)), "phone_marketing")
    customer.erase(provenance(day(31)), "test")
    recordings = crm.save(customer)
    view = ledger(services, recordings[-1].notification.id)

    [interval] = view.intervals(customer_id, day(100))
    assert (interval["valid_to"], interval["ended_by"]) == (day(30), "expired")
    assert view.is_erased(customer_id)
    assert view.was_valid(customer_id, "phone_marketing", START + timedelta(days=29))
