"""The DPO's pages: consent audit, consent history and the access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.services.access_log import access_csv, access_page, customer_filter
from api.web.session import page_user
from api.web.templating import render
from crm.application.users import User
from crm.domain.calendar import start_of_day
from crm.domain.errors import CustomerNotFoundError
from crm.domain.vocabulary import PURPOSES
from projections.audits import consent_audit
from projections.engine.runner import wait_until_caught_up
from projections.views.consent_ledger import ConsentLedger
from projections.views.directory import CustomerDirectory

router = APIRouter(prefix="/ui/privacy", include_in_schema=False)
DPO = Annotated[User, Depends(page_user)]
AUDIT_LIMIT = 10_000
LIST_LIMIT = 500
ACCESS_PAGE = 50
CSV_LIMIT = 1_000_000


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
    request: Request, user: DPO, start: str = "", end: str = "", purpose: str = ""
) -> HTMLResponse:
    """Every marketing contact re-checked against the consent in force at that moment."""
    services = _services(request)
    since, until = _day(start), _day(end)
    chosen = purpose if purpose in PURPOSES else None
    audited = consent_audit.AuditViews.of(services.views)
    ledger = audited.ledger
    # The views at one log position, so each contact is judged with its own consents.
    try:
        timeout = services.settings.read_wait_timeout * 5
        wait_until_caught_up(services.projector, audited.all(), timeout)
        behind = False
    except TimeoutError:
        behind = True
    contacts = consent_audit.marketing_contacts(audited, since, until, chosen, limit=AUDIT_LIMIT)
    context = {
        "behind": behind,
        "filters": {"start": start, "end": end, "purpose": chosen or ""},
        "purposes": PURPOSES,
        "checked": len(contacts),
        "violations": [row for row in contacts if row["violation"]],
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


@router.get("/consents/{customer_id}")
def consent_history_page(
    request: Request, user: DPO, access: AccessLogged, customer_id: str
) -> HTMLResponse:
    """A customer's consent changes in business-time order and the intervals they made."""
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    ledger = services.views.get(ConsentLedger)
    access.record(user, [customer.id])
    context = {
        "customer": customer,
        "changes": ledger.changes(customer.id),
        "intervals": ledger.intervals(customer.id),
    }
    return render(request, "privacy_consents.html", context)


@router.get("/access-log", responses={200: {"content": {"text/csv": {}}}})
def access_log_page(
    request: Request,
    user: DPO,
    access: AccessLogged,
    customer: str = "",
    reader: str = "",
    start: str = "",
    end: str = "",
    page: str = "1",
    format: str = "html",
) -> Response:
    """Who read whose personal data, when, through which page or endpoint, and why.

    The customer filter takes an id, or part of a name, or an e-mail; dates are Finnish days
    (the end day included); `format=csv` downloads every read the filters match.
    """
    services = _services(request)
    filters = {"customer": customer, "reader": reader, "start": start, "end": end}
    errors: dict[str, str] = {}
    since, until = _day(start) if start else None, _day(end) if end else None
    if start and since is None:
        errors["start"] = "access.bad_date"
    if end and until is None:
        errors["end"] = "access.bad_date"
    if until is not None:
        until += timedelta(days=1)
    if since and until and since >= until:
        errors["end"] = "access.end_before_start"
    number = int(page) if page.isdigit() and 0 < int(page) < 2**40 else 1
    chosen = customer_filter(services, customer)
    context: dict[str, Any] = {
        "filters": filters,
        "errors": errors,
        "matched": chosen,
        "matched_names": {},
        "accesses": [],
        "total": 0,
        "first": 0,
        "last": 0,
        "page": number,
        "pages": 1,
    }
    if errors:
        return render(request, "privacy_access_log.html", context, status=422)
    reader_name = reader.strip() or None
    if format == "csv":
        every = access_page(services, chosen, reader_name, since, until, 0, CSV_LIMIT)
        return Response(
            access_csv(every.accesses),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
        )
    found = access_page(
        services, chosen, reader_name, since, until, (number - 1) * ACCESS_PAGE, ACCESS_PAGE
    )
    context.update(
        accesses=found.accesses,
        total=found.total,
        first=found.offset + 1 if found.accesses else 0,
        last=found.offset + len(found.accesses),
        pages=max(1, -(-found.total // ACCESS_PAGE)),
        csv_query=urlencode({**{k: v for k, v in filters.items() if v}, "format": "csv"}),
        page_query=urlencode({k: v for k, v in filters.items() if v}),
    )
    if chosen.by_name and chosen.customer_ids:
        directory = services.views.get(CustomerDirectory)
        context["matched_names"] = directory.names(chosen.customer_ids)
        access.record(user, chosen.customer_ids)
    return render(request, "privacy_access_log.html", context)
