"""The DPO's pages: consent audit, consent history and the access log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.services.access_log import access_csv, access_page, customer_filter
from api.services.consent_audit import audit_csv_lines, caught_up_audit_views
from api.web.forms import link_position
from api.web.session import page_user
from api.web.templating import render
from crm.application.users import User
from crm.domain.calendar import start_of_day
from crm.domain.errors import CustomerNotFoundError
from crm.domain.vocabulary import PURPOSES
from projections.audits import consent_audit
from projections.engine.merges import MergeMap
from projections.views.consent_ledger import ConsentLedger
from projections.views.directory import CustomerDirectory

router = APIRouter(prefix="/ui/privacy", include_in_schema=False)
DPO = Annotated[User, Depends(page_user)]
AUDIT_PAGE = 50
"""Violations per page of the consent audit."""
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
    request: Request,
    user: DPO,
    access: AccessLogged,
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
    first = link_position(offset, 0)
    audited, behind = caught_up_audit_views(services)
    ledger = audited.ledger
    totals = consent_audit.audit_totals(audited, since, until, chosen)
    violations = consent_audit.marketing_contacts(
        audited, since, until, chosen, violations_only=True, offset=first, limit=AUDIT_PAGE
    )
    expiring, expiring_total = consent_audit.expiring(
        audited,
        datetime.now(UTC),
        30,
        services.settings.consent_validity_months,
        chosen,
        LIST_LIMIT,
    )
    access.record(user, consent_audit.customers_shown([*violations, *expiring]))
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
        "expiring": expiring,
        "expiring_total": expiring_total,
    }
    return render(request, "privacy_audit.html", context)


def _audit_link(filters: dict[str, str], offset: int) -> str:
    return "/ui/privacy/consent-audit?" + urlencode({**filters, "offset": offset})


@router.get("/consent-audit.csv")
def consent_audit_csv(
    request: Request,
    user: DPO,
    access: AccessLogged,
    start: str = "",
    end: str = "",
    purpose: str = "",
) -> Response:
    """The audit of every marketing contact in the chosen window as CSV (no row limit)."""
    services = _services(request)
    audited, behind = caught_up_audit_views(services)
    if behind:
        return render(request, "error.html", {"message": "privacy.behind"}, status=503)
    chosen = purpose if purpose in PURPOSES else None
    customers: list[UUID] = []

    def lines_then_log() -> Iterator[str]:
        yield from audit_csv_lines(
            audited, _day(start), _day(end), chosen, violations_only=False, seen=customers.append
        )
        access.record(user, dict.fromkeys(customers))

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        lines_then_log(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consent-audit-{stamp}.csv"'},
    )


@router.get("/consents/{customer_id}")
def consent_history_page(
    request: Request, user: DPO, access: AccessLogged, customer_id: str
) -> HTMLResponse:
    """A customer's consent changes in business-time order and the intervals they made (with
    those of the records merged into it, each row naming the record it is on)."""
    services = _services(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    ledger = services.views.get(ConsentLedger)
    merged = services.views.get(MergeMap).absorbed_into(customer.id)
    access.record(user, [customer.id, *merged])
    context = {
        "customer": customer,
        "changes": ledger.changes(customer.id, merged),
        "intervals": ledger.intervals(customer.id, datetime.now(UTC), merged),
        "merged_records": _names(services, merged),
    }
    return render(request, "privacy_consents.html", context)


def _names(services: Services, customer_ids: list[UUID]) -> dict[UUID, str | None]:
    """Each customer's name by id, in the order given (None for an erased one)."""
    names = services.views.get(CustomerDirectory).names(customer_ids)
    return {customer_id: names.get(customer_id) for customer_id in customer_ids}


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
    number = max(1, link_position(page, 1))
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
