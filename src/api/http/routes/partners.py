"""The partner network: the tier catalogue (everyone reads, admins maintain), benefits used,
a partner's yearly review and the reviews due, and programmes (Digi Fellow)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.http.access_log import AccessLogged
from api.http.auth import current_user, require
from api.http.dependencies import (
    IdempotencyHeader,
    ServicesDep,
    client_key,
    provenance,
    record_keeping_provenance,
    wait_until_visible,
)
from api.http.parameters import After, Offset
from api.http.schemas import RecordedOut
from api.permissions import Permission
from api.services.partner_review import partner_review
from crm.application.users import User
from crm.domain.calendar import HELSINKI
from crm.domain.errors import CustomerNotFoundError, PartnerTierNotFoundError
from crm.domain.partner_tier import MAX_FEE, MAX_NAME_LENGTH, TierTerms, tier_code
from crm.domain.vocabulary import (
    Institution,
    MembershipTier,
    PartnerBenefit,
    Programme,
    ReviewOutcome,
)
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators
from projections.views.offerings import Offerings
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.timeline import Timeline

router = APIRouter(tags=["partners"])
Reader = Annotated[User, Depends(current_user)]
TierMaintainer = Annotated[User, Depends(require(Permission.MANAGE_PARTNER_TIERS))]
Recorder = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]
ReviewReader = Annotated[User, Depends(require(Permission.READ_TIMELINES))]
ProgrammeReader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]
PageLimit = Annotated[int, Query(ge=1, le=200, description="Rows per page.")]
Percent = Annotated[Decimal, Field(gt=0, le=100, max_digits=5, decimal_places=2)]
Notes = Annotated[str, Field(max_length=2000)]


class TierIn(BaseModel):
    """What the catalogue says of a tier: names, yearly fee (EUR), the benefits it includes
    and, with the programme discount, its percentage."""

    model_config = ConfigDict(extra="forbid")
    name_fi: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    name_en: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    annual_fee: Decimal = Field(ge=0, le=MAX_FEE, max_digits=12, decimal_places=2)
    benefits: list[PartnerBenefit] = Field(max_length=10)
    discount_percent: Percent | None = None

    def terms(self) -> TierTerms:
        return TierTerms(
            self.name_fi,
            self.name_en,
            self.annual_fee,
            tuple(self.benefits),
            self.discount_percent,
        )


class NewTierIn(TierIn):
    code: MembershipTier


class TierOut(BaseModel):
    code: str
    name_fi: str
    name_en: str
    annual_fee: Decimal
    benefits: list[str]
    discount_percent: Decimal | None
    changed_at: datetime
    changed_by: str


class TiersOut(BaseModel):
    """Every tier of the catalogue (all of them: there are as many as the vocabulary has)."""

    tiers: list[TierOut]
    total: int


class TierRecordedOut(BaseModel):
    code: str
    position: int | None


class BenefitIn(BaseModel):
    """A benefit of the membership used: a programme discount names the purchase and either
    the amount (EUR) or the percentage; a targeted training names its offering code."""

    model_config = ConfigDict(extra="forbid")
    benefit: PartnerBenefit
    occurred_at: datetime | None = Field(None, description="When it was used (default: now).")
    purchase_id: str | None = Field(None, min_length=1, max_length=500)
    discount_amount: Decimal | None = Field(
        None, gt=0, le=Decimal("100000000"), max_digits=12, decimal_places=2
    )
    discount_percent: Percent | None = None
    offering_code: str | None = Field(None, min_length=1, max_length=40)
    notes: Notes | None = None
    institution: Institution = "joint"


class ReviewIn(BaseModel):
    """A yearly review held: its outcome, the next review's date and notes."""

    model_config = ConfigDict(extra="forbid")
    outcome: ReviewOutcome
    next_review_due: date
    occurred_at: datetime | None = Field(None, description="When it was held (default: now).")
    notes: Notes | None = None
    institution: Institution = "joint"


class ProgrammeJoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    programme: Programme
    occurred_at: datetime | None = None
    notes: Notes | None = None


class ProgrammeLeaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_at: datetime | None = None
    reason: Notes | None = None


class SectionOut(BaseModel):
    section: str
    entries: int
    amount: Decimal
    by_kind: dict[str, int]


class ReviewEntryOut(BaseModel):
    customer_id: UUID
    version: int
    kind: str
    occurred_at: datetime
    offering_code: str | None
    offering_name: str | None
    amount: Decimal | None
    details: dict[str, object]


class BenefitUseOut(BaseModel):
    benefit: str
    uses: int
    discounts: Decimal


class PartnerReviewOut(BaseModel):
    """A partner's review: totals over the whole period [since, until) for the organisation
    and its current people; `entries` holds items `offset + 1` to `offset + len(entries)` of
    `total_entries`, newest first."""

    organisation_id: UUID
    tier: str | None
    member_since: datetime | None
    last_review_at: datetime | None
    last_outcome: str | None
    review_due: date | None
    since: datetime
    since_basis: str
    until: datetime
    people: int
    totals: list[SectionOut]
    benefits: list[BenefitUseOut]
    programmes: list[str]
    entries: list[ReviewEntryOut]
    total_entries: int
    offset: int


class DueReviewOut(BaseModel):
    customer_id: UUID
    name: str | None
    tier: str | None
    member_since: datetime | None
    last_review_at: datetime | None
    review_due: date
    account_manager: str


class DueReviewsOut(BaseModel):
    """Partners due a review within a month or overdue, soonest first: items `offset + 1` to
    `offset + len(partners)` of `total`."""

    partners: list[DueReviewOut]
    total: int
    offset: int


class ProgrammeMemberOut(BaseModel):
    customer_id: UUID
    name: str | None
    since: datetime


class ParticipantOut(BaseModel):
    customer_id: UUID
    name: str | None


class ProgrammeEventOut(BaseModel):
    offering_code: str | None
    name_fi: str | None
    name_en: str | None
    held_on: date
    event_format: str | None
    participants: list[ParticipantOut]


class ProgrammeOut(BaseModel):
    """A programme's member organisations (items `members_offset + 1`... of `members_total`)
    and its events, newest first (items `events_offset + 1`... of `events_total`)."""

    programme: str
    members: list[ProgrammeMemberOut]
    members_total: int
    members_offset: int
    events: list[ProgrammeEventOut]
    events_total: int
    events_offset: int


def _tier_out(row: dict[str, object]) -> TierOut:
    return TierOut.model_validate(row)


@router.get("/partner-tiers")
def list_partner_tiers(services: ServicesDep, user: Reader, after: After = None) -> TiersOut:
    """The partner tiers and the benefits each includes."""
    view = services.views.get(PartnerTiers)
    wait_until_visible(services, [view], after)
    tiers = [_tier_out(dict(row)) for row in view.all()]
    return TiersOut(tiers=tiers, total=len(tiers))


@router.get("/partner-tiers/{code}")
def read_partner_tier(code: str, services: ServicesDep, user: Reader) -> TierOut:
    row = services.views.get(PartnerTiers).get(tier_code(code[:20]))
    if row is None:
        raise PartnerTierNotFoundError(code[:20])
    return _tier_out(dict(row))


@router.post("/partner-tiers", status_code=201)
def add_partner_tier(
    tier: Annotated[NewTierIn, Body()], services: ServicesDep, user: TierMaintainer
) -> TierRecordedOut:
    """Enter a tier in the catalogue (409 if it is there already)."""
    return TierRecordedOut(**vars(services.partners.add_tier(tier.code, tier.terms(), user.name)))


@router.put("/partner-tiers/{code}")
def revise_partner_tier(
    code: str, tier: Annotated[TierIn, Body()], services: ServicesDep, user: TierMaintainer
) -> TierRecordedOut:
    """Change a tier's terms from now on; benefits used earlier were decided by the terms in
    force then."""
    recorded = services.partners.revise_tier(code[:20], tier.terms(), user.name)
    return TierRecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/partner-benefits", status_code=201)
