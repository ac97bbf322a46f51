"""Test data: customers registered through the CRM or the HTTP API, and valid fields for every
touchpoint kind in an order the rules accept. Random suffixes keep runs apart in one database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from crm.adapters.encryption import InMemoryKeyRing
from crm.application.crm import CRM, Command
from crm.application.users import Role
from crm.domain import events as ev
from crm.domain.customer import Customer, Provenance
from crm.domain.identity import InMemoryIdentityIndex

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
HTTP_START = datetime(2025, 3, 1, 12, tzinfo=UTC)

RoleHeaders = dict[Role, dict[str, str]]
"""Authorization headers per role, as the `as_role` fixture gives them."""


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def provenance(
    at: datetime = START, key: str | None = None, user: str = "anna.am", channel: str = "other"
) -> Provenance:
    return Provenance(
        occurred_at=at,
        institution="TAMK",
        channel=channel,
        recorded_by=user,
        idempotency_key=key or unique("key"),
    )


def registration(kind: str = "person", **overrides: Any) -> dict[str, Any]:
    """Valid registration fields for a customer of the kind, with a unique name and e-mail."""
    return {
        "customer_kind": kind,
        "customer_type": "individual" if kind == "person" else "private_organisation",
        "name": unique("Name"),
        "email": f"{unique('p')}@example.fi",
        **overrides,
    }


def in_memory_crm(clock: Callable[[], datetime] | None = None) -> CRM:
    """The application on the library's in-memory store, with fresh keys (unit tests);
    `clock` is its time of recording."""
    return CRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        keys=InMemoryKeyRing(os.urandom(32)),
        identities=InMemoryIdentityIndex(os.urandom(32)),
        clock=clock,
    )


def register(crm: CRM, kind: str = "person", *, at: datetime = START, **overrides: Any) -> UUID:
    """Register a customer of the kind through the CRM and return its id."""
    return crm.register_customer(provenance(at), **registration(kind, **overrides)).customer_id


def register_over_http(
    client: TestClient, headers: dict[str, str], kind: str = "person", **overrides: Any
) -> str:
    """Register a customer of the kind through `POST /customers` and return its id."""
    fields = registration(kind, **overrides)
    body = {"kind": fields.pop("customer_kind"), **fields}
    response = client.post("/customers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


def record_over_http(
    client: TestClient, headers: dict[str, str], customer_id: str, body: dict[str, Any]
) -> int:
    """Record a touchpoint through `POST /customers/{id}/touchpoints`; its events position."""
    response = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def iso_day(days: int) -> str:
    """An ISO timestamp `days` after the HTTP tests' start, as a request body carries it."""
    return (HTTP_START + timedelta(days=days)).isoformat()


def day(n: float) -> datetime:
    """The moment `n` days after START."""
    return START + timedelta(days=n)


def record(crm: CRM, customer_id: UUID, at: datetime, kind: str, **fields: Any) -> int:
    """Record a touchpoint of the kind through the CRM; its events position."""
    fields.setdefault("notes", None)
    position = crm.record_touchpoint(customer_id, provenance(at), kind, fields).position
    assert position is not None
    return position


def purchase(crm: CRM, customer_id: UUID, at: datetime, purchase_id: str, amount: str) -> int:
    """Record a purchase of the amount through the CRM; its events position."""
    return record(
        crm,
        customer_id,
        at,
        "purchase_made",
        purchase_id=purchase_id,
        offering="AI for leaders",
        offering_type="open_training",
        amount=Decimal(amount),
        invoice_reference=None,
    )


