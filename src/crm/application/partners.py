"""The partner network's use cases: the tier catalogue, benefits used, yearly reviews and
programmes (Digi Fellow).

Tiers are aggregates of their own (`crm.domain.partner_tier`), like offerings; the partner's
own facts (benefits used, reviews, programme changes) are events on its customer stream,
decided by the `Customer` aggregate with the tier catalogue's terms as of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from crm.application.crm import CRM, Command, Recorded
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import InvalidFieldError, PartnerTierNotFoundError
from crm.domain.partner_tier import (
    PartnerTier,
    PartnerTierExistsError,
    TierTerms,
    partner_tier_id,
    tier_code,
)


@dataclass(frozen=True)
class TierRecorded:
    """The outcome of a tier catalogue command: which tier, and the log position to wait for."""

    code: str
    position: int | None


class PartnerNetwork:
    """Maintains the tier catalogue and records what partners do as members."""

    def __init__(self, crm: CRM, clock: Callable[[], datetime] | None = None) -> None:
        self.crm = crm
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))

    # The tier catalogue -------------------------------------------------------------------

    def add_tier(self, code: str, terms: TierTerms, recorded_by: str) -> TierRecorded:
        """Enter a tier in the catalogue; a tier there already is refused (409)."""
        tier = PartnerTier.add(code, terms, recorded_by=recorded_by, recorded_at=self.clock())
        try:
            recordings = self.crm.save(tier)
        except IntegrityError as error:
            raise PartnerTierExistsError(
                f"The tier {tier.code} is in the catalogue already; revise it instead.",
                code="tier_exists",
                tier=tier.code,
            ) from error
        return TierRecorded(tier.code, recordings[-1].notification.id)

    def revise_tier(self, code: str, terms: TierTerms, recorded_by: str) -> TierRecorded:
        """Change a tier's terms from now on (benefits used earlier keep the earlier terms)."""
        tier = self.get_tier(code)
        tier.revise(terms, recorded_by=recorded_by, recorded_at=self.clock())
        recordings = self.crm.save(tier)
        return TierRecorded(tier.code, recordings[-1].notification.id if recordings else None)

    def get_tier(self, code: str) -> PartnerTier:
        """The tier with the code as it stands now."""
        normal = tier_code(code)
        try:
            tier: object = self.crm.repository.get(partner_tier_id(normal))
        except AggregateNotFoundError:
            raise PartnerTierNotFoundError(normal) from None
        if not isinstance(tier, PartnerTier):
            raise PartnerTierNotFoundError(normal)
        return tier

    def tier_benefits(self) -> Callable[[str, datetime], Collection[str]]:
        """The benefits a tier included at a time, read from the catalogue once per tier;
        a tier the catalogue lacks includes none."""
        loaded: dict[str, PartnerTier | None] = {}

        def benefits(code: str, at: datetime) -> Collection[str]:
            if code not in loaded:
                try:
                    loaded[code] = self.get_tier(code)
                except PartnerTierNotFoundError:
                    loaded[code] = None
            tier = loaded[code]
            return tier.terms_at(at).benefits if tier is not None else ()

        return benefits

    # A partner's own facts ----------------------------------------------------------------

    def use_benefit(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        benefit: str,
        purchase_id: str | None = None,
        discount_amount: Decimal | None = None,
        discount_percent: Decimal | None = None,
        offering_code: str | None = None,
        notes: str | None = None,
    ) -> Recorded:
        """Record a membership benefit used; refused (409) unless the membership in force
        then had a tier whose benefits included it."""
        code = self.crm.catalogued_code(offering_code) if offering_code else None
        tier_benefits = self.tier_benefits()

        def decide(customer: Customer) -> None:
            customer.use_partner_benefit(
                provenance,
                benefit=benefit,
                tier_benefits=tier_benefits,
                now=self.clock(),
                purchase_id=purchase_id,
                discount_amount=discount_amount,
                discount_percent=discount_percent,
                offering_code=code,
                notes=notes,
            )

        return self.crm.execute(Command(customer_id, provenance, decide))

    def hold_review(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        outcome: str,
        next_review_due: date,
        notes: str | None = None,
    ) -> Recorded:
        """Record a partner's yearly review: its outcome and when the next one is due (after
        the review's own day)."""
        if next_review_due <= provenance.occurred_at.date():
            raise InvalidFieldError("next_review_due", "must be after the review's day")
        fields = {"notes": notes, "next_review_due": next_review_due, "outcome": outcome}
        return self.crm.record_touchpoint(customer_id, provenance, "annual_review_held", fields)

    def join_programme(
        self, customer_id: UUID, provenance: Provenance, programme: str, notes: str | None = None
    ) -> Recorded:
        """Record that a partner organisation joined a programme."""
        return self.crm.execute(
            Command(
                customer_id,
                provenance,
                lambda c: c.join_programme(provenance, programme, notes, now=self.clock()),
            )
        )

    def leave_programme(
        self, customer_id: UUID, provenance: Provenance, programme: str, reason: str | None = None
    ) -> Recorded:
        """Record that an organisation left a programme."""
        return self.crm.execute(
            Command(
                customer_id,
                provenance,
                lambda c: c.leave_programme(provenance, programme, reason, now=self.clock()),
            )
        )
