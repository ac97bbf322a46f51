"""Journey scenarios written once and run against each event store (memory, PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from crm.application.crm import CRM
from crm.domain import events as ev
from crm.domain.errors import (
    AffiliationError,
    ConsentRequiredError,
    CustomerErasedError,
    CustomerNotFoundError,
    InvalidFieldError,
    LeadTransitionError,
    MembershipError,
    PurchaseError,
)
from tests.factories import (
    START,
    add_an_invoice_paid_and_credited,
    add_partner_benefits_and_a_programme,
    add_tasks_and_a_retraction,
    every_touchpoint,
    merge_and_undo_both_ways,
    provenance,
    register,
    times,
    unique,
)


class JourneyScenarios:
    """Subclasses provide a `crm` fixture and a `fresh_crm` factory (no caches)."""

    store_knows_positions = False
    """Whether the store can say where in the log an earlier event sits (PostgreSQL can)."""

    def test_every_event_kind_is_stored_and_loads_back_unchanged(
        self, crm: CRM, fresh_crm: CRM
    ) -> None:
        customer_id = register(crm)
        organisation_id = register(crm, kind="organisation")
        crm.correct_profile(customer_id, provenance(), phone="+358 40 123 4567")
        crm.assign_account_manager(customer_id, provenance(), "ville.am")
        crm.start_affiliation(customer_id, provenance(), organisation_id, "HR manager")
        crm.name_digimentor(customer_id, provenance(), organisation_id)
        crm.end_digimentor_role(customer_id, provenance(), organisation_id)
        crm.end_affiliation(customer_id, provenance(), organisation_id)
        for (kind, fields), at in zip(every_touchpoint(), times(40), strict=False):
            crm.record_touchpoint(customer_id, provenance(at), kind, fields)
        customer = crm.get_customer(customer_id)
        add_tasks_and_a_retraction(customer)
        add_an_invoice_paid_and_credited(customer)
        add_partner_benefits_and_a_programme(customer, times(40), every_touchpoint())
        customer.expire_consent(provenance(START + timedelta(days=60)), "email_marketing")
        customer.restrict_processing(provenance(START + timedelta(days=60)), "accuracy contested")
        customer.lift_restriction(provenance(START + timedelta(days=60)), "accuracy verified")
        merge_and_undo_both_ways(customer)
        customer.erase(provenance(START + timedelta(days=61)), "test of the erasure hook")
        crm.save(customer)

        written = list(crm.get_journey(customer_id))
        loaded = list(fresh_crm.get_journey(customer_id))
        kinds = {type(event).kind() for event in loaded}
        assert kinds == {cls.kind() for cls in ev.CUSTOMER_EVENT_CLASSES}
        assert [dataclasses.asdict(e) for e in loaded] == [dataclasses.asdict(e) for e in written]

    def test_personal_fields_are_not_stored_in_clear(self, crm: CRM) -> None:
        marker = unique("Salainen")
        customer_id = register(crm, name=marker)
        crm.record_touchpoint(
            customer_id,
            provenance(),
            "event_attended",
            {"notes": marker, "event_name": marker, "organiser": "own", "event_format": "seminar"},
        )
        stored = crm.recorder.select_events(customer_id)
        assert len(stored) == 2
        assert all(marker.encode() not in event.state for event in stored)
        assert b"seminar" in stored[1].state  # non-personal facts stay readable

    def test_destroyed_key_leaves_personal_fields_empty_and_facts_intact(
        self, crm: CRM, fresh_crm: CRM
    ) -> None:
        customer_id = register(crm, name="Maija Mehiläinen")
        crm.record_touchpoint(
            customer_id,
            provenance(),
            "purchase_made",
            {
                "notes": "paid by card",
                "purchase_id": "P9",
                "offering": "Coaching",
                "offering_type": "coaching",
                "amount": Decimal("99.90"),
                "invoice_reference": None,
            },
        )
        crm.keys.destroy(customer_id)
        fresh_crm.keys.destroy(customer_id)
        registered, purchase = fresh_crm.get_journey(customer_id)
        assert isinstance(registered, ev.Registered) and registered.name is None
        assert isinstance(purchase, ev.PurchaseMade)
        assert purchase.notes is None and purchase.offering is None
        assert purchase.amount == Decimal("99.90")
        # The client-chosen id survives only as its keyed hash, which nothing links back.
        assert purchase.purchase_id.startswith("h:") and "P9" not in purchase.purchase_id

    def test_registering_the_same_email_returns_the_existing_customer(self, crm: CRM) -> None:
        email = f"{unique('dup')}@Example.fi"
        first = register(crm, email=email)
        second = crm.register_customer(
            provenance(),
            customer_kind="person",
            customer_type="individual",
            name="Someone Else",
            email=f"  {email.upper()} ",
        )
        assert second.customer_id == first
        assert second.duplicate
        assert crm.find_by_email(email.lower()) == first

    def test_repeated_idempotency_key_returns_the_first_result_and_stores_nothing(
        self, crm: CRM
    ) -> None:
        customer_id = register(crm)
        key = unique("retry")
        fields = {"notes": None, "page": "/a"}
        first = crm.record_touchpoint(
            customer_id, provenance(key=key), "web_service_visited", fields
        )
        again = crm.record_touchpoint(
            customer_id, provenance(key=key), "web_service_visited", fields
        )
        assert again.duplicate and not first.duplicate
        assert again.version == first.version
        if self.store_knows_positions:
            assert again.position == first.position is not None
        assert len(crm.get_journey(customer_id)) == 2

    def test_registration_retried_with_the_same_key_creates_one_customer(self, crm: CRM) -> None:
        key = unique("reg")
        results = [
            crm.register_customer(
                provenance(key=key),
                customer_kind="organisation",
                customer_type="public_organisation",
                name="Pirkanmaan liitto",
                email=None,
            )
            for _ in range(2)
        ]
        assert results[0].customer_id == results[1].customer_id
        assert results[1].duplicate

    def test_marketing_contact_without_consent_is_refused(self, crm: CRM) -> None:
        customer_id = register(crm)
        with pytest.raises(ConsentRequiredError, match="email marketing"):
            crm.record_touchpoint(
                customer_id,
                provenance(),
                "marketing_email_sent",
                {"notes": None, "purpose": "email_marketing", "campaign": "spring"},
            )

    def test_marketing_contact_needs_consent_valid_at_its_own_time(self, crm: CRM) -> None:
        customer_id = register(crm)
        given, withdrawn = START + timedelta(days=10), START + timedelta(days=20)
        crm.record_touchpoint(
            customer_id,
            provenance(given),
            "consent_given",
            {
                "notes": None,
                "purpose": "phone_marketing",
                "lawful_basis": "consent",
                "evidence": "call recording 17",
            },
        )
        crm.record_touchpoint(
            customer_id,
            provenance(withdrawn),
            "consent_withdrawn",
            {"notes": None, "purpose": "phone_marketing", "evidence": "e-mail"},
        )
        call = {
            "notes": None,
            "direction": "outbound",
            "topic": "Offer",
            "marketing_purpose": "phone_marketing",
        }
        crm.record_touchpoint(
            customer_id, provenance(START + timedelta(days=15)), "phone_call_made", call
        )
        for refused_at in (START + timedelta(days=5), START + timedelta(days=25)):
            with pytest.raises(ConsentRequiredError):
                crm.record_touchpoint(customer_id, provenance(refused_at), "phone_call_made", call)

    @pytest.mark.parametrize(
        ("steps", "refused"),
        [
            ([], "lead_qualified"),
            ([], "lead_converted"),
            (["lead_captured"], "lead_converted"),
            (["lead_captured", "lead_qualified", "lead_converted"], "lead_lost"),
            (["lead_captured", "lead_lost"], "lead_qualified"),
            (["lead_captured"], "lead_captured"),
        ],
    )
    def test_lead_moves_only_captured_qualified_then_converted_or_lost(
        self, crm: CRM, steps: list[str], refused: str
    ) -> None:
        customer_id = register(crm)
        lead: dict[str, dict[str, Any]] = {
            "lead_captured": {"source_channel": "fair", "target_group": "ICT", "interest": None},
            "lead_qualified": {},
            "lead_converted": {"purchase_id": None},
            "lead_lost": {"reason": "Chose another provider"},
        }
        for step in steps:
            crm.record_touchpoint(
                customer_id, provenance(), step, {"notes": None, "lead_id": "L", **lead[step]}
            )
        with pytest.raises(LeadTransitionError):
            crm.record_touchpoint(
                customer_id, provenance(), refused, {"notes": None, "lead_id": "L", **lead[refused]}
            )

    def test_refunds_cannot_exceed_the_purchase(self, crm: CRM) -> None:
        customer_id = register(crm)
        crm.record_touchpoint(
            customer_id,
            provenance(),
            "purchase_made",
            {
                "notes": None,
                "purchase_id": "P",
                "offering": "Mentoring",
                "offering_type": "mentoring",
                "amount": Decimal("500.00"),
                "invoice_reference": None,
            },
        )
        refund = {"notes": None, "purchase_id": "P", "reason": "Cancelled"}
        crm.record_touchpoint(
            customer_id, provenance(), "purchase_refunded", {**refund, "amount": Decimal("300")}
        )
        with pytest.raises(PurchaseError, match=r"200\.00 EUR of 500\.00 EUR"):
            crm.record_touchpoint(
                customer_id,
                provenance(),
                "purchase_refunded",
                {**refund, "amount": Decimal("200.01")},
            )
        with pytest.raises(PurchaseError, match="no purchase"):
            crm.record_touchpoint(
                customer_id,
                provenance(),
                "purchase_refunded",
                {**refund, "purchase_id": "X", "amount": Decimal("1")},
            )

    def test_a_free_purchase_is_recorded_and_cannot_be_refunded_above_zero(self, crm: CRM) -> None:
        customer_id = register(crm)
        free = {
            "notes": None,
            "purchase_id": "FREE",
            "offering": "Taster",
            "offering_type": "open_training",
            "amount": Decimal("0.00"),
            "invoice_reference": None,
        }
        crm.record_touchpoint(customer_id, provenance(), "purchase_made", free)
        refund = {"notes": None, "purchase_id": "FREE", "reason": "Voucher"}
        with pytest.raises(PurchaseError, match="would exceed"):
            crm.record_touchpoint(
                customer_id, provenance(), "purchase_refunded", {**refund, "amount": Decimal("1")}
            )
        crm.record_touchpoint(
            customer_id, provenance(), "purchase_refunded", {**refund, "amount": Decimal("0")}
        )

    def test_duplicate_purchase_id_is_refused(self, crm: CRM) -> None:
        customer_id = register(crm)
        purchase = {
            "notes": None,
            "purchase_id": "P",
            "offering": "Research",
            "offering_type": "research_service",
            "amount": Decimal("9000"),
            "invoice_reference": None,
        }
        crm.record_touchpoint(customer_id, provenance(), "purchase_made", purchase)
        with pytest.raises(PurchaseError, match="already recorded"):
            crm.record_touchpoint(customer_id, provenance(), "purchase_made", purchase)

    def test_membership_changes_need_an_active_membership(self, crm: CRM) -> None:
        organisation_id = register(crm, kind="organisation")
        with pytest.raises(MembershipError):
            crm.record_touchpoint(
                organisation_id,
                provenance(),
                "partner_membership_changed",
                {"notes": None, "tier": "paid"},
            )
        crm.record_touchpoint(
            organisation_id,
            provenance(),
            "partner_membership_started",
            {"notes": None, "tier": "free"},
        )
        with pytest.raises(MembershipError):
            crm.record_touchpoint(
                organisation_id,
                provenance(),
                "partner_membership_started",
                {"notes": None, "tier": "paid"},
            )

    def test_only_a_person_can_be_affiliated_and_only_with_an_organisation(self, crm: CRM) -> None:
        person, other_person = register(crm), register(crm)
        organisation = register(crm, kind="organisation")
        with pytest.raises(AffiliationError):
            crm.start_affiliation(person, provenance(), other_person, None)
        with pytest.raises(AffiliationError):
            crm.start_affiliation(organisation, provenance(), organisation, None)
        crm.start_affiliation(person, provenance(), organisation, "CEO")
        assert str(organisation) in crm.get_customer(person).affiliations
        with pytest.raises(AffiliationError):
            crm.end_affiliation(person, provenance(), other_person)

    def test_erased_customer_accepts_no_new_events(self, crm: CRM) -> None:
        customer_id = register(crm)
        customer = crm.get_customer(customer_id)
        customer.erase(provenance(), "request 1")
        crm.save(customer)
        with pytest.raises(CustomerErasedError):
            crm.record_touchpoint(
                customer_id, provenance(), "web_service_visited", {"notes": None, "page": "/"}
            )

    @pytest.mark.parametrize(
        ("kind", "fields", "field"),
        [
            (
                "feedback_given",
                {"notes": None, "score": 11, "comment": None, "offering": None},
                "score",
            ),
            (
                "purchase_made",
                {
                    "notes": None,
                    "purchase_id": "P",
                    "offering": "x",
                    "offering_type": "lecture",
                    "amount": Decimal(1),
                    "invoice_reference": None,
                },
                "offering_type",
            ),
            (
                "purchase_made",
                {
                    "notes": None,
                    "purchase_id": "P",
                    "offering": "x",
                    "offering_type": "coaching",
                    "amount": Decimal(-1),
                    "invoice_reference": None,
                },
                "amount",
            ),
            (
                "consent_given",
                {"notes": None, "purpose": "telepathy", "lawful_basis": "consent", "evidence": "x"},
                "purpose",
            ),
            ("no_such_kind", {}, "kind"),
            ("web_service_visited", {"notes": "nul\x00byte", "page": "/"}, "notes"),
        ],
    )
    def test_invalid_fields_are_refused_naming_the_field(
        self, crm: CRM, kind: str, fields: dict[str, Any], field: str
    ) -> None:
        customer_id = register(crm)
        with pytest.raises(InvalidFieldError) as raised:
            crm.record_touchpoint(customer_id, provenance(), kind, fields)
        assert raised.value.field == field

    def test_unknown_customer_is_not_found(self, crm: CRM) -> None:
        with pytest.raises(CustomerNotFoundError):
            crm.record_touchpoint(
                uuid4(), provenance(), "web_service_visited", {"notes": None, "page": "/"}
            )
