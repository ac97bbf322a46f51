"""A customer's consent history read from its events: each change, and the state at any time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm.domain import events as ev


@dataclass(frozen=True)
class ConsentChange:
    """One grant, withdrawal or expiry of a consent purpose, with its evidence."""

    purpose: str
    granted: bool
    occurred_at: datetime
    kind: str
    version: int
    institution: str
    channel: str
    recorded_by: str
    lawful_basis: str | None
    evidence: str | None


def consent_changes(journey: Sequence[ev.CustomerEvent]) -> list[ConsentChange]:
    """Every consent change in business-time order (ties in recording order, as the rules)."""
    changes = []
    for event in journey:
        if isinstance(event, (ev.ConsentGiven, ev.ConsentWithdrawn, ev.ConsentExpired)):
            changes.append(
                ConsentChange(
                    purpose=event.purpose,
                    granted=isinstance(event, ev.ConsentGiven),
                    occurred_at=event.occurred_at,
                    kind=type(event).kind(),
                    version=event.originator_version,
                    institution=event.institution,
                    channel=event.channel,
                    recorded_by=event.recorded_by,
                    lawful_basis=getattr(event, "lawful_basis", None),
                    evidence=getattr(event, "evidence", None),
                )
            )
    return sorted(changes, key=lambda c: (c.occurred_at, c.version))


def consents_as_of(journey: Sequence[ev.CustomerEvent], at: datetime) -> dict[str, ConsentChange]:
    """Per purpose, the change in force at `at` (the newest one not after it)."""
    state: dict[str, ConsentChange] = {}
    for change in consent_changes(journey):
        if change.occurred_at <= at:
            state[change.purpose] = change
    return state


def restricted_as_of(journey: Sequence[ev.CustomerEvent], at: datetime) -> bool:
    """Whether processing was restricted at `at` (by business time)."""
    restricted = False
    for event in sorted(journey, key=lambda e: (e.occurred_at, e.originator_version)):
        if event.occurred_at > at:
            break
        if isinstance(event, ev.ProcessingRestricted):
            restricted = True
        elif isinstance(event, ev.RestrictionLifted):
            restricted = False
    return restricted
