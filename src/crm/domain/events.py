"""The customer journey as immutable facts: every event a `Customer` can record.

Event classes are stored by topic (module path and class name) with every event, so this
module's names are part of the stored format: rename a class only with a registered old topic.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")
"""Fields the library puts on every event (the topic on creation events only)."""
PROVENANCE_FIELDS = ("occurred_at", "institution", "channel", "recorded_by", "idempotency_key")
"""Fields every customer event carries: when, where, by whom, under which idempotency key."""
CLEAR_REASONS = ("vocabulary", "catalogue", "system")
"""Why a field may be stored in clear: its values come from a closed vocabulary
(`crm.domain.vocabulary`), from a catalogue the provider maintains, or from the system itself
(ids it generates, amounts, dates, staff user names, keyed hashes). Everything else a user or
a client can type is personal by default."""


def clear(**reasons: str) -> Mapping[str, str]:
    """A `clear_fields` declaration: field name -> why it may be stored in clear."""
    unknown = set(reasons.values()) - set(CLEAR_REASONS)
    if unknown:
        raise ValueError(f"not a reason to store a field in clear: {sorted(unknown)}")
    return MappingProxyType(reasons)


@dataclass(frozen=True)
class EventField:
    """One field of an event class: its name, resolved type and where it comes from."""

    name: str
    annotation: Any
    required: bool
    """False when the field may hold None."""
    personal: bool
    """True when the value is sealed with the customer's data key (`personal_fields` and
    `hashed_fields` alike)."""
    hashed: bool
    """True when a keyed hash of the value is also stored in clear, for equality only."""
    clear_reason: str | None
    """Why the field is stored in clear (one of CLEAR_REASONS), None when it is personal."""
    role: str
    """"envelope" (the library's), "provenance" (every customer event's) or "own"."""


class CustomerEvent(Aggregate.Event):
    """A fact about one customer, with its business time and who recorded it."""

    occurred_at: datetime
    institution: str
    channel: str
    recorded_by: str
    idempotency_key: str

    personal_fields: ClassVar[tuple[str, ...]] = ()
    """Fields holding personal data: stored encrypted with the customer's own data key."""
    hashed_fields: ClassVar[tuple[str, ...]] = ()
    """Client-chosen values that rules and views compare (lead and purchase ids): sealed like
    personal fields, and stored in clear only as a keyed hash under the customer's data key,
    so equality survives while the value itself is erased with the key."""
    clear_fields: ClassVar[Mapping[str, str]] = clear(
        occurred_at="system",
        institution="vocabulary",
        channel="vocabulary",
        # Staff user names, and idempotency keys as the system stores them: a keyed hash of
        # the client's key scoped to its caller (`crm.domain.idempotency`) or a key the
        # system derives itself (imports, retention, erasure).
        recorded_by="system",
        idempotency_key="system",
    )
    """Fields stored in clear, each with its reason (one of CLEAR_REASONS). A subclass
    declares its own fields; the declarations of its bases still hold."""

    def apply(self, aggregate: Any) -> None:
        aggregate.apply_event(self)

    @classmethod
    @functools.cache
    def kind(cls) -> str:
        """The snake_case name clients use for this kind (`FairVisited` is `fair_visited`)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    @classmethod
    @functools.cache
    def clear_reasons(cls) -> dict[str, str]:
        """Every field this kind stores in clear with its reason, bases' declarations included."""
        reasons: dict[str, str] = {}
        for base in reversed(cls.__mro__):
            reasons.update(vars(base).get("clear_fields", {}))
        return reasons

    @classmethod
    @functools.cache
    def fields(cls) -> tuple[EventField, ...]:
        """Every field of this kind in declaration order; resolving type hints is slow, so once."""
        hints = typing.get_type_hints(cls)
        reasons = cls.clear_reasons()
        return tuple(
            EventField(
                name=f.name,
                annotation=hints[f.name],
                required=type(None) not in typing.get_args(hints[f.name]),
                personal=f.name in cls.personal_fields or f.name in cls.hashed_fields,
                hashed=f.name in cls.hashed_fields,
                clear_reason=reasons.get(f.name),
                role="envelope"
                if f.name in ENVELOPE_FIELDS
                else "provenance"
                if f.name in PROVENANCE_FIELDS
                else "own",
            )
            for f in dataclasses.fields(cls)
        )

    @classmethod
    @functools.cache
    def own_fields(cls) -> tuple[EventField, ...]:
        """The fields particular to this kind: all but the envelope and the provenance."""
        return tuple(field for field in cls.fields() if field.role == "own")


