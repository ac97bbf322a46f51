"""The candidate duplicates a user may see, shared by the API and the web UI: for an account
manager the pairs with at least one of their own customers (merging needs both), for an
admin every pair; optionally only the pairs of one customer."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from api.bootstrap.wiring import Services
from crm.application.users import Role, User
from projections.duplicates.candidates import Candidate, Candidates, candidates_in_views
from projections.duplicates.flags import MAX_CHECKED, Flags, duplicate_flags
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


@dataclass(frozen=True)
class VisibleFlags:
    """Probable duplicates of what was just recorded, and which of them the user may merge
    (an account manager two of their own customers; an admin any two). Every flag involves
    a customer the user has just recorded or is looking at, so each is shown; merging
    follows the same rule as the candidate list."""

    flags: Flags
    owned: frozenset[UUID] | None

    def mergeable(self, pair: Candidate) -> bool:
        return self.owned is None or {pair.first, pair.second} <= self.owned


def flags_for(services: Services, user: User, customer_ids: list[UUID]) -> VisibleFlags:
    """Probable duplicates of the customers, with what the user may merge."""
    flags, owners = duplicate_flags(
        services.views.get(CustomerDirectory), services.views.get(Organisations), customer_ids
    )
    owned = None
    if user.role is not Role.ADMIN:
        owned = frozenset(customer for customer, owner in owners.items() if owner == user.name)
    return VisibleFlags(flags, owned)


def compare_link(pair: Candidate, first: UUID) -> str:
    """The side-by-side comparison page of the pair, `first` on the left."""
    second = pair.second if pair.first == first else pair.first
    return f"/ui/duplicates/compare?first={first}&second={second}"


def import_flags(services: Services, user: User, import_id: str) -> VisibleFlags:
    """Probable duplicates of the customers an import recorded events for (the first
    `MAX_CHECKED` of them; `to_check` says of how many)."""
    customer_ids, total = services.import_log.customers(import_id, MAX_CHECKED)
    visible = flags_for(services, user, customer_ids)
    visible.flags.to_check = total
    return visible


@dataclass(frozen=True)
class Flag:
    """One probable duplicate of a checked customer, as a report shows it."""

    customer_id: UUID
    other_id: UUID
    score: float
    evidence: tuple[str, ...]
    mergeable: bool
    compare: str


FLAGS_SHOWN = 100
"""The most probable-duplicate pairs a report lists (it says how many there are)."""


def flag_list(visible: VisibleFlags, limit: int = FLAGS_SHOWN) -> list[Flag]:
    """The first `limit` flags, best first, each from the checked customer's side."""
    checked = set(visible.flags.checked_ids)
    flags = []
    for pair in visible.flags.pairs[:limit]:
        mine = pair.first if pair.first in checked else pair.second
        flags.append(
            Flag(
                customer_id=mine,
                other_id=pair.second if mine == pair.first else pair.first,
                score=pair.score,
                evidence=tuple(pair.evidence),
                mergeable=visible.mergeable(pair),
                compare=compare_link(pair, mine),
            )
        )
    return flags
