"""A customer's consent history read from its events: each change, and the state at any time.

Consent as of a time follows the rule in `crm.domain.in_force`: per purpose, the last change
by business time (ties in recording order) not after that time decides. A grant is valid for
`validity_months` calendar months (UTC calendar) from its business time: from then on it
counts as expired whether or not the expiry job has recorded `ConsentExpired` yet (the job
records the expiry at that same business time, so the answer is the same before and after).
`expires_at`, `in_force` (Python) and `consent_covers` (SQL) are that rule; every read of
consent state uses one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from crm.domain import events as ev
from crm.domain.calendar import months_after
from crm.domain.corrections import counted
from crm.domain.in_force import Change, in_order, last_in_force

CONSENT_VALIDITY_MONTHS = 24
"""How long a consent is valid from its grant unless renewed (the default of the setting)."""


def expires_at(granted_at: datetime, validity_months: int) -> datetime:
    """When a grant stops counting: `validity_months` calendar months later (UTC calendar)."""
    return months_after(granted_at.astimezone(UTC), validity_months)


def in_force(history: Sequence[Change], at: datetime, validity_months: int) -> bool:
    """Whether consent was in force at `at`: a grant decides it and was given less than
    `validity_months` before (for a history in the rule's order, e.g. the aggregate's)."""
    change = last_in_force(history, at, lambda c: c[0])
    return change is not None and change[1] and at < expires_at(change[0], validity_months)


def consent_state(
    histories: Mapping[str, Sequence[Change]], at: datetime, validity_months: int
) -> dict[str, bool]:
    """Per purpose with a history (e.g. an aggregate's `consent_changes`), whether a consent
    is in force at `at`."""
    return {
        purpose: in_force(history, at, validity_months) for purpose, history in histories.items()
    }


def valid_until_sql(alias: str, validity_months: int) -> str:
    """SQL for where ledger interval `alias` really ends: its closing change or its expiry,
    whichever comes first (`expires_at` in SQL; LEAST ignores a NULL valid_to)."""
    months = int(validity_months)
    return (
        f"LEAST({alias}.valid_to, ({alias}.valid_from AT TIME ZONE 'UTC'"
        f" + make_interval(months => {months})) AT TIME ZONE 'UTC')"
    )


def consent_covers(alias: str, at: str, validity_months: int) -> str:
    """SQL that holds when ledger interval `alias` gave a valid consent at instant `at`."""
    return f"{alias}.valid_from <= {at} AND {valid_until_sql(alias, validity_months)} > {at}"


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
    record_id: UUID | None = None
    """The customer record the change is on (another than the customer's own when that
    record was merged into it)."""


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
                    record_id=event.originator_id,
                )
            )
    return in_order(changes, key=lambda c: (c.occurred_at, c.version))


def merged_consent_changes(
    journeys: Sequence[Sequence[ev.CustomerEvent]],
) -> list[ConsentChange]:
    """The consent changes of a merged history: the survivor's journey first, then those of
    the records merged into it in merge order. One history in the rule's order, as the
    survivor's aggregate decides by: at a tie the survivor's own changes first, then each
    merged record's in merge order (`MERGED_ORDER_SQL` in SQL)."""
    ranked = [
        (rank, change)
        for rank, journey in enumerate(journeys)
        for change in consent_changes(journey)
    ]
    ranked.sort(key=lambda rc: (rc[1].occurred_at, rc[0], rc[1].version))
    return [change for _, change in ranked]


def consents_as_of(
    journey: Sequence[ev.CustomerEvent],
    at: datetime,
    validity_months: int,
    merged: Sequence[Sequence[ev.CustomerEvent]] = (),
) -> dict[str, ConsentChange]:
    """Per purpose, the change in force at `at` (the last one in the rule's order not after
    it); a grant past its validity reads as the expiry it is (kind `ConsentExpired`). With
    `merged` (the journeys of the records merged into the customer, in merge order), over
    the merged history: a change on either record decides."""
    by_purpose: dict[str, list[ConsentChange]] = {}
    for change in merged_consent_changes([journey, *merged]):
        by_purpose.setdefault(change.purpose, []).append(change)
    state = {}
    for purpose, history in by_purpose.items():
        in_force = last_in_force(history, at, lambda c: c.occurred_at)
        if in_force is None:
            continue
        ends = expires_at(in_force.occurred_at, validity_months)
        if in_force.granted and ends <= at:
            in_force = replace(
                in_force,
                granted=False,
                occurred_at=ends,
                kind=ev.ConsentExpired.kind(),
                lawful_basis=None,
                evidence=None,
            )
        state[purpose] = in_force
    return state
