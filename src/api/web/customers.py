"""Customer pages: search, the customer page (profile, timeline, record form), my customers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.http.touchpoint_schemas import TOUCHPOINT_MODELS
from api.permissions import Permission, can
from api.services.contacts import visible_contacts
from api.services.customer_search import find_customer_ids
from api.web.forms import (
    DEFAULT_KIND,
    domain_field_error,
    field_problems,
    form_fields,
    parse_local_date,
    parse_touchpoint,
    refusal_text,
)
from api.web.i18n import field_problem
from api.web.insights import engagement_over_time, indicator_cards
from api.web.organisations import employer_context, organisation_context
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
from crm.domain.vocabulary import INSTITUTIONS
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.timeline import CursorError, Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
ALL_KINDS = [cls.kind() for cls in CUSTOMER_EVENT_CLASSES]
PAGE_SIZE = 25
SEARCH_LIMIT = 30
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
    "affiliation_ended": "edit.affiliation_ended",
}
"""Notices after a redirect, by the `msg` the redirect carries."""


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/customers")
def search_page(
    request: Request, user: SignedIn, access: AccessLogged, q: str = ""
) -> HTMLResponse:
    """Find customers by part of a name or by a whole e-mail address."""
    services = _services(request)
    query = q.strip()[:200]
    results: list[Customer] = []
    if query:
        ids = find_customer_ids(services, query, SEARCH_LIMIT)
        results = [services.crm.get_customer(customer_id) for customer_id in ids]
        access.record(user, [c.id for c in results])
    now = datetime.now(UTC)
    context = {
        "query": query,
        "results": results,
        "contacts": {c.id: visible_contacts(user, c, now) for c in results},
        "may_write_customers": can(user, Permission.WRITE_CUSTOMERS),
    }
    return render(request, "search.html", context)


def account_managers(services: Services) -> list[str]:
    """Names of the account managers who may own customers (for the owner picker)."""
    return sorted(
        name
        for name, role, active in services.users.list()
        if active and role == Role.ACCOUNT_MANAGER.value
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
        "contacts": visible_contacts(user, customer, datetime.now(UTC)),
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
            record_kind=kind,
            record_kinds=list(TOUCHPOINT_MODELS),
            record_fields=form_fields(kind),
            record_values=form or {},
            record_errors=errors or {},
            record_refusal=refusal,
            idempotency_key=(form or {}).get("idempotency_key") or str(uuid4()),
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
    try:
        rows, next_cursor = services.views.get(Timeline).page(
            customer_id,
            merged=merged,
            kinds=[kind] if kind in ALL_KINDS else None,
            institutions=[institution] if institution in INSTITUTIONS else None,
            start=_day(start),
            end=_day(end),
            cursor=params.get("cursor") or None,
            limit=PAGE_SIZE,
            # Notes and comments only to roles that read whole timelines.
            include_personal=can(user, Permission.READ_TIMELINES),
        )
    except CursorError:
        rows, next_cursor = [], None
    filters = {"kind": kind, "institution": institution, "start": start, "end": end}
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
        "next_cursor": next_cursor,
        "filters": filters,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
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
                idempotency_key=f"web:{form.get('idempotency_key') or uuid4()}",
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
    return redirect(request, f"/ui/customers/{customer_id}?msg=saved#timeline")


@router.get("/my-customers")
def my_customers(request: Request, user: SignedIn, access: AccessLogged) -> HTMLResponse:
    """An account manager's own customers, open leads to follow up and partners due a review."""
    services = _services(request)
    directory = services.views.get(CustomerDirectory)
    indicators = services.views.get(CustomerIndicators)
    now = datetime.now(UTC)
    owned = directory.owned_by(user.name)
    leads = services.views.get(Funnel).open_leads_owned_by(user.name, indicators, now)
    # Review dates are shown as Finnish calendar days.
    reviews = [
        {k: local_date(v) if isinstance(v, datetime) else v for k, v in r.items()}
        for r in indicators.partners_due_review(user.name, now)
    ]
    names = {row["customer_id"]: row["name"] for row in owned}
    missing = [r["customer_id"] for r in [*leads, *reviews] if r["customer_id"] not in names]
    if missing:
        names.update(directory.names(list(dict.fromkeys(missing))))
    access.record(user, names)
    context = {"owned": owned, "leads": leads, "reviews": reviews, "names": names}
    return render(request, "my_customers.html", context)
