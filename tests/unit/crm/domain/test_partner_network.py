"""The partner network's rules on the aggregates alone: a benefit needs the tier in force at
its time to include it, programmes need a membership, and the tier catalogue keeps every
revision so that earlier uses keep their terms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm.domain import events as ev
from crm.domain.customer import Customer
from crm.domain.errors import BenefitNotIncludedError, InvalidFieldError, ProgrammeError
from crm.domain.partner_tier import PartnerTier, TierTerms
from tests.factories import START, provenance

NOW = datetime.now(UTC)
PAID = TierTerms(
    "Maksullinen", "Paid", Decimal(2500), ("programme_discount", "visibility"), Decimal(15)
)


def partner(tier: str = "paid") -> Customer:
    """An organisation, a partner of the tier from day 10 after START."""
    customer = Customer.register(
        customer_id=uuid.uuid4(),
        provenance=provenance(START),
        customer_kind="organisation",
        customer_type="private_organisation",
        name="Kumppani Oy",
        email=None,
        phone=None,
        sector=None,
        account_manager=None,
    )
    customer.record_touchpoint(
        provenance(START + timedelta(days=10)),
        ev.PartnerMembershipStarted,
        {"notes": None, "tier": tier},
        now=NOW,
    )
    return customer


def benefits(tier: str, _: datetime) -> tuple[str, ...]:
    return PAID.benefits if tier == "paid" else ()


def use(customer: Customer, days: float, benefit: str, **fields: object) -> None:
    customer.use_partner_benefit(
        provenance(START + timedelta(days=days)),
        benefit=benefit,
        tier_benefits=benefits,
        now=NOW,
        **fields,  # type: ignore[arg-type]
    )


def test_a_benefit_counts_against_the_tier_in_force_at_its_time() -> None:
    customer = partner("free")
    customer.record_touchpoint(
        provenance(START + timedelta(days=50)),
        ev.PartnerMembershipChanged,
        {"notes": None, "tier": "paid"},
        now=NOW,
    )
    with pytest.raises(BenefitNotIncludedError) as refused:
        use(customer, 40, "visibility")
    assert refused.value.params["tier"] == "free"
    assert refused.value.params["benefit"] == "visibility"
    with pytest.raises(BenefitNotIncludedError) as before:
        use(customer, 5, "visibility")
    assert before.value.code == "benefit_without_membership"
    use(customer, 60, "visibility")
    assert customer.membership_tier_at(START + timedelta(days=60)) == "paid"


def test_a_discount_names_a_purchase_and_stays_within_it() -> None:
    customer = partner()
    purchase = {"notes": None, "purchase_id": "P1", "offering": "X", "offering_type": "coaching",
                "amount": Decimal(100), "invoice_reference": None}  # fmt: skip
    customer.record_touchpoint(
        provenance(START + timedelta(days=20)), ev.PurchaseMade, purchase, now=NOW
    )
    cases: list[tuple[dict[str, object], str]] = [
        ({"purchase_id": "P2", "discount_amount": Decimal(1)}, "purchase_id"),
        ({"purchase_id": "P1", "discount_amount": Decimal(101)}, "discount_amount"),
        ({"purchase_id": "P1"}, "discount_amount"),
        ({"purchase_id": "P1", "discount_percent": Decimal(0)}, "discount_percent"),
        ({"discount_amount": Decimal(1)}, "purchase_id"),
    ]
    for fields, field in cases:
        with pytest.raises(InvalidFieldError) as bad:
            use(customer, 21, "programme_discount", **fields)
        assert bad.value.field == field
    use(customer, 21, "programme_discount", purchase_id="P1", discount_amount=Decimal(15))
    with pytest.raises(InvalidFieldError) as stray:
        use(customer, 22, "visibility", discount_percent=Decimal(5))
    assert stray.value.field == "discount_percent"


def test_a_programme_needs_a_membership_and_its_events_need_the_programme() -> None:
    customer = partner()
    with pytest.raises(ProgrammeError):
        customer.join_programme(provenance(START + timedelta(days=5)), "digi_fellow", None, now=NOW)
    customer.join_programme(provenance(START + timedelta(days=30)), "digi_fellow", None, now=NOW)
    attended = {"notes": None, "event_name": "Työpaja", "organiser": "own",
                "event_format": "event", "programme": "digi_fellow"}  # fmt: skip
    with pytest.raises(ProgrammeError):
        customer.record_touchpoint(
            provenance(START + timedelta(days=29)), ev.EventAttended, attended, now=NOW
        )
    customer.record_touchpoint(
        provenance(START + timedelta(days=31)), ev.EventAttended, attended, now=NOW
    )
    customer.leave_programme(provenance(START + timedelta(days=40)), "digi_fellow", None, now=NOW)
    assert customer.in_programme_at("digi_fellow", START + timedelta(days=35))
    assert not customer.in_programme_at("digi_fellow", START + timedelta(days=41))
    with pytest.raises(ProgrammeError):
        customer.leave_programme(
            provenance(START + timedelta(days=42)), "digi_fellow", None, now=NOW
        )


def test_a_tier_revision_holds_from_its_recording_so_earlier_uses_keep_earlier_terms() -> None:
    added = datetime(2026, 1, 1, tzinfo=UTC)
    tier = PartnerTier.add("paid", PAID, recorded_by="admin", recorded_at=added)
    fewer = TierTerms("Maksullinen", "Paid", Decimal(2500), ("visibility",), None)
    tier.revise(fewer, recorded_by="admin", recorded_at=added + timedelta(days=30))
    assert "programme_discount" in tier.terms_at(added - timedelta(days=300)).benefits
    assert "programme_discount" in tier.terms_at(added + timedelta(days=29)).benefits
    assert tier.terms_at(added + timedelta(days=31)).benefits == ("visibility",)
    assert len(tier.collect_events()) == 2
    tier.revise(fewer, recorded_by="admin", recorded_at=added + timedelta(days=40))
    assert tier.collect_events() == []


def test_a_snapshot_older_than_the_membership_history_still_knows_the_tier_now() -> None:
    customer = partner()
    customer.membership_changes = ()  # what a snapshot of an older release loads with
    assert customer.membership_tier_at(START) == "paid"
