"""What the e-mail tool reports back: unsubscribes and bounces become events.

The e-mail tool that sends campaigns and newsletters learns things the CRM must know: a
person unsubscribed (a withdrawal of the consent the list was sent under) or an address
bounced (it cannot be delivered to). They arrive as a file the tool exports (CSV, any
encoding or separator the imports read, or `.xlsx`) or one by one from a signed webhook; both
become the same feedback entries and the same events:

- **unsubscribed**: `newsletter_unsubscribed` from the list, and `consent_withdrawn` for the
  purpose the tool sends under (newsletter unless configured otherwise) when that consent was
  in force at the time, with the tool as evidence;
- **bounced** (a hard bounce; Mailchimp calls the address "cleaned"):
  `newsletter_unsubscribed` with the bounce as its note. A bounce is not the person's
  decision, so their consent stays as it is; a soft bounce (temporary) changes nothing.

Only known customers are changed: an address that matches no customer is reported, never
registered. Each entry's events carry idempotency keys derived from what the entry says, so
the same file or a webhook delivered twice stores nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import IO, Literal, get_args
from uuid import UUID

from crm.application.crm import CRM
from crm.application.import_formats import ReportOptions, RowError, open_import
from crm.application.imports import key_content, parse_time
from crm.domain.calendar import HELSINKI
from crm.domain.customer import Provenance
from crm.domain.errors import CRMError, InvalidFieldError
from crm.domain.identity import normalise_email

FeedbackKind = Literal["unsubscribed", "bounced", "soft_bounced"]
FEEDBACK_KINDS: tuple[str, ...] = get_args(FeedbackKind)
DEFAULT_LIST = "newsletter"
MAX_TEXT = 500

KIND_WORDS: dict[str, FeedbackKind] = {
    "unsubscribed": "unsubscribed",
    "unsubscribe": "unsubscribed",
    "unsub": "unsubscribed",
    "optout": "unsubscribed",
    "opt-out": "unsubscribed",
    "opted_out": "unsubscribed",
    "bounced": "bounced",
    "bounce": "bounced",
    "hard_bounce": "bounced",
    "hardbounce": "bounced",
    "hard": "bounced",
    "cleaned": "bounced",
    "soft_bounce": "soft_bounced",
    "softbounce": "soft_bounced",
    "soft_bounced": "soft_bounced",
    "soft": "soft_bounced",
}
"""How e-mail tools name what happened (lower-case), as this module's kinds."""

COLUMNS: dict[str, str] = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "sähköposti": "email",
    "event": "kind",
    "type": "kind",
    "status": "kind",
    "kind": "kind",
    "occurred_at": "occurred_at",
    "timestamp": "occurred_at",
    "time": "occurred_at",
    "date": "occurred_at",
    "unsub_time": "occurred_at",
    "clean_time": "occurred_at",
    "bounce_time": "occurred_at",
    "list": "list",
    "list name": "list",
    "audience": "list",
    "newsletter": "list",
    "reason": "reason",
    "unsub_reason": "reason",
    "bounce_reason": "reason",
    "diagnostic": "reason",
}
"""Column names of the tools' exports (matched case-insensitively) and what they hold."""


@dataclass(frozen=True)
class MailFeedback:
    """One thing the e-mail tool reports about one address."""

    email: str
    kind: FeedbackKind
    occurred_at: datetime
    list_name: str = DEFAULT_LIST
    reason: str | None = None


@dataclass
class FeedbackReport:
    """What became of the entries: counted, with the problems by line (never the address)."""

    entries: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    consents_withdrawn: int = 0
    ignored: int = 0
    """Soft bounces: nothing to change."""
    duplicates: int = 0
    unknown: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    """Log positions of the events recorded, for read-your-writes."""


def feedback_kind(text: str, field_name: str = "kind") -> FeedbackKind:
    """The kind an e-mail tool's word means; InvalidFieldError if it is none of them."""
    found = KIND_WORDS.get(text.strip().lower().replace(" ", "_"))
    if found is None:
        raise InvalidFieldError(field_name, "is not unsubscribed, bounced or soft_bounced")
    return found


