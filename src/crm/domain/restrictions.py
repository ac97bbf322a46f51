"""A customer's restriction of processing (GDPR art. 18) as of a time, read from its events.

Restriction as of a time follows the rule in `crm.domain.in_force`: the last
`ProcessingRestricted` or `RestrictionLifted` by business time (ties in recording order) not
after that time decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crm.domain import events as ev
from crm.domain.in_force import Change, in_order, state_at

RESTRICTION_EVENTS = (ev.ProcessingRestricted, ev.RestrictionLifted)


def restriction_changes(journey: Sequence[ev.CustomerEvent]) -> list[Change]:
    """Every restriction and lift as (occurred_at, restricted), in the rule's order."""
    events = in_order(
        (event for event in journey if isinstance(event, RESTRICTION_EVENTS)),
        key=lambda e: (e.occurred_at, e.originator_version),
    )
    return [(event.occurred_at, isinstance(event, ev.ProcessingRestricted)) for event in events]


def restricted_as_of(journey: Sequence[ev.CustomerEvent], at: datetime) -> bool:
    """Whether processing was restricted at `at`."""
    return state_at(restriction_changes(journey), at)