class Registered(Aggregate.Created, CustomerEvent):
    """A person or organisation became known to the provider."""

    customer_kind: str
    customer_type: str
    name: str | None
    email: str | None
    phone: str | None
    sector: str | None
    account_manager: str | None

    personal_fields = ("name", "email", "phone")
    clear_fields = clear(
        customer_kind="vocabulary",
        customer_type="vocabulary",
        # The sector segments select organisations by, kept in clear as the provider's
        # sector list; nothing closes that list yet, so a typed sector is not erased.
        sector="catalogue",
        account_manager="system",
    )


class ProfileCorrected(CustomerEvent):
    """Contact details were corrected (GDPR rectification or a simple change)."""

    name: str | None
    email: str | None
    phone: str | None
    sector: str | None

    personal_fields = ("name", "email", "phone")
    clear_fields = clear(sector="catalogue")


class AccountManagerAssigned(CustomerEvent):
    """A named account manager became the customer's one point of contact."""

    account_manager: str

    clear_fields = clear(account_manager="system")


class AffiliationStarted(CustomerEvent):
    """A person started to act for an organisation (employee, contact person)."""

    organisation_id: UUID
    role: str | None

    personal_fields = ("role",)
    clear_fields = clear(organisation_id="system")


class AffiliationEnded(CustomerEvent):
    """A person stopped acting for an organisation."""

    organisation_id: UUID

    clear_fields = clear(organisation_id="system")


class DigimentorNamed(CustomerEvent):
    """A person was named digimentor for an organisation they act for: the named contact
    who wakes colleagues up to digital business opportunities. Who named them and when are
    the event's `recorded_by` and `occurred_at`."""

    organisation_id: UUID

    clear_fields = clear(organisation_id="system")


class DigimentorRoleEnded(CustomerEvent):
    """A person stopped being digimentor for an organisation."""

    organisation_id: UUID

    clear_fields = clear(organisation_id="system")


DIGIMENTOR_CLASSES: tuple[type[CustomerEvent], ...] = (DigimentorNamed, DigimentorRoleEnded)


class ConsentExpired(CustomerEvent):
    """A consent lapsed because it was older than the retention period allows."""

    purpose: str

    clear_fields = clear(purpose="vocabulary")


class Erased(CustomerEvent):
    """The customer's personal data was destroyed; the customer accepts no new events."""

    reason: str

    # Sealed with the key the erasure destroys: the erasure register keeps the request.
    personal_fields = ("reason",)


class MergedInto(CustomerEvent):
    """This record duplicated another customer and was merged into it (the survivor); it
    accepts no new events until the merge is undone. Its events stay on its own stream,
    sealed with its own key."""

    survivor_id: UUID
    reason: str

    personal_fields = ("reason",)
    clear_fields = clear(survivor_id="system")


class Absorbed(CustomerEvent):
    """A duplicate record (the absorbed customer) was merged into this customer, which takes
    the profile values chosen for it. A value chosen from the absorbed record is copied here,
    under this customer's key: this event is the record of that copy."""

    absorbed_id: UUID
    name: str | None
    email: str | None
    phone: str | None
    sector: str | None
    reason: str
    absorbed_consents: tuple[tuple[str, str, str], ...]
    """The absorbed record's consent changes, each (purpose, ISO time, "given" or
    "withdrawn"): the survivor's consent rule counts them while merged, so a withdrawal on
    either record keeps its effect."""

    personal_fields = ("name", "email", "phone", "reason")
    clear_fields = clear(absorbed_id="system", sector="catalogue", absorbed_consents="system")

    def __post_init__(self) -> None:
        # Stored as JSON lists; kept as tuples so the event stays immutable.
        changes = tuple(tuple(change) for change in self.absorbed_consents)
        object.__setattr__(self, "absorbed_consents", changes)


