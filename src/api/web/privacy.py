"""The DPO's pages: consent audit, a customer's consent history, erasure requests, access log."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.users import User
from api.web.session import page_user
from api.web.templating import HELSINKI, render
from api.wiring import Services
from crm.errors import CustomerNotFoundError
from crm.vocabulary import PURPOSES
from projections import consent_audit
from projections.consent_ledger import ConsentLedger
from projections.runner import wait_until_caught_up
from projections.timeline import Timeline

router = APIRouter(prefix="/ui/privacy", include_in_schema=False)
DPO = Annotated[User, Depends(page_user)]
AUDIT_LIMIT = 10_000
LIST_LIMIT = 500


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _day(value: str) -> datetime | None:
    try:
        return datetime.combine(datetime.fromisoformat(value).date(), time(), HELSINKI)
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
    timeline, ledger = services.views.get(Timeline), services.views.get(ConsentLedger)
    # Both views at one log position, so each contact is judged with its own consents.
    try:
        wait_until_caught_up(
            services.projector, [timeline, ledger], services.settings.read_wait_timeout * 5
        )
        behind = False
    except TimeoutError:
        behind = True
    contacts = consent_audit.marketing_contacts(
        timeline, ledger, since, until, chosen, limit=AUDIT_LIMIT
    )
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
        "intervals": ledger.intervals(customer.id),
    }
    return render(request, "privacy_consents.html", context)


@router.get("/erasures")
def erasures_page(request: Request, user: DPO, status: str = "open") -> HTMLResponse:
    """Erasure requests with their one-month deadlines; overdue ones stand out."""
    privacy = _services(request).privacy
    assert privacy is not None
    now = datetime.now(UTC)
    requests = privacy.requests.list(
        open_only=status != "all",
        due_before=now if status == "overdue" else None,
        limit=LIST_LIMIT,
    )
    context = {"requests": requests, "now": now, "status": status}
    return render(request, "privacy_erasures.html", context)


@router.get("/access-log")
def access_log_page(
    request: Request, user: DPO, customer: str = "", reader: str = ""
) -> HTMLResponse:
    """Who read whose personal data, when, through which page or endpoint, and why."""
    log = _services(request).access_log
    assert log is not None
    try:
        customer_id = UUID(customer) if customer else None
    except ValueError:
        customer_id = None
    accesses = log.list(customer_id=customer_id, user_name=reader.strip() or None, limit=LIST_LIMIT)
    context = {"accesses": accesses, "filters": {"customer": customer, "reader": reader}}
    return render(request, "privacy_access_log.html", context)
