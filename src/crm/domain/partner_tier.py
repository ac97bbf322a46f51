"""The `PartnerTier` aggregate: one tier of the partner community and the benefits it brings.

The tiers are the membership tiers of the vocabulary (free and paid); what each includes
(names, yearly fee, benefits, the programme discount's percentage) is the provider's
catalogue data, maintained by an admin and read by everyone, like the offering catalogue.
Its id is derived from the code, so a tier enters the catalogue once. Every revision is kept:
whether a benefit was included is decided as of the time the partner used it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from crm.domain.errors import InvalidFieldError, RuleViolationError
from crm.domain.vocabulary import MEMBERSHIP_TIERS, PARTNER_BENEFITS

TIER_NAMESPACE = UUID("0b7f6a52-8d0e-4f57-9a3c-5e2d1c4b7a90")
MAX_NAME_LENGTH = 200
MAX_FEE = Decimal("1000000")


class PartnerTierExistsError(RuleViolationError):
    """The tier is in the catalogue already; revise it instead."""


def tier_code(code: str) -> str:
    """The tier's code, refused unless the vocabulary has it."""
    normal = code.strip().lower()
    if normal not in MEMBERSHIP_TIERS:
        raise InvalidFieldError("code", f"must be one of {', '.join(MEMBERSHIP_TIERS)}")
    return normal


def partner_tier_id(code: str) -> UUID:
    """The id of the tier with this code."""
    return uuid5(TIER_NAMESPACE, tier_code(code))


@dataclass(frozen=True)
class TierTerms:
    """What the catalogue says of a tier: names in Finnish and English, the yearly fee (EUR),
    the benefits it includes and, when it includes the programme discount, its percentage."""

    name_fi: str
    name_en: str
    annual_fee: Decimal
    benefits: tuple[str, ...]
    discount_percent: Decimal | None

    def checked(self) -> TierTerms:
        """These terms, trimmed, or an `InvalidFieldError` naming the first bad field."""
        names = {"name_fi": self.name_fi.strip(), "name_en": self.name_en.strip()}
        for field, name in names.items():
            if not name:
                raise InvalidFieldError(field, "must not be empty", code="required")
            if len(name) > MAX_NAME_LENGTH or "\x00" in name:
                raise InvalidFieldError(field, f"must be at most {MAX_NAME_LENGTH} characters")
        fee = self.annual_fee
        if not fee.is_finite() or fee < 0 or fee > MAX_FEE:
            raise InvalidFieldError("annual_fee", f"must be between 0 and {MAX_FEE}")
        unknown = [b for b in self.benefits if b not in PARTNER_BENEFITS]
        if unknown:
            raise InvalidFieldError("benefits", f"must be among {', '.join(PARTNER_BENEFITS)}")
        benefits = tuple(b for b in PARTNER_BENEFITS if b in self.benefits)
        percent = self.discount_percent
        if "programme_discount" in benefits:
            if percent is None or not percent.is_finite() or not 0 < percent <= 100:
                raise InvalidFieldError(
                    "discount_percent", "must be above 0 and at most 100 with the discount"
                )
        elif percent is not None:
            raise InvalidFieldError(
                "discount_percent", "is given only with the programme discount benefit"
            )
        return TierTerms(
            names["name_fi"],
            names["name_en"],
            fee.quantize(Decimal("0.01")),
            benefits,
            percent,
        )

    def as_fields(self) -> dict[str, Any]:
        return {
            "name_fi": self.name_fi,
            "name_en": self.name_en,
            "annual_fee": self.annual_fee,
            "benefits": self.benefits,
            "discount_percent": self.discount_percent,
        }


def _terms(event: Any) -> TierTerms:
    return TierTerms(
        event.name_fi,
        event.name_en,
        event.annual_fee,
        tuple(event.benefits),
        event.discount_percent,
    )


class PartnerTier(Aggregate):
    """One tier of the partner community: its terms now and every earlier revision."""

    TOPIC = "crm.partner_tier:PartnerTier"

    class Created(Aggregate.Created):
        TOPIC = "crm.partner_tier:PartnerTier.Created"

    class Event(Aggregate.Event):
        """A change to the tier catalogue, by whom and when it was recorded."""

        recorded_by: str
        recorded_at: datetime

    class Added(Event, Aggregate.Created):
        """A tier entered the catalogue with its terms."""

        TOPIC = "crm.partner_tier:PartnerTier.Added"
        code: str
        name_fi: str
        name_en: str
        annual_fee: Decimal
        benefits: tuple[str, ...]
        discount_percent: Decimal | None

        def apply(self, aggregate: Any) -> None:
            aggregate.code = self.code
            aggregate.revisions = ((self.recorded_at, _terms(self)),)

    class Revised(Event):
        """A tier's names, fee, benefits or discount changed."""

        TOPIC = "crm.partner_tier:PartnerTier.Revised"
        name_fi: str
        name_en: str
        annual_fee: Decimal
        benefits: tuple[str, ...]
        discount_percent: Decimal | None

        def apply(self, aggregate: Any) -> None:
            aggregate.revisions = (*aggregate.revisions, (self.recorded_at, _terms(self)))

    def __init__(self) -> None:
        self.code = ""
        # (recorded at, terms) of every revision, oldest first.
        self.revisions: Sequence[tuple[datetime, TierTerms]] = ()

    @property
    def terms(self) -> TierTerms:
        return self.revisions[-1][1]

    def terms_at(self, when: datetime) -> TierTerms:
        """The terms in force at `when`: the latest revision recorded by then. Before the
        tier entered the catalogue its first terms hold, since the tiers are older than
        their catalogue entries."""
        current = self.revisions[0][1]
        for recorded_at, terms in self.revisions:
            if recorded_at > when:
                break
            current = terms
        return current

    @classmethod
    def add(
        cls, code: str, terms: TierTerms, *, recorded_by: str, recorded_at: datetime
    ) -> PartnerTier:
        """A new catalogue entry for the tier, with checked terms."""
        normal = tier_code(code)
        return cls._create(
            cls.Added,
            id=partner_tier_id(normal),
            code=normal,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            **terms.checked().as_fields(),
        )

    def revise(self, terms: TierTerms, *, recorded_by: str, recorded_at: datetime) -> None:
        """Change the tier's terms from now on; unchanged terms record nothing."""
        checked = terms.checked()
        if checked == self.terms:
            return
        self.trigger_event(
            self.Revised, recorded_by=recorded_by, recorded_at=recorded_at, **checked.as_fields()
        )


PARTNER_TIER_EVENT_CLASSES: tuple[type[PartnerTier.Event], ...] = (
    PartnerTier.Added,
    PartnerTier.Revised,
)
"""Every tier catalogue event; all their fields are the provider's catalogue data."""

register_topic(PartnerTier.TOPIC, PartnerTier)
for _cls in PARTNER_TIER_EVENT_CLASSES:
    register_topic(_cls.TOPIC, _cls)  # type: ignore[attr-defined]
