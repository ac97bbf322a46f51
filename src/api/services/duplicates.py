"""The candidate duplicates a user may see, shared by the API and the web UI: for an account
manager the pairs with at least one of their own customers (merging needs both), for an
admin every pair; optionally only the pairs of one customer."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from api.bootstrap.wiring import Services
from crm.application.users import Role, User
from projections.duplicates.candidates import Candidate, Candidates, candidates_in_views
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations


@dataclass(frozen=True)
class VisibleCandidates:
    """The pairs a user may see, and which of them the user may merge."""

    found: Candidates
    owned: frozenset[UUID] | None
    """The user's own customers; None: the user may merge any two (an admin)."""

    def mergeable(self, pair: Candidate) -> bool:
        return self.owned is None or {pair.first, pair.second} <= self.owned


def duplicate_candidates(
    services: Services, user: User, customer_id: UUID | None = None
) -> VisibleCandidates:
    """Scored pairs the user may see, best first."""
    found, owners = candidates_in_views(
        services.views.get(CustomerDirectory), services.views.get(Organisations)
    )
    owned = None
    if user.role is not Role.ADMIN:
        owned = frozenset(customer for customer, owner in owners.items() if owner == user.name)
        found.pairs = [p for p in found.pairs if p.first in owned or p.second in owned]
    if customer_id is not None:
        found.pairs = [p for p in found.pairs if customer_id in (p.first, p.second)]
    return VisibleCandidates(found, owned)
