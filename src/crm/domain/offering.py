"""The `Offering` aggregate: one entry of the provider's own catalogue.

An offering is named by its code ("AVO-JOHT-01"); its id is derived from the code, so one code
is one offering and adding a code twice is refused by the event store itself. The catalogue
is the provider's data, not a customer's: every field is stored in clear. Its events carry the
recording user and the time of recording; they name no customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from crm.domain.errors import InvalidFieldError, RuleViolationError
from crm.domain.vocabulary import INSTITUTIONS, OFFERING_TYPES

OFFERING_NAMESPACE = UUID("6f1f8c1e-52c4-4d3b-9a5e-0d7c1f3b8a21")
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
MAX_NAME_LENGTH = 200
MAX_PRICE = Decimal("10000000")
MAX_CREDITS = Decimal("400")


class OfferingRetiredError(RuleViolationError):
    """The offering is retired; retire or reinstate only what is in the other state."""


def normal_code(code: str) -> str:
    """A code as the catalogue stores it: trimmed, upper case; refused unless it is 2-40
    letters, digits, hyphens and underscores starting with a letter or digit."""
    normal = code.strip().upper()
    if not CODE.match(normal):
        raise InvalidFieldError("code", "must be 2-40 letters A-Z, digits, hyphens or underscores")
    return normal


def offering_id(code: str) -> UUID:
    """The id of the offering with this code (the code is the provider's, never personal)."""
    return uuid5(OFFERING_NAMESPACE, normal_code(code))


@dataclass(frozen=True)
class OfferingTerms:
    """What a catalogue entry says: names in Finnish and English, type, institution, list
    price in EUR and, for trainings that give them, credits (ECTS)."""

    name_fi: str
    name_en: str
    offering_type: str
    institution: str
    list_price: Decimal
    credits: Decimal | None

    def checked(self) -> OfferingTerms:
        """These terms, trimmed, or an `InvalidFieldError` naming the first bad field."""
        names = {"name_fi": self.name_fi.strip(), "name_en": self.name_en.strip()}
        for field, name in names.items():
            if not name:
                raise InvalidFieldError(field, "must not be empty", code="required")
            if len(name) > MAX_NAME_LENGTH or "\x00" in name:
                raise InvalidFieldError(field, f"must be at most {MAX_NAME_LENGTH} characters")
        if self.offering_type not in OFFERING_TYPES:
            raise InvalidFieldError("offering_type", f"must be one of {', '.join(OFFERING_TYPES)}")
        if self.institution not in INSTITUTIONS:
            raise InvalidFieldError("institution", f"must be one of {', '.join(INSTITUTIONS)}")
        price = self.list_price
        if not price.is_finite() or price < 0 or price > MAX_PRICE:
            raise InvalidFieldError("list_price", f"must be between 0 and {MAX_PRICE}")
        credits = self.credits
        if credits is not None and (
            not credits.is_finite() or credits <= 0 or credits > MAX_CREDITS
        ):
            raise InvalidFieldError("credits", f"must be above 0 and at most {MAX_CREDITS}")
        return OfferingTerms(
            names["name_fi"],
            names["name_en"],
            self.offering_type,
            self.institution,
            price.quantize(Decimal("0.01")),
            credits,
        )

    def as_fields(self) -> dict[str, Any]:
        return {
            "name_fi": self.name_fi,
            "name_en": self.name_en,
            "offering_type": self.offering_type,
            "institution": self.institution,
            "list_price": self.list_price,
            "credits": self.credits,
        }


class Offering(Aggregate):
    """One offering of the catalogue: its terms and whether it is still sold."""

    TOPIC = "crm.offering:Offering"

    class Created(Aggregate.Created):
        TOPIC = "crm.offering:Offering.Created"

    class Event(Aggregate.Event):
        """A change to the catalogue, by whom and when it was recorded."""

        recorded_by: str
        recorded_at: datetime

    class Added(Event, Aggregate.Created):
        """An offering entered the catalogue."""

        TOPIC = "crm.offering:Offering.Added"
        code: str
        name_fi: str
        name_en: str
        offering_type: str
        institution: str
        list_price: Decimal
        credits: Decimal | None

        def apply(self, aggregate: Any) -> None:
            aggregate.code = self.code
            aggregate.terms = OfferingTerms(
                self.name_fi,
                self.name_en,
                self.offering_type,
                self.institution,
                self.list_price,
                self.credits,
            )

    class Revised(Event):
        """An offering's names, type, institution, price or credits changed."""

        TOPIC = "crm.offering:Offering.Revised"
        name_fi: str
        name_en: str
        offering_type: str
        institution: str
        list_price: Decimal
        credits: Decimal | None

        def apply(self, aggregate: Any) -> None:
            aggregate.terms = OfferingTerms(
                self.name_fi,
                self.name_en,
                self.offering_type,
                self.institution,
                self.list_price,
                self.credits,
            )

    class Retired(Event):
        """The offering is no longer sold; what refers to it keeps its code."""

        TOPIC = "crm.offering:Offering.Retired"

        def apply(self, aggregate: Any) -> None:
            aggregate.active = False

    class Reinstated(Event):
        """A retired offering is sold again."""

        TOPIC = "crm.offering:Offering.Reinstated"

        def apply(self, aggregate: Any) -> None:
            aggregate.active = True

    def __init__(self) -> None:
        self.code = ""
        self.terms: OfferingTerms | None = None
        self.active = True

    @classmethod
    def add(
        cls, code: str, terms: OfferingTerms, *, recorded_by: str, recorded_at: datetime
    ) -> Offering:
        """A new catalogue entry with checked terms."""
        normal = normal_code(code)
        return cls._create(
            cls.Added,
            id=offering_id(normal),
            code=normal,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
            **terms.checked().as_fields(),
        )

    def revise(self, terms: OfferingTerms, *, recorded_by: str, recorded_at: datetime) -> None:
        """Change the entry's terms; unchanged terms record nothing."""
        checked = terms.checked()
        if checked == self.terms:
            return
        self.trigger_event(
            self.Revised, recorded_by=recorded_by, recorded_at=recorded_at, **checked.as_fields()
        )

    def retire(self, *, recorded_by: str, recorded_at: datetime) -> None:
        if not self.active:
            raise OfferingRetiredError("The offering is retired already.", code="offering_retired")
        self.trigger_event(self.Retired, recorded_by=recorded_by, recorded_at=recorded_at)

    def reinstate(self, *, recorded_by: str, recorded_at: datetime) -> None:
        if self.active:
            raise OfferingRetiredError("The offering is not retired.", code="offering_active")
        self.trigger_event(self.Reinstated, recorded_by=recorded_by, recorded_at=recorded_at)


OFFERING_EVENT_CLASSES: tuple[type[Offering.Event], ...] = (
    Offering.Added,
    Offering.Revised,
    Offering.Retired,
    Offering.Reinstated,
)
"""Every catalogue event; all their fields are the provider's catalogue data or the system's."""

register_topic(Offering.TOPIC, Offering)
for _cls in OFFERING_EVENT_CLASSES:
    register_topic(_cls.TOPIC, _cls)  # type: ignore[attr-defined]
