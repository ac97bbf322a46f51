"""The DPO's request pages: receive, list by deadline, extend, refuse, complete, certificate,
the access document for the data subject, and restricting or lifting processing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.http.privacy_schemas import ErasureOut
from api.services.erasures import purged_views
from api.services.privacy_export import person_export
from api.web.customers import _customer_page
from api.web.forms import form_key, link_position
from api.web.i18n import LANGUAGES, translate_value, translator
from api.web.paging import list_page
from api.web.session import language_of, page_user
from api.web.templating import local_time, redirect, render
from crm.application.crm import ConcurrencyError
from crm.application.privacy import REQUEST_STATUSES, ErasureRequest, RequestStatus
from crm.application.users import User
from crm.domain.calendar import HELSINKI
from crm.domain.customer import RestrictionError
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError

router = APIRouter(prefix="/ui/privacy", include_in_schema=False)
DPO = Annotated[User, Depends(page_user)]
PAGE_SIZE = 50


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _form(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}


def _found(services: Services, request_id: str) -> ErasureRequest | None:
    try:
        return services.privacy.requests.get(UUID(request_id))
    except ValueError:
        return None


FIELD_PROBLEMS = {
    "received_at": "request.bad_received_at",
    "details": "request.bad_details",
    "kind": "request.bad_kind",
    "channel": "request.bad_channel",
    "identity_check": "request.bad_identity_check",
    "customer_id": "request.bad_customer_id",
}
"""The text that names each field a request can be refused on."""

ACTION_PROBLEMS = {
    ("complete", "confirm"): "request.error.complete.confirm",
    ("complete", "request_id"): "request.error.complete.request_id",
    ("extend", "reason"): "request.error.extend.reason",
    ("extend", "request_id"): "request.error.extend.request_id",
    ("refuse", "reason"): "request.error.refuse.reason",
    ("refuse", "request_id"): "request.error.refuse.request_id",
}
"""The text for each (action, field) a request's completion, extension or refusal can fail on."""


@router.get("/requests")
def requests_page(
    request: Request, user: DPO, access: AccessLogged, status: str = "open", offset: str = "0"
) -> HTMLResponse:
    """Requests by deadline (open, due within a week, overdue, closed, or all), oldest first,
    a page at a time with their total."""
    now = datetime.now(UTC)
    shown: RequestStatus = status if status in REQUEST_STATUSES else "open"  # type: ignore[assignment]
    first = link_position(offset, 0)
    found, total = _services(request).privacy.list_requests(shown, now, first, PAGE_SIZE)
    access.record(user, [r.customer_id for r in found])
    context = {
        "requests": found,
        **vars(list_page({"status": shown}, "offset", first, len(found), total, PAGE_SIZE)),
        "now": now,
        "status": shown,
        "statuses": REQUEST_STATUSES,
    }
    return render(request, "privacy_requests.html", context)


@router.post("/requests")
async def receive_request(request: Request, user: DPO, access: AccessLogged) -> Response:
    """Log a request on arrival from the form on the customer page; it opens the request."""
    form = await _form(request)
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(form.get("customer_id", "")))
        request_id = UUID(form["request_id"]) if form.get("request_id") else uuid4()
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    known = services.privacy.requests.get(request_id)
    if known is not None and known.customer_id == customer.id:
        return redirect(request, f"/ui/privacy/requests/{request_id}")
    errors: dict[str, str] = {}
    received_at = _received(form.get("received_on", ""))
    if received_at is None:
        errors["received_on"] = "request.bad_date"
    else:
        try:
            services.privacy.receive_request(
                customer.id,
                form.get("kind", ""),
                received_at=received_at,
                channel=form.get("channel", ""),
                identity_check=form.get("identity_check", ""),
                details=form.get("details", ""),
                handled_by=user.name,
                request_id=request_id,
                now=datetime.now(UTC),
            )
        except InvalidFieldError as error:
            errors[error.field] = FIELD_PROBLEMS.get(error.field, "request.bad_details")
    if errors:
        return _customer_page(
            request, user, access, str(customer.id), request_form=form, request_errors=errors,
            status=422,
        )  # fmt: skip
    return redirect(request, f"/ui/privacy/requests/{request_id}")