def feedback_of(
    values: dict[str, str],
    *,
    default_kind: FeedbackKind | None,
    received_at: datetime,
    time_zone: tzinfo = HELSINKI,
) -> MailFeedback:
    """An entry from one row's columns (already named as in `COLUMNS`)."""
    email = values.get("email", "").strip()
    if not email:
        raise InvalidFieldError("email", "is required")
    if "kind" in values and values["kind"].strip():
        kind = feedback_kind(values["kind"])
    elif default_kind is not None:
        kind = default_kind
    else:
        raise InvalidFieldError("kind", "is required (unsubscribed, bounced or soft_bounced)")
    when = values.get("occurred_at", "").strip()
    occurred_at = parse_time(when, zone=time_zone) if when else received_at
    for name in ("list", "reason"):
        if len(values.get(name, "")) > MAX_TEXT:
            raise InvalidFieldError(name, f"is longer than {MAX_TEXT} characters")
    return MailFeedback(
        email=normalise_email(email),
        kind=kind,
        occurred_at=occurred_at,
        list_name=values.get("list", "").strip() or DEFAULT_LIST,
        reason=values.get("reason", "").strip() or None,
    )


def read_feedback_file(
    stream: IO[bytes],
    *,
    default_kind: FeedbackKind | None,
    received_at: datetime,
    options: ReportOptions,
) -> Iterator[tuple[int, MailFeedback | RowError]]:
    """The entries of an e-mail tool's export, by line; a bad row is a row error."""
    opened = open_import(stream, mapping="native", options=options)
    for line, raw in opened.rows:
        if isinstance(raw, RowError):
            yield line, raw
            continue
        values = {
            COLUMNS[column.strip().lower()]: text or ""
            for column, text in raw.items()
            if column is not None and column.strip().lower() in COLUMNS
        }
        if any("\0" in text for text in values.values()):
            yield line, RowError(line, "row", "contains a NUL character")
            continue
        try:
            yield (
                line,
                feedback_of(
                    values,
                    default_kind=default_kind,
                    received_at=received_at,
                    time_zone=options.time_zone,
                ),
            )
        except InvalidFieldError as error:
            yield line, RowError(line, error.field, error.problem)


def _key(entry: MailFeedback, part: str) -> str:
    content = key_content(
        [entry.email, entry.kind, entry.occurred_at.isoformat(), entry.list_name, part]
    )
    return "mail-feedback:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def record_feedback(
    crm: CRM,
    entries: Iterable[tuple[int, MailFeedback | RowError]],
    *,
    recorded_by: str,
    purpose: str,
) -> FeedbackReport:
    """Record every entry as events of the customer its address belongs to."""
    report = FeedbackReport()
    for line, entry in entries:
        report.entries += 1
        if isinstance(entry, RowError):
            report.invalid += 1
            report.errors.append(entry)
            continue
        if entry.kind == "soft_bounced":
            report.ignored += 1
            continue
        customer_id = crm.find_by_email(entry.email)
        if customer_id is None:
            report.unknown += 1
            report.errors.append(RowError(line, "email", "belongs to no customer"))
            continue
        try:
            _record(crm, customer_id, entry, recorded_by, purpose, report)
        except CRMError as error:
            report.invalid += 1
            where = error.field if isinstance(error, InvalidFieldError) else "kind"
            report.errors.append(RowError(line, where, str(error)))
    return report


def _record(
    crm: CRM,
    customer_id: UUID,
    entry: MailFeedback,
    recorded_by: str,
    purpose: str,
    report: FeedbackReport,
) -> None:
    def provenance(part: str) -> Provenance:
        return Provenance(
            occurred_at=entry.occurred_at,
            institution="joint",
            channel="newsletter",
            recorded_by=recorded_by,
            idempotency_key=_key(entry, part),
        )

    bounce = f"address bounced: {entry.reason}" if entry.reason else "address bounced"
    notes = bounce if entry.kind == "bounced" else entry.reason
    left = crm.record_touchpoint(
        customer_id,
        provenance("list"),
        "newsletter_unsubscribed",
        {"newsletter": entry.list_name, "notes": notes},
    )
    if left.duplicate:
        report.duplicates += 1
    else:
        report.positions.append(left.position or 0)
        if entry.kind == "bounced":
            report.bounced += 1
        else:
            report.unsubscribed += 1
    if entry.kind != "unsubscribed":
        return
    customer = crm.get_customer(customer_id)
    key = _key(entry, "consent")
    if customer.version_for(key) is None and not customer.has_consent(purpose, entry.occurred_at):
        return
    withdrawn = crm.record_touchpoint(
        customer_id,
        provenance("consent"),
        "consent_withdrawn",
        {
            "purpose": purpose,
            "evidence": f"unsubscribed in the e-mail tool from {entry.list_name}",
            "notes": entry.reason,
        },
    )
    if not withdrawn.duplicate:
        report.consents_withdrawn += 1
        report.positions.append(withdrawn.position or 0)
