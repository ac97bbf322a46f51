"""A partner's yearly review ("vuositarkastus ja vuosihuolto"): what the organisation and its
people bought, attended, used (benefits) and recommended since the last review, with totals
that say what they cover. Shared by the API route and the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.rows import DictRow

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.organisations import Organisations
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.timeline import Timeline

SECTIONS: dict[str, tuple[str, ...]] = {
    "bought": ("purchase_made",),
    "attended": ("webinar_attended", "event_attended", "course_completed"),
    "used": ("partner_benefit_used",),
    "recommended": ("recommendation_given",),
}
"""What the review gathers, by section, as timeline kinds."""
REVIEW_KINDS = [kind for kinds in SECTIONS.values() for kind in kinds]
DEFAULT_PERIOD = timedelta(days=365)


@dataclass(frozen=True)
class SectionTotal:
    """One section's totals over the whole period: entries and their EUR amount (purchases'
    amounts; discounts given as amounts for benefits)."""

    section: str
    entries: int
    amount: Decimal
    by_kind: dict[str, int]


@dataclass(frozen=True)
class PartnerReview:
    """The review page's content for one organisation."""

    organisation_id: UUID
    partner: DictRow | None
    """Membership and review state (tier, member_since, last review, review_due)."""
    tier: DictRow | None
    """The partner's tier as the catalogue describes it now."""
    since: datetime
    since_basis: str
    """What the period starts at: "last_review", "membership", "given" or "year"."""
    until: datetime
    people: list[UUID]
    """The organisation's current people, whose entries the review includes."""
    totals: list[SectionTotal]
    benefits: list[DictRow]
    """Benefits used in the period, per benefit: uses and discounts given as amounts."""
    programmes: list[DictRow]
    entries: list[DictRow]
    """A page of the period's entries, newest first."""
    total_entries: int
    offset: int

    @property
    def customer_ids(self) -> list[UUID]:
        """Whose personal data the review shows: the organisation and its people."""
        return [self.organisation_id, *self.people]


def partner_review(
    services: Services,
    organisation_id: UUID,
    *,
    now: datetime | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PartnerReview:
    """Gather the review of one organisation over the period from `since` (by default the
    last review, else the membership's start, else a year back) up to now."""
    now = now or datetime.now(UTC)
    views = services.views
    partner = views.get(Partners).partner(organisation_id)
    start, basis = _period_start(partner, since, now)
    merges = views.get(MergeMap)
    # Every stream of a merged organisation or person: the timeline keeps rows per stream.
    people = [row["person_id"] for row in views.get(Organisations).members(organisation_id, merges)]
    ids = merges.histories_of([organisation_id, *people])
    timeline = views.get(Timeline)
    by_kind = timeline.kind_totals(ids, REVIEW_KINDS, start, now)
    totals = [
        SectionTotal(
            section,
            sum(by_kind.get(kind, (0, Decimal(0)))[0] for kind in kinds),
            sum((by_kind.get(kind, (0, Decimal(0)))[1] for kind in kinds), Decimal(0)),
            {kind: by_kind.get(kind, (0, Decimal(0)))[0] for kind in kinds},
        )
        for section, kinds in SECTIONS.items()
    ]
    entries, total_entries = timeline.entries_between(
        ids, REVIEW_KINDS, start, now, offset=offset, limit=limit
    )
    tier_code = partner["tier"] if partner else None
    return PartnerReview(
        organisation_id=organisation_id,
        partner=partner,
        tier=views.get(PartnerTiers).get(tier_code) if tier_code else None,
        since=start,
        since_basis=basis,
        until=now,
        people=people,
        totals=totals,
        benefits=views.get(Partners).benefits_used(organisation_id, start),
        programmes=views.get(Partners).programmes_of(organisation_id),
        entries=entries,
        total_entries=total_entries,
        offset=offset,
    )


def _period_start(
    partner: dict[str, Any] | None, since: datetime | None, now: datetime
) -> tuple[datetime, str]:
    if since is not None:
        return since, "given"
    if partner is not None and partner["last_review_at"] is not None:
        return partner["last_review_at"], "last_review"
    if partner is not None and partner["member_since"] is not None:
        return partner["member_since"], "membership"
    return now - DEFAULT_PERIOD, "year"