class MergeUndone(CustomerEvent):
    """A merge was undone: the two customers stand apart again. On the survivor it carries
    the profile values it returns to (those before the merge, where not corrected since)."""

    other_id: UUID
    name: str | None
    email: str | None
    phone: str | None
    sector: str | None
    reason: str

    personal_fields = ("name", "email", "phone", "reason")
    clear_fields = clear(other_id="system", sector="catalogue")


MERGE_CLASSES = (MergedInto, Absorbed, MergeUndone)


class ProcessingRestricted(CustomerEvent):
    """Processing was restricted (GDPR art. 18): no marketing and no segments until lifted.

    The reason names the ground (e.g. "accuracy contested"); typed by staff, so personal.
    """

    reason: str

    personal_fields = ("reason",)


class RestrictionLifted(CustomerEvent):
    """A restriction of processing ended; marketing under valid consents may resume."""

    reason: str

    personal_fields = ("reason",)


class Touchpoint(CustomerEvent):
    """A contact between the customer and the provider ("asiakaskohtaaminen")."""

    notes: str | None

    personal_fields: ClassVar[tuple[str, ...]] = ("notes",)
    marketing_purpose_field: ClassVar[str | None] = None
    """The field naming the consent purpose a marketing contact of this kind needs."""
    fixed_marketing_purpose: ClassVar[str | None] = None
    """The consent purpose every contact of this kind needs."""

    @classmethod
    def required_consent(cls, fields: Mapping[str, Any]) -> str | None:
        """The consent purpose a contact with these fields needs, or None if not marketing."""
        if cls.fixed_marketing_purpose is not None:
            return cls.fixed_marketing_purpose
        if cls.marketing_purpose_field is not None:
            purpose = fields.get(cls.marketing_purpose_field)
            return str(purpose) if purpose is not None else None
        return None


class FairVisited(Touchpoint):
    """The customer visited the provider's stand at a fair."""

    fair_name: str

    personal_fields = ("notes", "fair_name")


class WebinarRegistered(Touchpoint):
    """The customer registered for a webinar."""

    webinar_id: str
    title: str
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""

    personal_fields = ("notes", "title")
    hashed_fields = ("webinar_id",)
    clear_fields = clear(offering_code="catalogue")


class WebinarAttended(Touchpoint):
    """The customer attended a webinar."""

    webinar_id: str
    title: str
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""

    personal_fields = ("notes", "title")
    hashed_fields = ("webinar_id",)
    clear_fields = clear(offering_code="catalogue")


class EventAttended(Touchpoint):
    """The customer attended an event, seminar, training or taster session."""

    event_name: str
    organiser: str
    event_format: str
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""
    programme: str | None = None
    """The programme the event was held for (`crm.domain.vocabulary.Programme`), if any: an
    event of the Digi Fellow programme, attended by a member organisation."""

    personal_fields = ("notes", "event_name")
    clear_fields = clear(
        offering_code="catalogue",
        organiser="vocabulary",
        event_format="vocabulary",
        programme="vocabulary",
    )


class CompanyVisited(Touchpoint):
    """The provider visited the customer's organisation."""

    topic: str

    personal_fields = ("notes", "topic")


class PhoneCallMade(Touchpoint):
    """A phone call with the customer; a marketing call names its consent purpose."""

    direction: str
    topic: str
    marketing_purpose: str | None

    personal_fields = ("notes", "topic")
    clear_fields = clear(direction="vocabulary", marketing_purpose="vocabulary")
    marketing_purpose_field = "marketing_purpose"


