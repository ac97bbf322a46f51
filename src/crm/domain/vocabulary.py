"""The provider's vocabulary: the closed sets of values events may carry."""

from __future__ import annotations

from typing import Literal, get_args

CustomerKind = Literal["person", "organisation"]
CustomerType = Literal["private_organisation", "public_organisation", "individual"]
Institution = Literal["TAMK", "TTY", "TaY", "joint"]
Channel = Literal[
    "fair",
    "company_visit",
    "phone",
    "own_event",
    "third_party_event",
    "training",
    "webinar",
    "taster_session",
    "newsletter",
    "email",
    "social_media",
    "chat",
    "web_service",
    "import",
    "other",
]
Purpose = Literal["email_marketing", "newsletter", "phone_marketing", "event_invitations"]
LawfulBasis = Literal["consent", "contract", "legitimate_interest", "legal_obligation"]
OfferingType = Literal[
    "open_training",
    "company_training",
    "coaching",
    "career_guidance",
    "mentoring",
    "consulting",
    "research_service",
]
MembershipTier = Literal["free", "paid"]
EventOrganiser = Literal["own", "third_party"]
EventFormat = Literal[
    "event",
    "seminar",
    "training",
    "taster_session",
    # Held for digimentors through the year (an `event_attended` of one of these formats is
    # a digimentor's attendance).
    "digimentor_workshop",
    "digimentor_seminar",
    "digimentor_company_meeting",
]
CallDirection = Literal["inbound", "outbound"]
TaskKind = Literal["call", "visit", "meeting", "review"]
PartnerBenefit = Literal["programme_discount", "targeted_training", "visibility", "partner_search"]
"""The kinds of benefit a partner tier may include; which tier includes which is catalogue
data (`crm.domain.partner_tier`)."""
Programme = Literal["digi_fellow"]
"""Programmes a partner organisation can belong to."""
ReviewOutcome = Literal["continues", "tier_raised", "tier_lowered", "ending"]
"""What a partner's yearly review concluded about the partnership."""

CUSTOMER_KINDS: tuple[str, ...] = get_args(CustomerKind)
CUSTOMER_TYPES: tuple[str, ...] = get_args(CustomerType)
INSTITUTIONS: tuple[str, ...] = get_args(Institution)
CHANNELS: tuple[str, ...] = get_args(Channel)
PURPOSES: tuple[str, ...] = get_args(Purpose)
LAWFUL_BASES: tuple[str, ...] = get_args(LawfulBasis)
OFFERING_TYPES: tuple[str, ...] = get_args(OfferingType)
MEMBERSHIP_TIERS: tuple[str, ...] = get_args(MembershipTier)
EVENT_ORGANISERS: tuple[str, ...] = get_args(EventOrganiser)
EVENT_FORMATS: tuple[str, ...] = get_args(EventFormat)
DIGIMENTOR_EVENT_FORMATS: tuple[str, ...] = tuple(
    name for name in EVENT_FORMATS if name.startswith("digimentor_")
)
CALL_DIRECTIONS: tuple[str, ...] = get_args(CallDirection)
TASK_KINDS: tuple[str, ...] = get_args(TaskKind)
PARTNER_BENEFITS: tuple[str, ...] = get_args(PartnerBenefit)
PROGRAMMES: tuple[str, ...] = get_args(Programme)
REVIEW_OUTCOMES: tuple[str, ...] = get_args(ReviewOutcome)
