"""The partner network's pages: a partner's yearly review (what it bought, attended, used and
recommended since the last review, and the form that records the review), the benefit and
programme forms of the organisation page, the tier catalogue and the Digi Fellow programme.
Every write is the same command as through the API, validated by the API's own models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.http.routes.partners import (
    BenefitIn,
    NewTierIn,
    ProgrammeJoinIn,
    ProgrammeLeaveIn,
    ReviewIn,
    TierIn,
)
from api.permissions import Permission, can
from api.services.partner_review import SECTIONS, partner_review
from api.web.customers import customer_page_with
from api.web.forms import (
    domain_field_error,
    field_problems,
    form_key,
    parse_local_date,
    parse_local_datetime,
    refusal_text,
)
from api.web.paging import list_page, offset_of
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.crm import Recorded
from crm.application.users import User
from crm.domain.calendar import HELSINKI
from crm.domain.errors import (
    CustomerNotFoundError,
    InvalidFieldError,
    RuleViolationError,
)
from crm.domain.vocabulary import MEMBERSHIP_TIERS, PARTNER_BENEFITS, PROGRAMMES, REVIEW_OUTCOMES
from projections.views.directory import CustomerDirectory
from projections.views.offerings import Offerings
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
ENTRIES_PAGE = 50
PROGRAMME_PAGE = 50
DECIMALS = ("discount_amount", "discount_percent", "annual_fee")
DATES = ("next_review_due",)
MOMENTS = ("occurred_at",)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _form(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}


def _parsed(
    form: dict[str, str], fields: tuple[str, ...], problems: dict[str, str], language: str
) -> dict[str, Any]:
    """The form's fields as the API's model takes them: Finnish dates and times and decimal
    commas read, empty fields left out; what cannot be read goes into `problems`."""
    data: dict[str, Any] = {}
    for name in fields:
        text = form.get(name, "")
        if not text:
            continue
        try:
            if name in MOMENTS:
                data[name] = parse_local_datetime(text).isoformat()
            elif name in DATES:
                data[name] = parse_local_date(text).isoformat()
            elif name in DECIMALS:
                data[name] = text.replace(" ", "").replace("\u00a0", "").replace(",", ".")
            else:
                data[name] = text
        except ValueError:
            kind = "date_parsing" if name in DATES else "datetime_parsing"
            problems.update(field_problems(language, [{"loc": (name,), "type": kind}]))
    return data


M = TypeVar("M", bound=BaseModel)


def _validated(
    model: type[M], data: dict[str, Any], problems: dict[str, str], language: str
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for name, text in field_problems(language, error.errors()).items():
            problems.setdefault(name, text)
        return None


def _by(services: Services, user: User, form: dict[str, str], when: str | None) -> Any:
    return provenance(
        user,
        occurred_at=datetime.fromisoformat(when) if when else None,
        institution="joint",
        channel="other",
        idempotency_key=form_key(services, user, form),
    )


def _visible(services: Services, recorded: Recorded) -> None:
    for view in (Partners, Timeline):
        services.views.get(view).wait_for(recorded.position, services.settings.read_wait_timeout)


# The yearly review ----------------------------------------------------------------------


@router.get("/partners/{organisation_id}/review")
def review_page(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    organisation_id: str,
    since: str = "",
    offset: str = "",
) -> HTMLResponse:
    """A partner's yearly review: the period's totals and entries, and the review form."""
    return _review_page(request, user, access, organisation_id, since, offset)


@router.post("/partners/{organisation_id}/review")
async def record_review(
    request: Request, user: SignedIn, access: AccessLogged, organisation_id: str
) -> Response:
    """Record the review's outcome and the next review's date from the form."""
    services = _services(request)
    language = language_of(request)
    form = await _form(request)
    problems: dict[str, str] = {}
    data = _parsed(form, ("outcome", "next_review_due", "occurred_at", "notes"), problems, language)
    review = _validated(ReviewIn, data, problems, language)
    if review is None or problems:
        return _review_page(request, user, access, organisation_id, "", "",
                            form=form, problems=problems, status=422)  # fmt: skip
    try:
        recorded = services.partners.hold_review(
            UUID(organisation_id),
            _by(services, user, form, data.get("occurred_at")),
            outcome=review.outcome,
            next_review_due=review.next_review_due,
            notes=review.notes,
        )
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except InvalidFieldError as error:
        problems = field_problems(language, [domain_field_error(error)])
        return _review_page(request, user, access, organisation_id, "", "",
                            form=form, problems=problems, status=422)  # fmt: skip
    except RuleViolationError as error:
        return _review_page(request, user, access, organisation_id, "", "", form=form,
                            refusal=refusal_text(language, error), status=409)  # fmt: skip
    _visible(services, recorded)
    return redirect(request, f"/ui/partners/{organisation_id}/review?msg=reviewed")


def _review_page(
    request: Request,
    user: User,
    access: AccessRecorder,
    organisation_id: str,
    since: str,
    offset: str,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    services = _services(request)
    try:
        organisation = {"id": UUID(organisation_id)}
    except ValueError:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    if not services.crm.exists(organisation["id"]):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    start = None
    chosen_since = ""
    if since:
        try:
            start = datetime.combine(parse_local_date(since), datetime.min.time(), HELSINKI)
            chosen_since = since
        except ValueError:
            start = None
    first = offset_of(offset)
    review = partner_review(
        services, organisation["id"], since=start, offset=first, limit=ENTRIES_PAGE
    )
    directory = services.views.get(CustomerDirectory)
    names = directory.names(list({organisation["id"], *(e["customer_id"] for e in review.entries)}))
    access.record(user, review.customer_ids)
    codes = [e["details"].get("offering_code") for e in review.entries]
    catalogue = services.views.get(Offerings).names([str(c) for c in codes if c])
    params = {"since": chosen_since, "offset": str(first) if first else ""}
    context: dict[str, Any] = {
        "organisation": organisation,
        "organisation_name": names.get(organisation["id"]),
        "review": review,
        "sections": SECTIONS,
        "names": names,
        "catalogue": catalogue,
        "entries_page": list_page(
            params, "offset", first, len(review.entries), review.total_entries, ENTRIES_PAGE
        ),
        "since_value": chosen_since,
        "outcomes": REVIEW_OUTCOMES,
        "may_record": can(user, Permission.RECORD_TOUCHPOINTS),
        "uuid": lambda: str(uuid4()),
        "form": form or {},
        "problems": problems or {},
        "refusal": refusal,
    }
    return render(request, "partner_review.html", context, status=status)


# The organisation page's forms ----------------------------------------------------------


@router.post("/customers/{customer_id}/partner-benefits")
async def use_benefit(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Record a membership benefit used, from the organisation page."""
    services = _services(request)
    language = language_of(request)
    form = await _form(request)
    problems: dict[str, str] = {}
    fields = ("benefit", "occurred_at", "purchase_id", "discount_amount", "discount_percent",
              "offering_code", "notes")  # fmt: skip
    data = _parsed(form, fields, problems, language)
    use = _validated(BenefitIn, data, problems, language)
    if use is None or problems:
        return _section_refused(
            request, user, access, customer_id, "benefit", form, problems, None, 422
        )
    try:
        recorded = services.partners.use_benefit(
            UUID(customer_id),
            _by(services, user, form, data.get("occurred_at")),
            benefit=use.benefit,
            purchase_id=use.purchase_id,
            discount_amount=use.discount_amount,
            discount_percent=use.discount_percent,
            offering_code=use.offering_code,
            notes=use.notes,
        )
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except InvalidFieldError as error:
        problems = field_problems(language, [domain_field_error(error)])
        return _section_refused(
            request, user, access, customer_id, "benefit", form, problems, None, 422
        )
    except RuleViolationError as error:
        refusal = refusal_text(language, error)
        return _section_refused(
            request, user, access, customer_id, "benefit", form, {}, refusal, 409
        )
    _visible(services, recorded)
    return redirect(request, f"/ui/customers/{customer_id}?msg=benefit_used#partner")