def every_touchpoint() -> list[tuple[str, dict[str, Any]]]:
    """One touchpoint of each kind; consents, leads, purchases and memberships in rule order."""
    return [
        ("fair_visited", {"notes": "Met at stand", "fair_name": "Studia 2025"}),
        ("webinar_registered", {"notes": None, "webinar_id": "w1", "title": "AI in teaching"}),
        ("webinar_attended", {"notes": None, "webinar_id": "w1", "title": "AI in teaching"}),
        (
            "event_attended",
            {"notes": None, "event_name": "Open day", "organiser": "own", "event_format": "event"},
        ),
        ("company_visited", {"notes": "Discussed coaching", "topic": "Coaching needs"}),
        (
            "phone_call_made",
            {
                "notes": "Asked about prices",
                "direction": "inbound",
                "topic": "Prices",
                "marketing_purpose": None,
            },
        ),
        (
            "consent_given",
            {
                "notes": None,
                "purpose": "email_marketing",
                "lawful_basis": "consent",
                "evidence": "form v3 sha256:ab12",
            },
        ),
        (
            "consent_given",
            {
                "notes": None,
                "purpose": "newsletter",
                "lawful_basis": "consent",
                "evidence": "form v3 sha256:ab12",
            },
        ),
        ("marketing_email_sent", {"notes": None, "purpose": "email_marketing", "campaign": "Q1"}),
        ("newsletter_subscribed", {"notes": None, "newsletter": "Tampere3 News"}),
        ("newsletter_sent", {"notes": None, "newsletter": "Tampere3 News"}),
        ("newsletter_unsubscribed", {"notes": None, "newsletter": "Tampere3 News"}),
        ("chat_conversation_held", {"notes": "Chat about credits", "topic": "Credits"}),
        ("web_service_visited", {"notes": None, "page": "/koulutukset/ai"}),
        (
            "social_media_interacted",
            {"notes": None, "platform": "LinkedIn", "interaction": "comment"},
        ),
        (
            "lead_captured",
            {
                "notes": None,
                "lead_id": "L1",
                "source_channel": "fair",
                "target_group": "ICT professionals",
                "interest": "AI training",
            },
        ),
        ("lead_qualified", {"notes": None, "lead_id": "L1"}),
        (
            "purchase_made",
            {
                "notes": None,
                "purchase_id": "P1",
                "offering": "AI for leaders",
                "offering_type": "open_training",
                "amount": Decimal("1200.00"),
                "invoice_reference": "INV-1",
            },
        ),
        ("lead_converted", {"notes": None, "lead_id": "L1", "purchase_id": "P1"}),
        (
            "lead_captured",
            {
                "notes": None,
                "lead_id": "L2",
                "source_channel": "web_service",
                "target_group": "Managers",
                "interest": None,
            },
        ),
        ("lead_lost", {"notes": None, "lead_id": "L2", "reason": "No budget"}),
        (
            "purchase_refunded",
            {"notes": None, "purchase_id": "P1", "amount": Decimal("200.00"), "reason": "Moved"},
        ),
        (
            "feedback_given",
            {"notes": None, "score": 9, "comment": "Erinomainen koulutus", "offering": "AI"},
        ),
        ("consent_withdrawn", {"notes": None, "purpose": "newsletter", "evidence": "e-mail"}),
        ("partner_membership_started", {"notes": None, "tier": "free"}),
        ("partner_membership_changed", {"notes": None, "tier": "paid"}),
        (
            "annual_review_held",
            {"notes": "Good year", "next_review_due": date(2026, 1, 15)},
        ),
        ("partner_membership_ended", {"notes": None, "reason": "Reorganisation"}),
        ("course_completed", {"notes": None, "course": "AI basics", "credits": Decimal("5")}),
        ("recommendation_given", {"notes": "Told colleagues", "offering": "AI basics"}),
    ]


def times(count: int, start: datetime = START) -> list[datetime]:
    return [start + timedelta(days=i) for i in range(count)]


def add_tasks_and_a_retraction(customer: Customer) -> None:
    """A task planned and done, one planned and cancelled, and the last contact retracted."""
    now = datetime.now(UTC)
    for task_id in ("done", "dropped"):
        customer.plan_task(
            provenance(),
            task_id=task_id,
            task_kind="call",
            due_on=date(2025, 2, 1),
            owner="anna.am",
            title="Soita tarjouksesta",
            notes=None,
        )
    customer.complete_task(provenance(), "done", now=now, notes="Soitettu")
    customer.cancel_task(provenance(), "dropped", "Ei tarvetta")
    last_contact = max(customer.entries)
    customer.retract_entry(provenance(), last_contact, "Kirjattu väärälle asiakkaalle")


def add_an_invoice_paid_and_credited(customer: Customer, purchase_id: str = "P1") -> None:
    """The purchase invoiced, paid in part and credited in part."""
    customer.invoice_purchase(
        provenance(),
        purchase_id=purchase_id,
        invoice_number="2025-0001",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 2, 15),
        amount=Decimal("100.00"),
    )
    customer.pay_invoice(
        provenance(), invoice_number="2025-0001", paid_on=date(2025, 2, 10), amount=Decimal(60)
    )
    customer.credit_invoice(
        provenance(),
        invoice_number="2025-0001",
        credited_on=date(2025, 2, 11),
        amount=Decimal(10),
        reason="Hinnanalennus",
    )


def add_partner_benefits_and_a_programme(
    customer: Customer, at: list[datetime], touchpoints: list[tuple[str, dict[str, Any]]]
) -> None:
    """A benefit used while the journey's membership was paid, and Digi Fellow joined and
    left then."""
    kinds = [kind for kind, _ in touchpoints]
    paid = at[kinds.index("partner_membership_changed")] + timedelta(minutes=30)
    benefits = {"paid": ("programme_discount", "visibility")}
    customer.use_partner_benefit(
        provenance(paid),
        benefit="programme_discount",
        tier_benefits=lambda tier, _: benefits.get(tier, ()),
        now=datetime.now(UTC),
        purchase_id="P1",
        discount_percent=Decimal(15),
        notes="Kevään ohjelma",
    )
    customer.join_programme(provenance(paid), "digi_fellow", "Mukaan", now=datetime.now(UTC))
    later = paid + timedelta(minutes=10)
    customer.leave_programme(provenance(later), "digi_fellow", "Ei aikaa", now=datetime.now(UTC))