class MarketingEmailSent(Touchpoint):
    """A marketing e-mail was sent under a consent purpose."""

    purpose: str
    campaign: str

    personal_fields = ("notes", "campaign")
    clear_fields = clear(purpose="vocabulary")
    marketing_purpose_field = "purpose"


class NewsletterSent(Touchpoint):
    """A newsletter was sent (needs newsletter consent)."""

    newsletter: str

    personal_fields = ("notes", "newsletter")
    fixed_marketing_purpose = "newsletter"


class NewsletterSubscribed(Touchpoint):
    """The customer subscribed to a newsletter."""

    newsletter: str

    personal_fields = ("notes", "newsletter")


class NewsletterUnsubscribed(Touchpoint):
    """The customer unsubscribed from a newsletter."""

    newsletter: str

    personal_fields = ("notes", "newsletter")


class ChatConversationHeld(Touchpoint):
    """A chat conversation with the customer."""

    topic: str

    personal_fields = ("notes", "topic")


class WebServiceVisited(Touchpoint):
    """The customer visited the joint web service."""

    page: str

    personal_fields = ("notes", "page")


class SocialMediaInteracted(Touchpoint):
    """The customer interacted with the provider on social media."""

    platform: str
    interaction: str

    personal_fields = ("notes", "platform", "interaction")


class LeadCaptured(Touchpoint):
    """A lead was found for a target group through a source channel."""

    lead_id: str
    source_channel: str
    target_group: str
    interest: str | None

    personal_fields = ("notes", "target_group", "interest")
    hashed_fields = ("lead_id",)
    clear_fields = clear(source_channel="vocabulary")


class LeadQualified(Touchpoint):
    """A captured lead was qualified."""

    lead_id: str

    hashed_fields = ("lead_id",)


class LeadConverted(Touchpoint):
    """A qualified lead became a purchase."""

    lead_id: str
    purchase_id: str | None

    hashed_fields = ("lead_id", "purchase_id")


class LeadLost(Touchpoint):
    """A lead was lost, with the reason."""

    lead_id: str
    reason: str

    personal_fields = ("notes", "reason")
    hashed_fields = ("lead_id",)


class PurchaseMade(Touchpoint):
    """The customer bought an offering (amount in EUR)."""

    purchase_id: str
    offering: str
    offering_type: str
    amount: Decimal
    invoice_reference: str | None
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""

    # An invoice reference finds the person in the billing system.
    personal_fields = ("notes", "offering", "invoice_reference")
    hashed_fields = ("purchase_id",)
    clear_fields = clear(offering_code="catalogue", offering_type="vocabulary", amount="system")


class PurchaseRefunded(Touchpoint):
    """Part or all of a purchase was refunded (amount in EUR)."""

    purchase_id: str
    amount: Decimal
    reason: str

    personal_fields = ("notes", "reason")
    hashed_fields = ("purchase_id",)
    clear_fields = clear(amount="system")


class FeedbackGiven(Touchpoint):
    """The customer gave feedback: a 0-10 score and free text."""

    score: int
    comment: str | None
    offering: str | None
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""

    personal_fields = ("notes", "comment", "offering")
    clear_fields = clear(offering_code="catalogue", score="system")


class ConsentGiven(Touchpoint):
    """The customer consented to a purpose, with the evidence."""

    purpose: str
    lawful_basis: str
    evidence: str

    personal_fields = ("notes", "evidence")
    clear_fields = clear(purpose="vocabulary", lawful_basis="vocabulary")


class ConsentWithdrawn(Touchpoint):
    """The customer withdrew a consent."""

    purpose: str
    evidence: str

    personal_fields = ("notes", "evidence")
    clear_fields = clear(purpose="vocabulary")


class PartnerMembershipStarted(Touchpoint):
    """The organisation joined the enriching community as a partner."""

    tier: str

    clear_fields = clear(tier="vocabulary")