def _section_refused(
    request: Request,
    user: User,
    access: AccessRecorder,
    customer_id: str,
    section: str,
    form: dict[str, str],
    problems: dict[str, str],
    refusal: str | None,
    status: int,
) -> HTMLResponse:
    """The customer page again with the section's form, its problems and any refusal."""
    edit = {"section": section, "form": form, "errors": problems, "refusal": refusal}
    return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=status)


@router.post("/customers/{customer_id}/programmes")
async def change_programme(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Join a programme, or leave one (`action`), from the organisation page."""
    services = _services(request)
    language = language_of(request)
    form = await _form(request)
    problems: dict[str, str] = {}
    data = _parsed(form, ("programme", "occurred_at", "notes"), problems, language)
    action = form.get("action", "")
    if action not in ("join", "leave"):
        wrong = {"loc": ("action",), "type": "literal_error", "ctx": {"expected": "join, leave"}}
        problems.update(field_problems(language, [wrong]))
    joined = _validated(ProgrammeJoinIn, data, problems, language)
    if joined is None or problems:
        return _section_refused(
            request, user, access, customer_id, "programme", form, problems, None, 422
        )
    by = _by(services, user, form, data.get("occurred_at"))
    try:
        if action == "join":
            recorded = services.partners.join_programme(
                UUID(customer_id), by, joined.programme, joined.notes
            )
        else:
            leave = ProgrammeLeaveIn(reason=joined.notes)
            recorded = services.partners.leave_programme(
                UUID(customer_id), by, joined.programme, leave.reason
            )
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except InvalidFieldError as error:
        problems = field_problems(language, [domain_field_error(error)])
        return _section_refused(
            request, user, access, customer_id, "programme", form, problems, None, 422
        )
    except RuleViolationError as error:
        return _section_refused(
            request,
            user,
            access,
            customer_id,
            "programme",
            form,
            {},
            refusal_text(language, error),
            409,
        )
    _visible(services, recorded)
    return redirect(request, f"/ui/customers/{customer_id}?msg=programme_changed#partner")


# The tier catalogue ---------------------------------------------------------------------


@router.get("/partner-tiers")
def tiers_page(request: Request, user: SignedIn) -> HTMLResponse:
    """The partner tiers and their benefits; the form to enter or revise one for admins."""
    return _tiers_page(request, user)


@router.post("/partner-tiers")
async def save_tier(request: Request, user: SignedIn) -> Response:
    """Enter a tier, or revise it when the catalogue has it already."""
    services = _services(request)
    language = language_of(request)
    raw = await request.form()
    form = {k: v.strip() for k, v in raw.items() if isinstance(v, str)}
    problems: dict[str, str] = {}
    data = _parsed(form, ("code", "name_fi", "name_en", "annual_fee", "discount_percent"),
                   problems, language)  # fmt: skip
    data["benefits"] = [v for v in raw.getlist("benefits") if isinstance(v, str)]
    tier = _validated(NewTierIn, data, problems, language)
    if tier is None or problems:
        return _tiers_page(request, user, form=form, problems=problems, status=422)
    terms = TierIn.model_validate(tier.model_dump(exclude={"code"})).terms()
    try:
        if services.views.get(PartnerTiers).get(tier.code) is None:
            recorded = services.partners.add_tier(tier.code, terms, user.name)
        else:
            recorded = services.partners.revise_tier(tier.code, terms, user.name)
    except InvalidFieldError as error:
        problems = field_problems(language, [domain_field_error(error)])
        return _tiers_page(request, user, form=form, problems=problems, status=422)
    except RuleViolationError as error:
        return _tiers_page(request, user, form=form, problems={"code": str(error)}, status=409)
    services.views.get(PartnerTiers).wait_for(
        recorded.position, services.settings.read_wait_timeout
    )
    return redirect(request, "/ui/partner-tiers?" + urlencode({"msg": "tier_saved"}))


def _tiers_page(
    request: Request,
    user: User,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    tiers = _services(request).views.get(PartnerTiers).all()
    context = {
        "tiers": tiers,
        "codes": MEMBERSHIP_TIERS,
        "benefits": PARTNER_BENEFITS,
        "may_maintain": can(user, Permission.MANAGE_PARTNER_TIERS),
        "form": form or {},
        "problems": problems or {},
    }
    return render(request, "partner_tiers.html", context, status=status)


# Programmes -----------------------------------------------------------------------------


@router.get("/programmes/{programme}")
def programme_page(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    programme: str,
    members_offset: str = "",
    events_offset: str = "",
) -> HTMLResponse:
    """A programme's member organisations and its events with the organisations taking part."""
    if programme not in PROGRAMMES:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    services = _services(request)
    partners = services.views.get(Partners)
    directory = services.views.get(CustomerDirectory)
    members_first = offset_of(members_offset)
    events_first = offset_of(events_offset)
    members, members_total = partners.programme_members(
        programme, directory, offset=members_first, limit=PROGRAMME_PAGE
    )
    events, events_total = partners.programme_events(
        programme, offset=events_first, limit=PROGRAMME_PAGE
    )
    taking_part = list({c for event in events for c in event["participants"]})
    names = directory.names(taking_part)
    access.record(user, [*(m["customer_id"] for m in members), *taking_part])
    catalogue = services.views.get(Offerings).names(
        [e["offering_code"] for e in events if e["offering_code"]]
    )
    params = {
        "members_offset": str(members_first) if members_first else "",
        "events_offset": str(events_first) if events_first else "",
    }
    context = {
        "programme": programme,
        "members": members,
        "members_page": list_page(
            params, "members_offset", members_first, len(members), members_total, PROGRAMME_PAGE
        ),
        "events": events,
        "events_page": list_page(
            params, "events_offset", events_first, len(events), events_total, PROGRAMME_PAGE
        ),
        "names": names,
        "catalogue": catalogue,
    }
    return render(request, "programme.html", context)
