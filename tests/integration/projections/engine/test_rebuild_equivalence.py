"""Every view, built incrementally in tiny batches and by one full rebuild, holds the same rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.bootstrap.wiring import VIEW_CLASSES, Services
from api.cli.demo_data import PARTNER_TIERS
from crm.application.catalogue import Catalogue
from crm.application.crm import CRM
from crm.application.partners import PartnerNetwork
from crm.domain.offering import OfferingTerms
from crm.domain.partner_tier import PartnerTierExistsError
from projections.engine.runner import Projector
from projections.engine.view import View
from tests.factories import START, every_touchpoint, provenance, register, times
from tests.views import view_rows


def record_mixed_history(crm: CRM) -> None:
    """Journeys touching every view: out-of-order times, repeats in one batch, erasure."""
    person = register(crm, "person")
    other = register(crm, "person")
    organisation = register(crm, "organisation")
    crm.assign_account_manager(person, provenance(), "ville.am")
    crm.start_affiliation(person, provenance(START + timedelta(days=2)), organisation, None)
    crm.start_affiliation(other, provenance(START + timedelta(days=3)), organisation, None)
    crm.end_affiliation(other, provenance(START + timedelta(days=1)), organisation)
    crm.name_digimentor(person, provenance(START + timedelta(days=4)), organisation)
    for (kind, fields), at in zip(every_touchpoint(), times(40), strict=False):
        crm.record_touchpoint(person, provenance(at), kind, fields)
    # History recorded late: earlier in business time than what is already there.
    late: list[tuple[int, str, dict[str, Any]]] = [
        (
            -10,
            "consent_given",
            {"purpose": "newsletter", "lawful_basis": "consent", "evidence": "y"},
        ),
        (-8, "consent_withdrawn", {"purpose": "newsletter", "evidence": "call"}),
        (-5, "feedback_given", {"score": 4, "comment": None, "offering": None}),
        (-4, "webinar_registered", {"webinar_id": "w0", "title": "Intro"}),
        (60, "consent_withdrawn", {"purpose": "email_marketing", "evidence": "mail"}),
    ]
    for days, kind, fields in late:
        crm.record_touchpoint(
            person, provenance(START + timedelta(days=days)), kind, {"notes": None, **fields}
        )
    for n, at in enumerate(times(6, START - timedelta(days=30))):
        crm.record_touchpoint(
            other,
            provenance(at),
            "purchase_made",
            {
                "notes": None,
                "purchase_id": f"P{n}",
                "offering": "Coaching",
                "offering_type": "coaching",
                "amount": Decimal(100 + n),
                "invoice_reference": None,
            },
        )
    crm.invoice_purchase(
        other, provenance(), purchase_id="P0", invoice_number="I0",
        invoice_date=START.date(), due_date=START.date(), amount=Decimal(100),
    )  # fmt: skip
    crm.pay_invoice(
        other, provenance(), invoice_number="I0", paid_on=START.date(), amount=Decimal(40)
    )
    crm.credit_invoice(
        other, provenance(), invoice_number="I0", credited_on=START.date(),
        amount=Decimal(10), reason="late",
    )  # fmt: skip
    crm.record_touchpoint(
        organisation,
        provenance(START + timedelta(days=9)),
        "consent_given",
        {"notes": None, "purpose": "event_invitations", "lawful_basis": "consent", "evidence": "x"},
    )
    for n in range(3):
        crm.plan_task(
            person,
            provenance(START + timedelta(days=n)),
            task_kind="call",
            due_on=(START + timedelta(days=n + 7)).date(),
            owner="ville.am",
            title=f"Call {n}",
        )
    restricted = crm.get_customer(organisation)
    restricted.restrict_processing(provenance(START + timedelta(days=20)), "disputed accuracy")
    lifted = crm.get_customer(person)
    lifted.restrict_processing(provenance(START + timedelta(days=21)), "objection")
    lifted.lift_restriction(provenance(START + timedelta(days=22)), "resolved")
    crm.save(restricted, lifted)
    # One duplicate merged in and left merged, one merged in and the merge undone.
    kept, undone = register(crm, "person"), register(crm, "person")
    for duplicate in (kept, undone):
        crm.merge_customers(
            person, duplicate, provenance(), take_from_absorbed={"email"}, reason="x", owner=None
        )
    crm.undo_merge(person, undone, provenance(), reason="y", owner=None)
    customer = crm.get_customer(other)
    customer.erase(provenance(START + timedelta(days=50)), "equivalence test")
    crm.save(customer)
    # The catalogue: added, revised, retired and reinstated, and one left retired.
    catalogue = Catalogue(crm)
    terms = OfferingTerms("Valmennus", "Coaching", "coaching", "joint", Decimal(900), None)
    current, gone = (f"EQ-{uuid.uuid4().hex[:8].upper()}" for _ in range(2))
    for code in (current, gone):
        catalogue.add_offering(code, terms, "aino.admin")
    catalogue.revise_offering(current, replace(terms, list_price=Decimal(950)), "aino.admin")
    catalogue.retire_offering(current, "aino.admin")
    catalogue.reinstate_offering(current, "aino.admin")
    catalogue.retire_offering(gone, "aino.admin")
    # The partner tiers: entered (unless an earlier history did) and revised twice.
    network = PartnerNetwork(crm)
    for code, tier_terms in PARTNER_TIERS.items():
        with contextlib.suppress(PartnerTierExistsError):
            network.add_tier(code, tier_terms, "aino.admin")
        network.revise_tier(code, replace(tier_terms, annual_fee=Decimal(1)), "aino.admin")
        network.revise_tier(code, tier_terms, "aino.admin")


@pytest.fixture(scope="module")
def history(services: Services) -> None:
    record_mixed_history(services.crm)


@pytest.fixture
def generations(services: Services, request: pytest.FixtureRequest) -> Iterator[list[View]]:
    view_class: type[View] = request.param
    suffix = uuid.uuid4().hex[:8]
    # Built as the live views are, so views that seal or open personal fields get the mapper.
    views = [services.views.build(view_class, f"eq{suffix}{n}") for n in ("a", "b")]
    for view in views:
        view.create_table()
    yield views
    for view in views:
        view.drop_tables()


@pytest.mark.parametrize(
    "generations", VIEW_CLASSES, ids=[cls.name for cls in VIEW_CLASSES], indirect=True
)
def test_incremental_build_and_full_rebuild_give_identical_rows(
    services: Services, history: None, generations: list[View]
) -> None:
    incremental, rebuilt = generations
    head = services.projector.head()
    Projector(services.crm, batch_size=3).catch_up(incremental, until=head)
    Projector(services.crm, batch_size=1_000_000).catch_up(rebuilt, until=head)

    assert incremental.position() == rebuilt.position() == head
    # `view_rows` opens sealed evidence (sealed under a fresh nonce per row) before comparing.
    expected = view_rows(rebuilt)
    assert any(expected.values()), "the history should put rows into every view"
    assert view_rows(incremental) == expected