class PartnerMembershipChanged(Touchpoint):
    """A partner membership changed tier."""

    tier: str

    clear_fields = clear(tier="vocabulary")


class PartnerMembershipEnded(Touchpoint):
    """A partner membership ended."""

    reason: str

    personal_fields = ("notes", "reason")


class AnnualReviewHeld(Touchpoint):
    """A partner's yearly review (vuositarkastus ja vuosihuolto) was held: what it concluded
    and when the next one is due."""

    next_review_due: date | None
    outcome: str | None = None
    """What the review concluded (`crm.domain.vocabulary.ReviewOutcome`); reviews recorded
    before outcomes were asked for have none."""

    clear_fields = clear(next_review_due="system", outcome="vocabulary")


class CourseCompleted(Touchpoint):
    """The learner completed a course (a completion record)."""

    course: str
    credits: Decimal
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""
    grade: str | None = None
    """The grade where the course gives one ("5", "hyväksytty"): the learner's, so personal."""

    personal_fields = ("notes", "course", "grade")
    clear_fields = clear(offering_code="catalogue", credits="system")


class RecommendationGiven(Touchpoint):
    """The customer recommended an offering."""

    offering: str
    offering_code: str | None = None
    """The offering's code in the provider's catalogue (`crm.domain.offering`), when known;
    the free-text name stays for legacy entries and imports."""

    personal_fields = ("notes", "offering")
    clear_fields = clear(offering_code="catalogue")


class TaskPlanned(CustomerEvent):
    """A call, visit, meeting or review was planned with the customer, due on a day."""

    task_id: str
    """Generated by the system (a uuid4 hex), never typed by a user."""
    task_kind: str
    due_on: date
    owner: str
    title: str
    notes: str | None

    personal_fields = ("title", "notes")
    clear_fields = clear(task_id="system", task_kind="vocabulary", due_on="system", owner="system")


class TaskCompleted(CustomerEvent):
    """A planned task was done; `entry_version` is the touchpoint recorded for it."""

    task_id: str
    entry_version: int

    clear_fields = clear(task_id="system", entry_version="system")


class TaskCancelled(CustomerEvent):
    """A planned task will not be done."""

    task_id: str
    reason: str | None

    personal_fields = ("reason",)
    clear_fields = clear(task_id="system")


class EntryRetracted(CustomerEvent):
    """An entry recorded in error no longer counts; `replaced_by` is the corrected entry's
    version when the retraction is part of a correction."""

    retracted_version: int
    retracted_kind: str
    reason: str
    replaced_by: int | None

    personal_fields = ("reason",)
    clear_fields = clear(retracted_version="system", retracted_kind="system", replaced_by="system")


class PurchaseInvoiced(CustomerEvent):
    """A purchase was invoiced: the invoice's number, date, due date and amount (EUR)."""

    purchase_id: str
    invoice_number: str
    invoice_date: date
    due_date: date
    amount: Decimal

    # An invoice number finds the person in the accounting system: sealed, and compared by
    # its keyed hash.
    hashed_fields = ("purchase_id", "invoice_number")
    clear_fields = clear(invoice_date="system", due_date="system", amount="system")


class InvoicePaid(CustomerEvent):
    """A payment was received against an invoice (EUR)."""

    invoice_number: str
    paid_on: date
    amount: Decimal

    hashed_fields = ("invoice_number",)
    clear_fields = clear(paid_on="system", amount="system")


class InvoiceCredited(CustomerEvent):
    """Part or all of an invoice was credited (a credit note, EUR), with the reason."""

    invoice_number: str
    credited_on: date
    amount: Decimal
    reason: str

    personal_fields = ("reason",)
    hashed_fields = ("invoice_number",)
    clear_fields = clear(credited_on="system", amount="system")