def merge_and_undo_both_ways(person: Customer) -> None:
    """The person absorbs a duplicate and the merge is undone; then the person is merged into
    another record and that merge is undone (each side's events only, in memory)."""
    duplicate, other = (
        Customer.register(
            customer_id=uuid.uuid4(), provenance=provenance(), customer_kind="person",
            customer_type="individual", name=person.name, phone=None,
            email=f"{unique('dup')}@example.fi", sector=None, account_manager=None,
        )
        for _ in range(2)
    )  # fmt: skip
    person.absorb(provenance(), duplicate, {"email"}, "Sama henkilö, kaksi osoitetta")
    person.undo_merge(provenance(), duplicate.id, "Eri henkilöt")
    person.merge_into(provenance(), other, "Sama henkilö")
    person.undo_merge(provenance(), other.id, "Eri henkilöt")


def customer_journey(visits: int = 0) -> Customer:
    """A person, in memory and unsaved, with an event of every kind but erasure (consents,
    leads, purchases, memberships, an affiliation, a restriction), then `visits` web visits."""
    registrations: list[dict[str, Any]] = [
        {"customer_kind": "organisation", "customer_type": "private_organisation"}
        | {"name": unique("Oy"), "email": None, "phone": None, "sector": "ICT"},
        {"customer_kind": "person", "customer_type": "individual", "name": unique("Name")}
        | {"email": f"{unique('p')}@example.fi", "phone": "+358 40 123 4567", "sector": None},
    ]
    organisation, person = (
        Customer.register(
            customer_id=uuid.uuid4(), provenance=provenance(), account_manager=None, **fields
        )
        for fields in registrations
    )
    person.correct_profile(provenance(), name=None, email=None, phone="+358 50 1", sector=None)
    person.assign_account_manager(provenance(), "ville.am")
    person.start_affiliation(provenance(), organisation, "HR manager")
    touchpoints = every_touchpoint()
    for (kind, fields), at in zip(touchpoints, times(len(touchpoints)), strict=True):
        person.record_touchpoint(
            provenance(at), ev.TOUCHPOINT_KINDS[kind], fields, now=datetime.now(UTC)
        )
    add_tasks_and_a_retraction(person)
    add_an_invoice_paid_and_credited(person)
    add_partner_benefits_and_a_programme(person, times(len(touchpoints)), touchpoints)
    person.restrict_processing(provenance(), "Asked to restrict")
    person.lift_restriction(provenance(), "Resolved")
    merge_and_undo_both_ways(person)
    person.expire_consent(provenance(), "email_marketing")
    for at in times(visits, START + timedelta(days=len(touchpoints))):
        person.record_touchpoint(
            provenance(at),
            ev.WebServiceVisited,
            {"notes": None, "page": "/koulutukset"},
            now=datetime.now(UTC),
        )
    return person


@dataclass(frozen=True)
class ContactCast:
    """Three people sharing a name part: consented, not consented, consented but restricted."""

    name: str
    consented: UUID
    silent: UUID
    restricted: UUID
    emails: dict[UUID, str]
    phone: str


def contact_cast(crm: CRM, now: datetime) -> ContactCast:
    """People whose contact details marketing may see or not, registered two days before now."""
    name, phone = unique("Contact"), "+358 40 123 4567"
    ids = {}
    for role in ("consented", "silent", "restricted"):
        ids[role] = register(crm, name=f"{name} {role}", phone=phone, at=now - timedelta(days=2))
    for role in ("consented", "restricted"):
        record(
            crm, ids[role], now - timedelta(days=1), "consent_given", purpose="email_marketing",
            lawful_basis="consent", evidence="web form",
        )  # fmt: skip
    restriction = provenance(now - timedelta(hours=1))
    crm.execute(
        Command(
            ids["restricted"],
            restriction,
            lambda c: c.restrict_processing(restriction, "disputed"),
        )
    )
    emails = {cid: str(crm.get_customer(cid).email) for cid in ids.values()}
    return ContactCast(name, ids["consented"], ids["silent"], ids["restricted"], emails, phone)


PARTNER_TIER_TERMS: dict[str, dict[str, Any]] = {
    "free": {
        "name_fi": "Kumppani (maksuton)",
        "name_en": "Partner (free)",
        "annual_fee": "0.00",
        "benefits": ["partner_search"],
        "discount_percent": None,
    },
    "paid": {
        "name_fi": "Kumppani (maksullinen)",
        "name_en": "Partner (paid)",
        "annual_fee": "2500.00",
        "benefits": ["programme_discount", "targeted_training", "visibility", "partner_search"],
        "discount_percent": "15.00",
    },
}
"""The tiers the tests expect, entered once per database and kept so."""


def ensure_partner_tiers(client: TestClient, admin: dict[str, str]) -> int:
    """Enter the free and paid tiers with the terms the tests expect (revised back to them
    if another test changed them); the log position to read them at (0 when unchanged)."""
    position = 0
    for code, terms in PARTNER_TIER_TERMS.items():
        added = client.post("/partner-tiers", json={"code": code, **terms}, headers=admin)
        if added.status_code == 409:
            added = client.put(f"/partner-tiers/{code}", json=terms, headers=admin)
            assert added.status_code == 200, added.text
        else:
            assert added.status_code == 201, added.text
        position = max(position, added.json()["position"] or 0)
    return position
