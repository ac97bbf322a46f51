"""Customer pages: search, the customer page (profile, timeline, record form), my customers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.http.touchpoint_schemas import TOUCHPOINT_MODELS
from api.permissions import Permission, can
from api.services.contacts import visible_contacts
from api.services.customer_search import find_customers
from api.services.duplicates import flag_list, flags_for
from api.web.forms import (
    DEFAULT_KIND,
    domain_field_error,
    field_problems,
    form_fields,
    form_key,
    parse_local_date,
    parse_touchpoint,
    refusal_text,
)
from api.web.i18n import field_problem
from api.web.insights import engagement_over_time, indicator_cards
from api.web.organisations import employer_context, organisation_context, partner_context
from api.web.paging import list_page, offset_of
from api.web.session import language_of, page_user
from api.web.tasks import PROBLEMS, customer_task_context
from api.web.templating import redirect, render
from crm.application.privacy import IDENTITY_CHECKS, REQUEST_CHANNELS, REQUEST_KINDS
from crm.application.users import Role, User
from crm.domain.calendar import HELSINKI, local_date, start_of_day
from crm.domain.consents import consent_state
from crm.domain.customer import Customer
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError, RuleViolationError
from crm.domain.events import CUSTOMER_EVENT_CLASSES
from crm.domain.vocabulary import CHANNELS, CUSTOMER_KINDS, INSTITUTIONS
from projections.engine.merges import MergeMap
from projections.views.directory import SORTS, CustomerDirectory, Sort
from projections.views.funnel import LEAD_SORTS, Funnel, LeadSort
from projections.views.indicators import CustomerIndicators
from projections.views.offerings import Offerings
from projections.views.partners import Partners
from projections.views.timeline import CursorError, Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
ALL_KINDS = [cls.kind() for cls in CUSTOMER_EVENT_CLASSES]
PAGE_SIZE = 25
LIST_SIZE = 50
REQUEST_VOCABULARY = {
    "kind": REQUEST_KINDS, "channel": REQUEST_CHANNELS, "identity_check": IDENTITY_CHECKS,
}  # fmt: skip
MESSAGES = {
    "saved": "record.saved",
    "created": "edit.created",
    "corrected": "edit.corrected",
    "unchanged": "edit.unchanged",
    "merged": "merge.merged",
    "merge_undone": "merge.undone",
    "owner": "edit.owner_saved",
    "affiliated": "edit.affiliated",
    "digimentor_named": "digimentor.named",
    "digimentor_ended": "digimentor.ended",
    "affiliation_ended": "edit.affiliation_ended",
    "benefit_used": "partner.benefit_used",
    "programme_changed": "partner.programme_changed",
}
"""Notices after a redirect, by the `msg` the redirect carries."""
QUICK_KINDS = ("phone_call_made", "company_visited", "lead_captured")
"""The kinds the customer page offers to log in one step: a call, a meeting and a new lead."""
QUICK_LEFT_OUT = ("institution", "channel", "marketing_purpose", "lead_id")
"""Fields a quick form leaves to their defaults (a marketing call goes through the full form;
a new lead's id is generated)."""
LEAD_PICKS: dict[str, tuple[str, ...]] = {
    "lead_qualified": ("captured",),
    "lead_converted": ("qualified",),
    "lead_lost": ("captured", "qualified"),
}
"""For each lead kind, the stages a lead may be picked from."""


def new_lead_id() -> str:
    """A lead id the system chooses, short enough to read out on the phone."""
    return f"L-{uuid4().hex[:8].upper()}"


def id_choices(customer: Customer, kind: str) -> dict[str, list[tuple[str, str]]]:
    """The customer's own leads and purchases a form picks from instead of typing an id."""
    choices: dict[str, list[tuple[str, str]]] = {}
    stages = LEAD_PICKS.get(kind)
    if stages is not None:
        choices["lead_id"] = [
            (lead, lead) for lead, stage in customer.lead_stages.items() if stage in stages
        ]
    if kind in ("lead_converted", "purchase_refunded"):
        choices["purchase_id"] = [
            (purchase, f"{purchase} ({paid} €)")
            for purchase, (paid, _) in customer.purchases.items()
        ]
    return choices


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/customers")
def search_page(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    q: str = "",
    kind: str = "",
    sort: str = "",
    offset: str = "",
) -> HTMLResponse:
    """Find customers by part of a name, a domain or a phone number, or by their
    organisation's name; paged, sorted and filtered by kind. An e-mail comes by the form's
    POST, never in the URL."""
    query = q.strip()[:200]
    if "@" in query:
        return _search_results(
            request, user, access, "", "", "", 0, error="search.email_in_url", status=422
        )
    return _search_results(request, user, access, query, kind, sort, offset_of(offset))


@router.post("/customers")
def search_by_form(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    q: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    sort: Annotated[str, Form(max_length=40)] = "",
    offset: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """The search form and its pager: by part of a name, an e-mail, a domain or a phone
    number, kept out of the URL (browser history, proxy logs)."""
    return _search_results(request, user, access, q.strip(), kind, sort, offset_of(offset))


def _search_results(
    request: Request,
    user: User,
    access: AccessLogged,
    query: str,
    kind: str,
    sort: str,
    first: int,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    services = _services(request)
    chosen_kind = kind if kind in CUSTOMER_KINDS else ""
    chosen_sort: Sort = next((s for s in SORTS if s == sort), "relevance")
    results: list[Customer] = []
    page = None
    if query or chosen_kind:
        rows, total = find_customers(
            services,
            query,
            by_contacts=can(user, Permission.READ_CONTACT_DETAILS),
            kind=chosen_kind or None,
            sort=chosen_sort,
            offset=first,
            limit=LIST_SIZE,
        )
        results = [services.crm.get_customer(row["customer_id"]) for row in rows]
        access.record(user, [c.id for c in results])
        filters = {"q": query, "kind": chosen_kind, "sort": sort if sort in SORTS else ""}
        page = list_page(filters, "offset", first, len(results), total, LIST_SIZE)
    now = datetime.now(UTC)
    validity = services.settings.consent_validity_months
    context = {
        "query": query,
        "error": error,
        "kind": chosen_kind,
        "sort": chosen_sort,
        "sorts": SORTS,
        "kinds": CUSTOMER_KINDS,
        "results": results,
        "page": page,
        "previous_offset": max(first - LIST_SIZE, 0)
        if page and page.previous is not None
        else None,
        "next_offset": first + LIST_SIZE if page and page.next is not None else None,
        "contacts": {c.id: visible_contacts(user, c, now, validity) for c in results},
        "may_write_customers": can(user, Permission.WRITE_CUSTOMERS),
    }
    return render(request, "search.html", context, status)


def account_managers(services: Services) -> list[str]:
    """Names of the account managers who may own customers (for the owner picker)."""
    return sorted(
        name
        for name, role, revoked in services.users.list()
        if not revoked and role == Role.ACCOUNT_MANAGER.value
    )


def _day(value: str | None) -> datetime | None:
    """A date from a filter field as the start of that day in Finnish time."""
    if not value:
        return None
    try:
        return start_of_day(parse_local_date(value))
    except ValueError:
        return None


def _customer_page(
    request: Request,
    user: User,
    access: AccessRecorder,
    customer_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    request_form: dict[str, str] | None = None,
    request_errors: dict[str, str] | None = None,
    restrict_error: str | None = None,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    params = request.query_params
    context: dict[str, Any] = {
        "customer": customer,
        "contacts": visible_contacts(
            user, customer, datetime.now(UTC), services.settings.consent_validity_months
        ),
        # An erased customer has no consent state; the others' grants count until they expire.
        "consents": {}
        if customer.erased
        else consent_state(
            customer.consent_changes,
            datetime.now(HELSINKI),
            services.settings.consent_validity_months,
        ),
        "message": MESSAGES.get(params.get("msg") or ""),
        "edit": {"section": "", "form": {}, "errors": {}},
        "uuid": lambda: str(uuid4()),
        **(extra or {}),
    }
    merged = services.views.get(MergeMap).absorbed_into(customer.id)
    context["merged_records"] = services.views.get(CustomerDirectory).names(merged)
    context["merged_ids"] = merged
    if customer.merged_into is not None:
        context["survivor_name"] = (
            services.views.get(CustomerDirectory)
            .names([customer.merged_into])
            .get(customer.merged_into)
        )
    context["may_merge"] = can(user, Permission.MERGE_CUSTOMERS)
    shown = [customer.id, *merged]
    context.update(partner_context(services, customer.id))
    if context["may_merge"] and customer.merged_into is None and not customer.erased:
        shown.extend(_duplicate_flags(services, user, customer, context))
    if customer.kind == "organisation":
        relations = organisation_context(services, request, customer)
        shown.extend(relations.pop("shown_ids"))
        context.update(relations)
    else:
        context.update(employer_context(services, customer))
    if can(user, Permission.WRITE_CUSTOMERS):
        context["managers"] = account_managers(services)
    # The page shows personal data, so the read goes to the DPO's access log.
    access.record(user, list(dict.fromkeys(shown)))
    context["indicators"] = indicator_cards(services, customer.id)
    if context["indicators"] is not None:
        context["engagement_points"], context["engagement_chart"] = engagement_over_time(
            services, customer.id, language_of(request)
        )
    if can(user, Permission.READ_TIMELINES):
        context.update(_timeline(services, user, customer.id, request, merged))
    if can(user, Permission.RECORD_TOUCHPOINTS):
        kind = (form or {}).get("kind") or params.get("record_kind") or DEFAULT_KIND
        if kind not in TOUCHPOINT_MODELS:
            kind = DEFAULT_KIND
        context.update(
            may_record_partner=True,
            record_kind=kind,
            record_kinds=list(TOUCHPOINT_MODELS),
            # A new lead's id is the system's to choose.
            record_fields=[
                f for f in form_fields(kind) if (kind, f.name) != ("lead_captured", "lead_id")
            ],
            id_choices=id_choices(customer, kind),
            record_values=form or {},
            record_errors=errors or {},
            record_refusal=refusal,
            idempotency_key=(form or {}).get("idempotency_key") or str(uuid4()),
            quick_kinds={
                quick: [f for f in form_fields(quick) if f.name not in QUICK_LEFT_OUT]
                for quick in QUICK_KINDS
            },
            now_local=datetime.now(HELSINKI).strftime("%Y-%m-%dT%H:%M"),
            offering_choices=services.views.get(Offerings).active_choices(),
        )
        context.update(customer_task_context(services, user, customer.id))
    if can(user, Permission.RUN_PRIVACY) and not customer.erased:
        # A request id per form, so submitting it twice logs one request, not two.
        values = request_form or {}
        context.update(
            privacy_form=True,
            request_values=values,
            request_errors=request_errors or {},
            restrict_error=restrict_error,
            request_id=values.get("request_id") or str(uuid4()),
            request_vocabulary=REQUEST_VOCABULARY,
            today=datetime.now(HELSINKI).date().isoformat(),
        )
    return render(request, "customer.html", context, status)


def customer_page_with(
    request: Request,
    user: User,
    access: AccessRecorder,
    customer_id: str,
    extra: dict[str, Any],
    status: int,
) -> HTMLResponse:
    """The customer page with more in its context (a form's values and errors)."""
    return _customer_page(request, user, access, customer_id, extra=extra, status=status)


def _timeline(
    services: Services, user: User, customer_id: UUID, request: Request, merged: list[UUID]
) -> dict[str, Any]:
    params = request.query_params
    kind = params.get("kind") or ""
    institution = params.get("institution") or ""
    start, end = params.get("start") or "", params.get("end") or ""
    # Newest first unless asked otherwise: the day's work is at the top.
    order = "oldest" if params.get("order") == "oldest" else ""
    include_personal = can(user, Permission.READ_TIMELINES)
    timeline = services.views.get(Timeline)
    try:
        rows, next_cursor = timeline.page(
            customer_id,
            merged=merged,
            kinds=[kind] if kind in ALL_KINDS else None,
            institutions=[institution] if institution in INSTITUTIONS else None,
            start=_day(start),
            end=_day(end),
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
            # Notes and comments only to roles that read whole timelines.
            include_personal=include_personal,
            newest_first=not order,
        )
    except CursorError:
        rows, next_cursor = [], None
    # The entry just saved goes at the top of the first page, marked, wherever its date falls.
    saved = params.get("entry") or ""
    saved_entry = (
        timeline.entry(customer_id, int(saved), include_personal)
        if saved.isdigit() and len(saved) < 10 and not params.get("cursor")
        else None
    )
    if saved_entry is not None:
        rows = [saved_entry, *(r for r in rows if r["version"] != saved_entry["version"])]
    filters = {
        "kind": kind, "institution": institution, "start": start, "end": end, "order": order,
    }  # fmt: skip
    # Organisations named in entries (affiliations) are shown by name, not by id.
    named = [
        UUID(r["details"]["organisation_id"]) for r in rows if r["details"].get("organisation_id")
    ]
    return {
        "organisation_names": {
            str(k): v for k, v in services.views.get(CustomerDirectory).names(named).items()
        }
        if named
        else {},
        "timeline": rows,
        "saved_version": saved_entry["version"] if saved_entry is not None else None,
        "next_cursor": next_cursor,
        "filters": filters,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
        "order_query": urlencode({k: v for k, v in filters.items() if v and k != "order"}),
        "paged": bool(params.get("cursor")),
        "all_kinds": ALL_KINDS,
        "institutions": INSTITUTIONS,
    }


@router.get("/customers/{customer_id}")
def customer_page(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> HTMLResponse:
    """Profile, consents and (by role) the timeline and the form to record a touchpoint."""
    return _customer_page(request, user, access, customer_id)


@router.post("/customers/{customer_id}/touchpoints")
async def record_touchpoint(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Record a touchpoint from the form; errors come back on the same page."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    kind = form.get("kind", "")
    if kind not in TOUCHPOINT_MODELS:
        return _customer_page(request, user, access, customer_id, errors={"kind": "?"}, status=422)
    if kind == "lead_captured" and not form.get("lead_id"):
        form["lead_id"] = new_lead_id()
    touchpoint, errors = parse_touchpoint(kind, form, language_of(request))
    if touchpoint is None:
        return _customer_page(
            request, user, access, customer_id, form=form, errors=errors, status=422
        )
    services = _services(request)
    fields = touchpoint.model_dump(
        exclude={"kind", "occurred_at", "institution", "channel", "idempotency_key"}
    )
    values = touchpoint.model_dump(include={"occurred_at", "institution", "channel"})
    try:
        recorded = services.crm.record_touchpoint(
            UUID(customer_id),
            provenance(
                user,
                occurred_at=values["occurred_at"],
                institution=values["institution"],
                channel=values["channel"],
                idempotency_key=form_key(services, user, form),
            ),
            kind,
            fields,
        )
    except InvalidFieldError as error:
        # Before ValueError, which it is too: a refused field is not an unknown customer.
        named = PROBLEMS.get(error.code or "")
        language = language_of(request)
        errors = (
            {error.field: field_problem(language, error.field, named)}
            if named
            else field_problems(language, [domain_field_error(error)])
        )
        return _customer_page(
            request, user, access, customer_id, form=form, errors=errors, status=422
        )
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        refusal = refusal_text(language_of(request), error)
        return _customer_page(
            request, user, access, customer_id, form=form, refusal=refusal, status=409
        )
    # Read-your-writes: the timeline shows the new touchpoint after the redirect.
    services.views.get(Timeline).wait_for(recorded.position, services.settings.read_wait_timeout)
    return redirect(
        request, f"/ui/customers/{customer_id}?msg=saved&entry={recorded.version}#timeline"
    )


@router.get("/my-customers")
def my_customers(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    q: str = "",
    kind: str = "",
    sort: str = "",
    offset: str = "",
    leads_sort: str = "",
    leads_channel: str = "",
    leads_offset: str = "",
    reviews_offset: str = "",
) -> HTMLResponse:
    """An account manager's own customers (filtered, sorted, paged), open leads to follow up
    (paged, oldest first unless sorted otherwise) and partners due a review (paged, soonest
    due first)."""
    services = _services(request)
    directory = services.views.get(CustomerDirectory)
    indicators = services.views.get(CustomerIndicators)
    now = datetime.now(UTC)
    query = q.strip()[:200]
    chosen_kind = kind if kind in CUSTOMER_KINDS else ""
    chosen_sort: Sort = next((s for s in SORTS if s == sort), "name")
    first = offset_of(offset)
    owned, owned_total = find_customers(
        services,
        query,
        by_contacts=can(user, Permission.READ_CONTACT_DETAILS),
        kind=chosen_kind or None,
        account_manager=user.name,
        sort=chosen_sort,
        offset=first,
        limit=LIST_SIZE,
    )
    lead_sort: LeadSort = next((s for s in LEAD_SORTS if s == leads_sort), "captured")
    leads_first = offset_of(leads_offset)
    channel = leads_channel if leads_channel in CHANNELS else ""
    merges = services.views.get(MergeMap)
    leads, leads_total = services.views.get(Funnel).leads_owned_by(
        user.name,
        indicators,
        merges,
        now,
        source_channel=channel or None,
        sort=lead_sort,
        offset=leads_first,
        limit=LIST_SIZE,
    )
    reviews_first = offset_of(reviews_offset)
    reviews, reviews_total = services.views.get(Partners).due_reviews(
        indicators, merges, user.name, local_date(now), offset=reviews_first, limit=LIST_SIZE
    )
    names = {row["customer_id"]: row["name"] for row in owned}
    missing = [r["customer_id"] for r in [*leads, *reviews] if r["customer_id"] not in names]
    if missing:
        names.update(directory.names(list(dict.fromkeys(missing))))
    access.record(user, names)
    params = {
        "q": query,
        "kind": chosen_kind,
        "sort": sort if sort in SORTS else "",
        "offset": str(first) if first else "",
        "leads_sort": leads_sort if leads_sort in LEAD_SORTS else "",
        "leads_channel": channel,
        "leads_offset": str(leads_first) if leads_first else "",
        "reviews_offset": str(reviews_first) if reviews_first else "",
    }
    context = {
        "owned": owned,
        "owned_page": list_page(params, "offset", first, len(owned), owned_total, LIST_SIZE),
        "leads": leads,
        "leads_page": list_page(
            params, "leads_offset", leads_first, len(leads), leads_total, LIST_SIZE
        ),
        "reviews": reviews,
        "reviews_page": list_page(
            params, "reviews_offset", reviews_first, len(reviews), reviews_total, LIST_SIZE
        ),
        "names": names,
        "query": query,
        "kind": chosen_kind,
        "sort": chosen_sort,
        "sorts": [s for s in SORTS if s != "relevance"],
        "kinds": CUSTOMER_KINDS,
        "lead_sort": lead_sort,
        "lead_sorts": LEAD_SORTS,
        "channels": CHANNELS,
        "params": params,
    }
    return render(request, "my_customers.html", context)


def _duplicate_flags(
    services: Services, user: User, customer: Customer, context: dict[str, Any]
) -> list[UUID]:
    """Probable duplicates of the customer for its page, each linking to the comparison
    page; the customers the flags name (for the access log)."""
    flags = flags_for(services, user, [customer.id])
    shown = flag_list(flags)
    others = [flag.other_id for flag in shown]
    context.update(
        flags=flags,
        flag_list=shown,
        flag_names={
            customer.id: customer.name,
            **services.views.get(CustomerDirectory).names(others),
        },
    )
    return others
