"""Which recorded entries may be retracted (or corrected) and what to do instead for the rest.

A retraction is a compensating event (`EntryRetracted`): the entry stays in the log and on the
timeline, struck through, and no view counts it any more. A correction is a retraction plus
the entry recorded again with the corrected fields, in one command.

Decisions: contacts (visits, calls, events, webinars, feedback, completions, reviews, messages)
may be retracted. A consent given in error may be retracted: consent is then decided as if it
had never been recorded. What carries money or a state of its own may not: a purchase is
corrected by a refund, a lead moves on by its stages (lose it instead), a withdrawal of consent
stands (record a new consent with its evidence), a membership is changed or ended. Profile and
ownership changes are corrected by the next change; tasks are cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm.domain import events as ev

NOT_RETRACTABLE: dict[type[ev.CustomerEvent], str] = {
    ev.PurchaseMade: "a purchase is corrected by a refund",
    ev.PurchaseRefunded: "a refund stands; record the purchase again if it was refunded in error",
    ev.LeadCaptured: "a lead moves on by its stages; record it as lost instead",
    ev.LeadQualified: "a lead moves on by its stages; record it as lost instead",
    ev.LeadConverted: "a lead moves on by its stages; a conversion is corrected by a refund",
    ev.LeadLost: "a lead moves on by its stages; capture a new lead instead",
    ev.ConsentWithdrawn: "a withdrawal stands; record a new consent with its evidence instead",
    ev.PartnerMembershipStarted: "change or end the membership instead",
    ev.PartnerMembershipChanged: "change or end the membership instead",
    ev.PartnerMembershipEnded: "start a new membership instead",
}
"""Touchpoint kinds that may not be retracted, each with what to do instead."""

RETRACTABLE: frozenset[type[ev.Touchpoint]] = frozenset(
    cls for cls in ev.TOUCHPOINT_CLASSES if cls not in NOT_RETRACTABLE
)
RETRACTABLE_KINDS: frozenset[str] = frozenset(cls.kind() for cls in RETRACTABLE)


def why_not_retractable(kind: type[ev.CustomerEvent]) -> str | None:
    """None when an entry of this kind may be retracted, else what to do instead."""
    if kind in RETRACTABLE:
        return None
    return NOT_RETRACTABLE.get(kind, "only a recorded contact can be retracted")


def counted(journey: Sequence[ev.CustomerEvent]) -> list[ev.CustomerEvent]:
    """The journey without the entries retracted in it: what rules read from a journey count."""
    retracted = {e.retracted_version for e in journey if isinstance(e, ev.EntryRetracted)}
    if not retracted:
        return list(journey)
    return [e for e in journey if e.originator_version not in retracted]