def _received(value: str) -> datetime | None:
    """A receipt day as noon Finnish time (the deadline is a day, not a minute); today's
    request counts as received now, so it is never in the future."""
    try:
        day = datetime.fromisoformat(value).date()
    except ValueError:
        return None
    now = datetime.now(HELSINKI)
    noon = datetime.combine(day, time(12), HELSINKI)
    return min(noon, now) if day == now.date() else noon


def _request_page(
    request: Request,
    found: ErasureRequest,
    access: AccessRecorder,
    user: User,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    services = _services(request)
    access.record(user, [found.customer_id])
    context: dict[str, Any] = {
        "req": ErasureOut.of(found, datetime.now(UTC), purged_views(services, found)),
        "error": error,
        "values": values or {},
        "customer_name": services.crm.get_customer(found.customer_id).name,
    }
    return render(request, "privacy_request.html", context, status)


@router.get("/requests/{request_id}")
def request_page(
    request: Request, user: DPO, access: AccessLogged, request_id: str
) -> HTMLResponse:
    """One request: what was asked, its deadline, the actions, and its certificate."""
    found = _found(_services(request), request_id)
    if found is None:
        return render(request, "error.html", {"message": "request.none"}, status=404)
    return _request_page(request, found, access, user)


@router.post("/requests/{request_id}/{action}")
async def decide_request(
    request: Request, user: DPO, access: AccessLogged, request_id: str, action: str
) -> Response:
    """Complete, extend or refuse a request from its page."""
    services = _services(request)
    found = _found(services, request_id)
    if found is None or action not in ("complete", "extend", "refuse"):
        return render(request, "error.html", {"message": "request.none"}, status=404)
    form = await _form(request)
    privacy, now = services.privacy, datetime.now(UTC)
    try:
        if action == "complete":
            if found.kind == "erasure" and form.get("confirm") != "yes":
                raise InvalidFieldError("confirm", "missing")
            privacy.complete_request(found.request_id, user.name, now)
        elif action == "extend":
            privacy.extend_request(found.request_id, form.get("reason", ""), user.name, now)
        else:
            privacy.refuse_request(found.request_id, form.get("reason", ""), user.name, now)
    except InvalidFieldError as error:
        problem = ACTION_PROBLEMS.get((action, error.field), "request.error.complete.confirm")
        return _request_page(request, found, access, user, problem, form, status=422)
    except ConcurrencyError:
        return _request_page(request, found, access, user, "erase.retry", form, status=409)
    return redirect(request, f"/ui/privacy/requests/{request_id}")


@router.get("/requests/{request_id}/document")
def access_document(
    request: Request, user: DPO, access: AccessLogged, request_id: str, language: str = ""
) -> HTMLResponse:
    """The data subject's copy of their data (GDPR art. 15), printable, in Finnish or English."""
    services = _services(request)
    found = _found(services, request_id)
    if found is None or found.kind != "access":
        return render(request, "error.html", {"message": "request.none"}, status=404)
    customer, document = person_export(
        services, found.customer_id, datetime.now(UTC), lambda shown: access.record(user, shown)
    )
    chosen = language if language in LANGUAGES else language_of(request)
    context = {
        "req": found,
        "document": document,
        "customer": customer,
        "doc_lang": chosen,
        "dt": translator(chosen),
        "dtv": lambda value: translate_value(chosen, value),
        "doc_time": lambda value: local_time(value, chosen),
    }
    return render(request, "privacy_access_document.html", context)


@router.post("/restrictions")
async def restrict_processing(request: Request, user: DPO, access: AccessLogged) -> Response:
    """Restrict or lift the restriction of processing, from the customer page."""
    form = await _form(request)
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(form.get("customer_id", "")))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    reason = form.get("reason", "")
    if not reason:
        return _customer_page(
            request, user, access, str(customer.id), restrict_error="restrict.reason_missing",
            status=422,
        )  # fmt: skip
    recorded_as = provenance(
        user,
        occurred_at=None,
        institution="joint",
        channel="other",
        idempotency_key=form_key(services, user, form),
    )
    try:
        if form.get("lift") == "yes":
            services.privacy.lift_restriction(customer.id, recorded_as, reason)
        else:
            services.privacy.restrict_processing(customer.id, recorded_as, reason)
    except RestrictionError:
        return _customer_page(
            request, user, access, str(customer.id), restrict_error="restrict.state", status=409
        )
    return redirect(request, f"/ui/customers/{customer.id}#restriction")
