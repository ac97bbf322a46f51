"""Customers with known journeys for the segment tests, in a sector of their own per test run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from crm.domain.customer import Provenance
from projections.segments.compiler import Tables
from tests.factories import every_touchpoint, registration

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=200)
FIELDS = dict(reversed(every_touchpoint()))


def at(day: int, institution: str = "TAMK", channel: str = "other") -> Provenance:
    return Provenance(
        occurred_at=START + timedelta(days=day),
        institution=institution,
        channel=channel,
        recorded_by="anna.am",
        idempotency_key=f"key-{uuid.uuid4().hex}",
    )


def touch(kind: str, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """A touchpoint of the kind with valid fields, some replaced."""
    return kind, {**FIELDS[kind], **overrides}


@dataclass
class Cast:
    """The customers of one test run, by letter, and the log position that includes them."""

    sector: str
    ids: dict[str, UUID] = field(default_factory=dict)
    position: int = 0

    def letters(self, ids: list[UUID] | set[UUID]) -> set[str]:
        names = {v: k for k, v in self.ids.items()}
        return {names[i] for i in ids if i in names}


def join_cast(
    services: Services,
    cast: Cast,
    letter: str,
    *,
    institution: str = "TAMK",
    kind: str = "organisation",
    journey: list[tuple[int, tuple[str, dict[str, Any]]]] | None = None,
) -> UUID:
    """Register a customer in the cast's sector and record the journey (day, touchpoint)."""
    crm = services.crm
    recorded = crm.register_customer(
        at(0, institution),
        **registration(
            kind,
            name=f"{letter.upper()} {cast.sector}",
            email=f"{letter}-{uuid.uuid4().hex[:8]}@example.fi",
            sector=cast.sector,
            account_manager="anna.am",
        ),
    )
    customer_id = recorded.customer_id
    cast.ids[letter] = customer_id
    cast.position = max(cast.position, recorded.position or 0)
    for day, (touch_kind, fields) in journey or []:
        recorded = crm.record_touchpoint(customer_id, at(day, institution), touch_kind, fields)
        cast.position = max(cast.position, recorded.position or 0)
    return customer_id


def wait(services: Services, position: int) -> None:
    tables = Tables.of(services.views)
    for view in (
        tables.indicators,
        tables.restrictions,
        tables.touchpoints,
        tables.consents,
        tables.directory,
        tables.organisations,
    ):
        assert view.wait_for(position, 20), view.name


EMAIL_CONSENT = touch("consent_given", purpose="email_marketing")
NEWSLETTER_CONSENT = touch("consent_given", purpose="newsletter")
WEBINAR = touch("webinar_attended")
FEEDBACK = touch("feedback_given", score=9)


def purchase(amount: str) -> tuple[str, dict[str, Any]]:
    return touch("purchase_made", purchase_id=f"P-{uuid.uuid4().hex[:6]}", amount=Decimal(amount))


def build_cast(services: Services) -> Cast:
    """a: consent + 2 recent webinars; b: TTY buyer; c: person with newsletter consent and
    feedback; d: like a but restricted; e: like a but erased; f: e-mail consent withdrawn."""
    cast = Cast(sector=f"Sector-{uuid.uuid4().hex[:8]}")
    join_cast(services, cast, "a", journey=[(10, EMAIL_CONSENT), (150, WEBINAR), (180, WEBINAR)])
    join_cast(
        services,
        cast,
        "b",
        institution="TTY",
        journey=[(100, WEBINAR), (120, purchase("1000.00"))],
    )
    join_cast(
        services,
        cast,
        "c",
        kind="person",
        institution="TaY",
        journey=[(20, NEWSLETTER_CONSENT), (60, FEEDBACK)],
    )
    d = join_cast(
        services, cast, "d", journey=[(10, EMAIL_CONSENT), (150, WEBINAR), (180, WEBINAR)]
    )
    e = join_cast(
        services, cast, "e", journey=[(10, EMAIL_CONSENT), (150, WEBINAR), (180, WEBINAR)]
    )
    join_cast(
        services,
        cast,
        "f",
        journey=[
            (10, EMAIL_CONSENT),
            (40, touch("consent_withdrawn", purpose="email_marketing")),
        ],
    )
    assert services.privacy is not None
    restricted = services.privacy.restrict_processing(d, at(190), "accuracy contested")
    cast.position = max(cast.position, restricted.position or 0)
    services.privacy.erase_customer(e, "dora.dpo", "request", uuid.uuid4(), NOW)
    cast.position = max(cast.position, services.projector.head())
    wait(services, cast.position)
    return cast


@dataclass
class Workplaces:
    """People in a sector of their own and the organisations they work for: p1 (with an
    e-mail marketing consent) at a public organisation, p2 at a private partner that bought
    once, p3 once at the public one (ended), p4 nowhere."""

    sector: str
    organisation_sector: str
    ids: dict[str, UUID] = field(default_factory=dict)
    position: int = 0

    def letters(self, ids: set[UUID]) -> set[str]:
        return {name for name, customer_id in self.ids.items() if customer_id in ids}


def build_workplaces(services: Services) -> Workplaces:
    crm = services.crm
    places = Workplaces(f"People-{uuid.uuid4().hex[:8]}", f"Org-{uuid.uuid4().hex[:8]}")

    def register(name: str, kind: str, customer_type: str, sector: str) -> UUID:
        recorded = crm.register_customer(
            at(0),
            **registration(
                kind,
                customer_type=customer_type,
                name=f"{name.upper()} {places.sector}",
                email=f"{name}-{uuid.uuid4().hex[:8]}@example.fi",
                sector=sector,
            ),
        )
        places.ids[name] = recorded.customer_id
        return recorded.customer_id

    public = register("public", "organisation", "public_organisation", places.organisation_sector)
    private = register("private", "organisation", "private_organisation", "elsewhere")
    crm.record_touchpoint(
        private, at(5), "partner_membership_started", {"tier": "paid", "notes": None}
    )
    crm.record_touchpoint(private, at(6), *purchase("500.00"))
    people = {
        name: register(name, "person", "individual", places.sector)
        for name in ["p1", "p2", "p3", "p4"]
    }
    crm.record_touchpoint(people["p1"], at(8), *EMAIL_CONSENT)
    crm.start_affiliation(people["p1"], at(10), public, "CIO")
    crm.start_affiliation(people["p2"], at(10), private, None)
    crm.start_affiliation(people["p3"], at(10), public, None)
    crm.end_affiliation(people["p3"], at(20), public)
    places.position = services.projector.head()
    wait(services, places.position)
    return places