class PartnerBenefitUsed(CustomerEvent):
    """A partner organisation used a benefit its membership tier includes: a discount applied
    to one of its purchases, a targeted training attended, its visibility or the partner
    search. `tier` is the tier the benefit came with at the time."""

    benefit: str
    tier: str
    purchase_id: str | None
    """The purchase a discount was applied to (a discount names one)."""
    discount_amount: Decimal | None
    """The discount in EUR, when given as an amount."""
    discount_percent: Decimal | None
    """The discount as a percentage of the purchase, when given so."""
    offering_code: str | None
    """The training attended (a targeted training names the catalogue's entry)."""
    notes: str | None

    personal_fields = ("notes",)
    hashed_fields = ("purchase_id",)
    clear_fields = clear(
        benefit="vocabulary",
        tier="vocabulary",
        discount_amount="system",
        discount_percent="system",
        offering_code="catalogue",
    )


class ProgrammeJoined(CustomerEvent):
    """A partner organisation joined a programme (Digi Fellow)."""

    programme: str
    notes: str | None

    personal_fields = ("notes",)
    clear_fields = clear(programme="vocabulary")


class ProgrammeLeft(CustomerEvent):
    """An organisation left a programme, with the reason where one was given."""

    programme: str
    reason: str | None

    personal_fields = ("reason",)
    clear_fields = clear(programme="vocabulary")


PARTNER_CLASSES: tuple[type[CustomerEvent], ...] = (
    PartnerBenefitUsed,
    ProgrammeJoined,
    ProgrammeLeft,
)


FINANCE_CLASSES: tuple[type[CustomerEvent], ...] = (
    PurchaseInvoiced,
    InvoicePaid,
    InvoiceCredited,
)


TOUCHPOINT_CLASSES: tuple[type[Touchpoint], ...] = (
    FairVisited,
    WebinarRegistered,
    WebinarAttended,
    EventAttended,
    CompanyVisited,
    PhoneCallMade,
    MarketingEmailSent,
    NewsletterSent,
    NewsletterSubscribed,
    NewsletterUnsubscribed,
    ChatConversationHeld,
    WebServiceVisited,
    SocialMediaInteracted,
    LeadCaptured,
    LeadQualified,
    LeadConverted,
    LeadLost,
    PurchaseMade,
    PurchaseRefunded,
    FeedbackGiven,
    ConsentGiven,
    ConsentWithdrawn,
    PartnerMembershipStarted,
    PartnerMembershipChanged,
    PartnerMembershipEnded,
    AnnualReviewHeld,
    CourseCompleted,
    RecommendationGiven,
)
TOUCHPOINT_KINDS: dict[str, type[Touchpoint]] = {cls.kind(): cls for cls in TOUCHPOINT_CLASSES}
CUSTOMER_EVENT_CLASSES: tuple[type[CustomerEvent], ...] = (
    Registered,
    ProfileCorrected,
    AccountManagerAssigned,
    AffiliationStarted,
    AffiliationEnded,
    *DIGIMENTOR_CLASSES,
    ConsentExpired,
    Erased,
    ProcessingRestricted,
    RestrictionLifted,
    MergedInto,
    Absorbed,
    MergeUndone,
    *TOUCHPOINT_CLASSES,
    TaskPlanned,
    TaskCompleted,
    TaskCancelled,
    EntryRetracted,
    *FINANCE_CLASSES,
    *PARTNER_CLASSES,
)
TASK_CLASSES: tuple[type[CustomerEvent], ...] = (TaskPlanned, TaskCompleted, TaskCancelled)

STORED_EVENTS_MODULE = "crm.events"
"""The module name in every stored event's topic. Topics are part of the stored format, so
each class declares its topic (`TOPIC`, read by the library's `get_topic`) instead of deriving
it from where the class lives in the source tree; moving this module changes nothing stored."""


def _declare_topics() -> None:
    for cls in CUSTOMER_EVENT_CLASSES:
        cls.TOPIC = f"{STORED_EVENTS_MODULE}:{cls.__qualname__}"  # type: ignore[attr-defined]
        register_topic(cls.TOPIC, cls)  # type: ignore[attr-defined]


_declare_topics()