def use_partner_benefit(
    customer_id: UUID,
    use: Annotated[BenefitIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record a membership benefit used (409 when the organisation had no membership whose
    tier included the benefit at that time; 422 naming the field for a bad discount)."""
    request = {"customer_id": str(customer_id), **use.model_dump(mode="json")}
    recorded = services.partners.use_benefit(
        customer_id,
        provenance(
            user,
            occurred_at=use.occurred_at,
            institution=use.institution,
            channel="other",
            idempotency_key=client_key(services, user, idempotency_key, request),
        ),
        benefit=use.benefit,
        purchase_id=use.purchase_id,
        discount_amount=use.discount_amount,
        discount_percent=use.discount_percent,
        offering_code=use.offering_code,
        notes=use.notes,
    )
    return RecordedOut(**vars(recorded))


@router.post("/partners/{organisation_id}/reviews", status_code=201)
def hold_partner_review(
    organisation_id: UUID,
    review: Annotated[ReviewIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record a partner's yearly review: its outcome and the next review's date (after the
    review's day), which the list of reviews due reads."""
    request = {"customer_id": str(organisation_id), **review.model_dump(mode="json")}
    recorded = services.partners.hold_review(
        organisation_id,
        provenance(
            user,
            occurred_at=review.occurred_at,
            institution=review.institution,
            channel="other",
            idempotency_key=client_key(services, user, idempotency_key, request),
        ),
        outcome=review.outcome,
        next_review_due=review.next_review_due,
        notes=review.notes,
    )
    return RecordedOut(**vars(recorded))


@router.get("/partners/due-reviews")
def list_due_reviews(
    services: ServicesDep,
    user: Recorder,
    access: AccessLogged,
    offset: Offset = 0,
    limit: PageLimit = 50,
    after: After = None,
) -> DueReviewsOut:
    """The caller's partners due a review within a month or overdue, soonest first, paged."""
    partners = services.views.get(Partners)
    wait_until_visible(services, [partners], after)
    rows, total = partners.due_reviews(
        services.views.get(CustomerIndicators),
        services.views.get(MergeMap),
        user.name,
        datetime.now(HELSINKI).date(),
        offset=offset,
        limit=limit,
    )
    names = services.views.get(CustomerDirectory).names([row["customer_id"] for row in rows])
    access.record(user, names)
    return DueReviewsOut(
        partners=[
            DueReviewOut(**{**dict(row), "name": names.get(row["customer_id"])}) for row in rows
        ],
        total=total,
        offset=offset,
    )


@router.get("/partners/{organisation_id}/review")
def read_partner_review(
    organisation_id: UUID,
    services: ServicesDep,
    user: ReviewReader,
    access: AccessLogged,
    since: Annotated[
        date | None, Query(description="Start of the period (default: the last review).")
    ] = None,
    offset: Offset = 0,
    limit: PageLimit = 50,
    after: After = None,
) -> PartnerReviewOut:
    """What the partner and its people bought, attended, used and recommended since the last
    review (or `since`), with totals over the whole period and a page of the entries."""
    views = services.views
    wait_until_visible(services, [views.get(Partners), views.get(Timeline)], after)
    if not services.crm.exists(organisation_id):
        raise CustomerNotFoundError(organisation_id)
    start = datetime.combine(since, datetime.min.time(), HELSINKI) if since else None
    review = partner_review(services, organisation_id, since=start, offset=offset, limit=limit)
    access.record(user, review.customer_ids)
    partner = review.partner or {}
    codes = [str(e["details"].get("offering_code")) for e in review.entries]
    names = views.get(Offerings).names([c for c in codes if c != "None"])
    entries = []
    for entry in review.entries:
        details = dict(entry["details"])
        code = details.get("offering_code")
        catalogued = names.get(str(code)) if code else None
        personal = entry["personal"] or {}
        free_text = personal.get("offering") or personal.get("course") or personal.get("title")
        amount = details.get("amount") or details.get("discount_amount")
        entries.append(
            ReviewEntryOut(
                customer_id=entry["customer_id"],
                version=entry["version"],
                kind=entry["kind"],
                occurred_at=entry["occurred_at"],
                offering_code=str(code) if code else None,
                offering_name=catalogued["name_en"] if catalogued else free_text,
                amount=Decimal(str(amount)) if amount is not None else None,
                details={**details, **personal},
            )
        )
    return PartnerReviewOut(
        organisation_id=organisation_id,
        tier=partner.get("tier"),
        member_since=partner.get("member_since"),
        last_review_at=partner.get("last_review_at"),
        last_outcome=partner.get("last_outcome"),
        review_due=partner.get("review_due"),
        since=review.since,
        since_basis=review.since_basis,
        until=review.until,
        people=len(review.people),
        totals=[SectionOut(**vars(total)) for total in review.totals],
        benefits=[BenefitUseOut(**dict(row)) for row in review.benefits],
        programmes=[row["programme"] for row in review.programmes],
        entries=entries,
        total_entries=review.total_entries,
        offset=review.offset,
    )


@router.post("/customers/{customer_id}/programmes", status_code=201)
def join_programme(
    customer_id: UUID,
    join: Annotated[ProgrammeJoinIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record that a partner organisation joined a programme (409 unless it is a partner
    member then and not in the programme already)."""
    request = {"customer_id": str(customer_id), **join.model_dump(mode="json")}
    recorded = services.partners.join_programme(
        customer_id,
        record_keeping_provenance(
            services, user, idempotency_key, request, occurred_at=join.occurred_at
        ),
        join.programme,
        join.notes,
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/programmes/{programme}/departure", status_code=201)
def leave_programme(
    customer_id: UUID,
    programme: Programme,
    leave: Annotated[ProgrammeLeaveIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record that an organisation left a programme (409 if it is not in it)."""
    request = {"customer_id": str(customer_id), "programme": programme}
    request |= leave.model_dump(mode="json")
    recorded = services.partners.leave_programme(
        customer_id,
        record_keeping_provenance(
            services, user, idempotency_key, request, occurred_at=leave.occurred_at
        ),
        programme,
        leave.reason,
    )
    return RecordedOut(**vars(recorded))


@router.get("/programmes/{programme}")
def read_programme(
    programme: Programme,
    services: ServicesDep,
    user: ProgrammeReader,
    access: AccessLogged,
    members_offset: Offset = 0,
    events_offset: Offset = 0,
    limit: PageLimit = 50,
    after: After = None,
) -> ProgrammeOut:
    """A programme's member organisations and its events with the organisations that took
    part, each list paged."""
    partners = services.views.get(Partners)
    wait_until_visible(services, [partners], after)
    directory = services.views.get(CustomerDirectory)
    members, members_total = partners.programme_members(
        programme, directory, offset=members_offset, limit=limit
    )
    events, events_total = partners.programme_events(programme, offset=events_offset, limit=limit)
    taking_part = {c for event in events for c in event["participants"]}
    names = directory.names(list(taking_part))
    access.record(user, [*(m["customer_id"] for m in members), *taking_part])
    catalogue = services.views.get(Offerings).names(
        [e["offering_code"] for e in events if e["offering_code"]]
    )
    return ProgrammeOut(
        programme=programme,
        members=[
            ProgrammeMemberOut(**{k: m[k] for k in ("customer_id", "name", "since")})
            for m in members
        ],
        members_total=members_total,
        members_offset=members_offset,
        events=[
            ProgrammeEventOut(
                offering_code=e["offering_code"],
                name_fi=(catalogue.get(e["offering_code"]) or {}).get("name_fi"),
                name_en=(catalogue.get(e["offering_code"]) or {}).get("name_en"),
                held_on=e["held_on"],
                event_format=e["event_format"],
                participants=[
                    ParticipantOut(customer_id=c, name=names.get(c)) for c in e["participants"]
                ],
            )
            for e in events
        ],
        events_total=events_total,
        events_offset=events_offset,
    )
