"""The offering catalogue's use cases: add, revise, retire and reinstate an offering.

Offerings are aggregates of their own in the CRM's event store (`crm.domain.offering`), so the
catalogue's history is events like the customers' journeys and the views follow it the same
way. Touchpoints that name an offering by code are checked against it (`CRM.touchpoint_command`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from crm.application.crm import CRM
from crm.domain.errors import OfferingExistsError, OfferingNotFoundError
from crm.domain.offering import Offering, OfferingTerms, normal_code, offering_id


@dataclass(frozen=True)
class CatalogueRecorded:
    """The outcome of a catalogue command: which offering, and the log position to wait for."""

    code: str
    position: int | None


class Catalogue:
    """Maintains the provider's offering catalogue."""

    def __init__(self, crm: CRM, clock: Callable[[], datetime] | None = None) -> None:
        self.crm = crm
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))

    def add_offering(self, code: str, terms: OfferingTerms, recorded_by: str) -> CatalogueRecorded:
        """Add an offering; a code in the catalogue already is refused (409)."""
        offering = Offering.add(code, terms, recorded_by=recorded_by, recorded_at=self.clock())
        try:
            recordings = self.crm.save(offering)
        except IntegrityError as error:
            raise OfferingExistsError(
                f"An offering with code {offering.code} is in the catalogue already.",
                code="offering_exists",
                offering_code=offering.code,
            ) from error
        return CatalogueRecorded(offering.code, recordings[-1].notification.id)

    def revise_offering(
        self, code: str, terms: OfferingTerms, recorded_by: str
    ) -> CatalogueRecorded:
        return self._change(
            code, lambda o: o.revise(terms, recorded_by=recorded_by, recorded_at=self.clock())
        )

    def retire_offering(self, code: str, recorded_by: str) -> CatalogueRecorded:
        return self._change(
            code, lambda o: o.retire(recorded_by=recorded_by, recorded_at=self.clock())
        )

    def reinstate_offering(self, code: str, recorded_by: str) -> CatalogueRecorded:
        return self._change(
            code, lambda o: o.reinstate(recorded_by=recorded_by, recorded_at=self.clock())
        )

    def get_offering(self, code: str) -> Offering:
        """The offering with the code as it stands now."""
        normal = normal_code(code)
        try:
            offering: object = self.crm.repository.get(offering_id(normal))
        except AggregateNotFoundError:
            raise OfferingNotFoundError(normal) from None
        if not isinstance(offering, Offering):
            raise OfferingNotFoundError(normal)
        return offering

    def _change(self, code: str, decide: Callable[[Offering], None]) -> CatalogueRecorded:
        offering = self.get_offering(code)
        decide(offering)
        recordings = self.crm.save(offering)
        position = recordings[-1].notification.id if recordings else None
        return CatalogueRecorded(offering.code, position)
