"""A customer's consent history read from its events: each change, and the state at any time.

Consent as of a time follows the rule in `crm.domain.in_force`: per purpose, the last change
by business time (ties in recording order) not after that time decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crm.domain import events as ev
from crm.domain.corrections import counted
from crm.domain.in_force import in_order, last_in_force


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
    """Every consent change in the order of the rule (business time, ties by version); a
    retracted consent is no change."""
    changes = []
    for event in counted(journey):
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
    return in_order(changes, key=lambda c: (c.occurred_at, c.version))


def consents_as_of(journey: Sequence[ev.CustomerEvent], at: datetime) -> dict[str, ConsentChange]:
    """Per purpose, the change in force at `at` (the last one in the rule's order not after it)."""
    by_purpose: dict[str, list[ConsentChange]] = {}
    for change in consent_changes(journey):
        by_purpose.setdefault(change.purpose, []).append(change)
    state = {}
    for purpose, history in by_purpose.items():
        in_force = last_in_force(history, at, lambda c: c.occurred_at)
        if in_force is not None:
            state[purpose] = in_force
    return state
