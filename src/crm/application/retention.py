"""Retention and consent expiry: decisions the worker's scheduled jobs take, as commands.

Each function takes the candidates to look at and `now`, re-checks every candidate against
its own events (the candidate lists come from read models that may lag) and records its
effects as events, so a job repeated or run twice at once changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from crm.application.crm import Command
from crm.application.privacy import PRIVACY_CHANNEL, PRIVACY_INSTITUTION, Privacy
from crm.domain import events as ev
from crm.domain.calendar import months_before
from crm.domain.consents import CONSENT_VALIDITY_MONTHS, expires_at
from crm.domain.corrections import counted
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import CustomerNotFoundError

log = logging.getLogger(__name__)

RETENTION_MONTHS = 36
RETENTION_USER = "retention-job"
CONSENT_EXPIRY_USER = "consent-expiry-job"
RETENTION_NAMESPACE = UUID("4f6c1f0e-8d7e-4d8c-9a55-2a1f3c9b7e01")
AUTOMATIC_KINDS: tuple[type[ev.CustomerEvent], ...] = (
    ev.ConsentExpired,
    ev.Erased,
    ev.EntryRetracted,
    ev.TaskPlanned,
    ev.TaskCancelled,
)
"""Events that are not activity of the customer: recorded by the system by itself, or the
provider's own bookkeeping (a retraction, a task planned or dropped)."""

DecisionLog = Callable[[datetime, UUID, str, str, str], None]
"""Called with (decided at, customer, decision, rule, detail) for every decision."""


@dataclass(frozen=True)
class RetentionDecision:
    """What the retention job decided for one customer, and why."""

    customer_id: UUID
    decision: str
    """"erased" or "kept"."""
    rule: str
    detail: str


def _living(privacy: Privacy, candidates: Iterable[UUID]) -> Iterator[tuple[UUID, Customer]]:
    """Each candidate once, as it is now, unless it is unknown or already erased: a job's
    candidates come from a view that may lag behind the log."""
    for customer_id in dict.fromkeys(candidates):
        try:
            customer = privacy.crm.get_customer(customer_id)
        except CustomerNotFoundError:
            continue
        if not customer.erased:
            yield customer_id, customer


def last_activity(journey: Sequence[ev.CustomerEvent]) -> datetime | None:
    """The business time of the customer's newest event that the customer took part in."""
    times = [e.occurred_at for e in counted(journey) if not isinstance(e, AUTOMATIC_KINDS)]
    return max(times) if times else None


def reason_to_keep(customer: Customer, now: datetime) -> tuple[str, str] | None:
    """A (rule, detail) that forbids erasing the customer now, or None."""
    if customer.membership_tier is not None:
        return "open_contract", f"active {customer.membership_tier} partner membership"
    if customer.restricted:
        return "restricted", "processing is restricted (GDPR art. 18): the data must be kept"
    return None


def apply_retention(
    privacy: Privacy,
    candidates: Iterable[UUID],
    now: datetime,
    *,
    inactive_months: int = RETENTION_MONTHS,
    record: DecisionLog | None = None,
) -> list[RetentionDecision]:
    """Erase candidates with no activity for `inactive_months` and no open contract."""
    cutoff = months_before(now, inactive_months)
    decisions = []
    for customer_id, customer in _living(privacy, candidates):
        last = last_activity(privacy.crm.get_journey(customer_id))
        keep = reason_to_keep(customer, now)
        if last is not None and last >= cutoff:
            decision = RetentionDecision(
                customer_id, "kept", "recent_activity", f"last activity {last:%Y-%m-%d}"
            )
        elif keep is not None:
            decision = RetentionDecision(customer_id, "kept", *keep)
        else:
            reason = (
                f"Retention: no activity since {last:%Y-%m-%d} "
                f"(limit {inactive_months} months) and no open contract"
                if last is not None
                else "Retention: no activity recorded"
            )
            privacy.erase_customer(
                customer_id,
                RETENTION_USER,
                reason,
                uuid5(RETENTION_NAMESPACE, f"retention:{customer_id}"),
                now,
            )
            decision = RetentionDecision(customer_id, "erased", "inactive", reason)
        log.info(
            "retention: %s %s (%s: %s)",
            decision.decision,
            customer_id,
            decision.rule,
            decision.detail,
        )
        if record is not None:
            record(now, customer_id, decision.decision, decision.rule, decision.detail)
        decisions.append(decision)
    return decisions


@dataclass(frozen=True)
class ExpiredConsent:
    """One consent the expiry job let lapse."""

    customer_id: UUID
    purpose: str
    granted_at: datetime
    expired_at: datetime


def expire_consents(
    privacy: Privacy,
    candidates: Iterable[UUID],
    now: datetime,
    *,
    validity_months: int = CONSENT_VALIDITY_MONTHS,
) -> list[ExpiredConsent]:
    """Record `ConsentExpired` for consents in force whose grant is older than the validity.

    The expiry takes effect in business time when the validity ended, not when the job ran,
    so a late job cannot stretch a consent.
    """
    expired = []
    for customer_id, customer in _living(privacy, candidates):
        if customer.merged_into is not None:
            # Its consents are decided, and expire, on the survivor it is merged into.
            continue
        for purpose, changes in sorted(customer.consent_changes.items()):
            if not changes:
                continue
            granted_at, granted = changes[-1]
            ends = expires_at(granted_at, validity_months)
            if not granted or ends > now:
                continue
            provenance = Provenance(
                occurred_at=ends,
                institution=PRIVACY_INSTITUTION,
                channel=PRIVACY_CHANNEL,
                recorded_by=CONSENT_EXPIRY_USER,
                idempotency_key=f"consent-expiry:{purpose}:{granted_at.isoformat()}",
            )
            privacy.crm.execute(
                Command(
                    customer_id,
                    provenance,
                    lambda c, purpose=purpose, provenance=provenance: c.expire_consent(  # type: ignore[misc]
                        provenance, purpose
                    ),
                )
            )
            log.info("consent expiry: %s %s granted %s", customer_id, purpose, granted_at)
            expired.append(ExpiredConsent(customer_id, purpose, granted_at, ends))
    return expired
