"""The DPO's pages: consent audit, consent history, erasure requests and erasing, access log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError

from api.bootstrap.wiring import Services
from api.http.privacy_schemas import ErasureIn, ErasureOut
from api.services.consent_audit import audit_csv_lines, caught_up_audit_views
from api.services.erasures import purged_views
from api.web.customers import _customer_page
from api.web.session import page_user
from api.web.templating import redirect, render
from crm.application.crm import ConcurrencyError
from crm.application.privacy import RequestStatus
from crm.application.users import User
from crm.domain.calendar import start_of_day
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError
from crm.domain.vocabulary import PURPOSES
from projections.audits import consent_audit
from projections.views.consent_ledger import ConsentLedger

router = APIRouter(prefix="/ui/privacy", include_in_schema=False)
DPO = Annotated[User, Depends(page_user)]
AUDIT_PAGE = 50
"""Violations per page of the consent audit."""
LIST_LIMIT = 500


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _day(value: str) -> datetime | None:
    try:
        return start_of_day(datetime.fromisoformat(value).date())
    except ValueError:
        return None


@router.get("/consent-audit")
def consent_audit_page(
    request: Request,
    user: DPO,
    start: str = "",
    end: str = "",
    purpose: str = "",
    offset: str = "0",
) -> HTMLResponse:
    """Every marketing contact re-checked against the consent in force at that moment: the
    totals cover every contact, the violations are listed a page at a time."""
    services = _services(request)
    since, until = _day(start), _day(end)
    chosen = purpose if purpose in PURPOSES else None
    first = int(offset) if offset.isdigit() else 0
    audited, behind = caught_up_audit_views(services)
    ledger = audited.ledger
    totals = consent_audit.audit_totals(audited, since, until, chosen)
    violations = consent_audit.marketing_contacts(
        audited, since, until, chosen, violations_only=True, offset=first, limit=AUDIT_PAGE
    )
    filters = {"start": start, "end": end, "purpose": chosen or ""}
    context = {
        "behind": behind,
        "filters": filters,
        "purposes": PURPOSES,
        "totals": totals,
        "violations": violations,
        "page": {
            "first": first + 1 if violations else 0,
            "last": first + len(violations),
            "total": totals.violations,
            "previous": _audit_link(filters, max(first - AUDIT_PAGE, 0)) if first else None,
            "next": _audit_link(filters, first + AUDIT_PAGE)
            if first + AUDIT_PAGE < totals.violations
            else None,
        },
        "csv": "/ui/privacy/consent-audit.csv?" + urlencode(filters),
        "changes": consent_audit.changes_by_purpose_and_channel(ledger, since, until, chosen),
        "expiring": consent_audit.expiring(
            ledger,
            datetime.now(UTC),
            30,
            services.settings.consent_validity_months,
            chosen,
            LIST_LIMIT,
        ),
    }
    return render(request, "privacy_audit.html", context)


def _audit_link(filters: dict[str, str], offset: int) -> str:
    return "/ui/privacy/consent-audit?" + urlencode({**filters, "offset": offset})


@router.get("/consent-audit.csv")
def consent_audit_csv(
    request: Request, user: DPO, start: str = "", end: str = "", purpose: str = ""
) -> Response:
    """The audit of every marketing contact in the chosen window as CSV (no row limit)."""
    services = _services(request)
    audited, behind = caught_up_audit_views(services)
    if behind:
        return render(request, "error.html", {"message": "privacy.behind"}, status=503)
    chosen = purpose if purpose in PURPOSES else None
    lines = audit_csv_lines(audited, _day(start), _day(end), chosen, violations_only=False)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consent-audit-{stamp}.csv"'},
    )


@router.get("/consents/{customer_id}")
def consent_history_page(request: Request, user: DPO, customer_id: str) -> HTMLResponse:
    """A customer's consent changes in business-time order and the intervals they made."""
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    ledger = services.views.get(ConsentLedger)
    context = {
        "customer": customer,
        "changes": ledger.changes(customer.id),
        "intervals": ledger.intervals(customer.id, datetime.now(UTC)),
    }
    return render(request, "privacy_consents.html", context)


@router.get("/erasures")
def erasures_page(request: Request, user: DPO, status: str = "open") -> HTMLResponse:
    """Erasure requests with their one-month deadlines; overdue ones stand out."""
    now = datetime.now(UTC)
    shown: RequestStatus = (
        "all" if status == "all" else "overdue" if status == "overdue" else "open"
    )
    requests = _services(request).privacy.list_requests(shown, now, LIST_LIMIT)
    context = {"requests": requests, "now": now, "status": status}
    return render(request, "privacy_erasures.html", context)


@router.post("/erasures")
async def erase_customer(request: Request, user: DPO) -> Response:
    """Erase a customer from the form on the customer page, then show the certificate."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    services = _services(request)
    privacy = services.privacy
    try:
        customer = services.crm.get_customer(UUID(form.get("customer_id", "")))
        request_id = UUID(form["request_id"]) if form.get("request_id") else uuid4()
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)

    def refuse(problem: str, status: int) -> HTMLResponse:
        return _customer_page(
            request, user, str(customer.id), erase_form=form, erase_error=problem, status=status
        )

    # A repeated form (same request id) finishes or shows its erasure, as the API does.
    if privacy.requests.get(request_id) is None:
        if customer.erased:
            return refuse("erase.already", 409)
        if form.get("confirm") != "yes":
            return refuse("erase.confirm_missing", 422)
    try:
        body = ErasureIn(
            customer_id=customer.id, reason=form.get("reason", "").strip(), request_id=request_id
        )
    except ValidationError:
        return refuse("erase.reason_missing", 422)
    try:
        privacy.erase_customer(
            body.customer_id, user.name, body.reason, request_id, datetime.now(UTC)
        )
    except InvalidFieldError as error:
        problem = "erase.reason_missing" if error.field == "reason" else "erase.no_request"
        return refuse(problem, 422)
    except ConcurrencyError:
        return refuse("erase.retry", 409)
    return redirect(request, f"/ui/privacy/erasures/{request_id}")


@router.get("/erasures/{request_id}")
def erasure_certificate_page(request: Request, user: DPO, request_id: str) -> HTMLResponse:
    """One erasure request and its certificate: what was destroyed, when, by whom."""
    services = _services(request)
    try:
        found = services.privacy.requests.get(UUID(request_id))
    except ValueError:
        found = None
    if found is None:
        return render(request, "error.html", {"message": "erase.no_request"}, status=404)
    erasure = ErasureOut.of(found, datetime.now(UTC), purged_views(services, found))
    return render(request, "privacy_erasure.html", {"erasure": erasure})


@router.get("/access-log")
def access_log_page(
    request: Request, user: DPO, customer: str = "", reader: str = ""
) -> HTMLResponse:
    """Who read whose personal data, when, through which page or endpoint, and why."""
    log = _services(request).access_log
    try:
        customer_id = UUID(customer) if customer else None
    except ValueError:
        customer_id = None
    accesses = log.list(customer_id=customer_id, user_name=reader.strip() or None, limit=LIST_LIMIT)
    context = {"accesses": accesses, "filters": {"customer": customer, "reader": reader}}
    return render(request, "privacy_access_log.html", context)
