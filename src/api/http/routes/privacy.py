"""Privacy (DPO only): erasure, access export, restriction, consents, access log, retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AwareDatetime

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.auth import require
from api.http.dependencies import IdempotencyHeader, ServicesDep, record_keeping_provenance
from api.http.errors import ViewBehindError
from api.http.parameters import Offset
from api.http.privacy_schemas import (
    AccessOut,
    AccessPageOut,
    AuditedContactOut,
    ConsentAuditOut,
    ConsentChangeCountOut,
    ConsentGivenOut,
    ConsentsOut,
    ConsentStateOut,
    DecisionIn,
    ErasureIn,
    ErasureOut,
    ExpiringConsentOut,
    PrivacyRequestIn,
    RequestPageOut,
    RestrictionIn,
    RetentionDecisionOut,
)
from api.http.schemas import RecordedOut
from api.permissions import Permission
from api.services.access_log import access_csv, access_page, customer_filter
from api.services.consent_audit import audit_csv_lines, caught_up_audit_views
from api.services.erasures import purged_views
from api.services.privacy_export import export_zip, person_export
from crm.application.privacy import ErasureRequest, RequestStatus
from crm.application.users import User
from crm.domain import events as ev
from crm.domain.consents import consents_as_of
from crm.domain.errors import InvalidFieldError
from crm.domain.restrictions import restricted_as_of
from crm.domain.vocabulary import PURPOSES
from projections.audits import consent_audit
from projections.audits.consent_audit import AUDIT_COLUMNS

router = APIRouter(prefix="/privacy", tags=["privacy"])
DPO = Annotated[User, Depends(require(Permission.RUN_PRIVACY))]


def erasure_out(services: Services, request: ErasureRequest) -> ErasureOut:
    """The request with, per read model, whether it has purged the customer yet."""
    return ErasureOut.of(request, datetime.now(UTC), purged_views(services, request))


@router.post("/erasures", status_code=201, responses={200: {"model": ErasureOut}})
def create_erasure(
    body: ErasureIn, response: Response, services: ServicesDep, user: DPO
) -> ErasureOut:
    """Erase a customer: record `Erased`, destroy the data key, purge views; returns a certificate.

    Repeating a `request_id` finishes an interrupted erasure or returns the finished one (200).
    """
    request_id = body.request_id or uuid4()
    known = services.privacy.requests.get(request_id)
    request = services.privacy.erase_customer(
        body.customer_id, user.name, body.reason, request_id, datetime.now(UTC)
    )
    if known is not None:
        response.status_code = 200
    return erasure_out(services, request)


@router.get("/erasures")
def list_erasures(
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    status: Annotated[RequestStatus, Query()] = "all",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> RequestPageOut:
    """Erasure requests, oldest first, a page at a time with their total; `overdue` lists
    open ones past their one-month deadline."""
    return _request_page(services, user, access, status, offset, limit)


@router.get("/erasures/{request_id}")
def read_erasure(
    request_id: UUID, services: ServicesDep, user: DPO, access: AccessLogged
) -> ErasureOut:
    """One erasure request and its certificate (the certificate holds no personal data)."""
    request = services.privacy.requests.get(request_id)
    if request is None:
        raise HTTPException(404, f"No erasure request {request_id}")
    access.record(user, [request.customer_id])
    return erasure_out(services, request)


@router.post("/requests", status_code=201, responses={200: {"model": ErasureOut}})
def receive_request(
    body: PrivacyRequestIn, response: Response, services: ServicesDep, user: DPO
) -> ErasureOut:
    """Log a data subject's request on arrival (erasure, access, rectification, restriction,
    objection); it stays open, due one month after `received_at`, until completed or refused.
    Repeating a `request_id` returns the request (200)."""
    request_id = body.request_id or uuid4()
    known = services.privacy.requests.get(request_id)
    if known is not None and known.customer_id == body.customer_id:
        response.status_code = 200
        return erasure_out(services, known)
    request = services.privacy.receive_request(
        body.customer_id,
        body.kind,
        received_at=body.received_at,
        channel=body.channel,
        identity_check=body.identity_check,
        details=body.details,
        handled_by=user.name,
        request_id=request_id,
        now=datetime.now(UTC),
    )
    return erasure_out(services, request)


@router.get("/requests")
def list_requests(
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    status: Annotated[RequestStatus, Query()] = "open",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> RequestPageOut:
    """Requests, oldest first, a page at a time with their total: `open`, `due_soon` (within
    7 days), `overdue`, `closed`, `all`."""
    return _request_page(services, user, access, status, offset, limit)


def _request_page(
    services: Services,
    user: User,
    access: AccessRecorder,
    status: RequestStatus,
    offset: int,
    limit: int,
) -> RequestPageOut:
    now = datetime.now(UTC)
    found, total = services.privacy.list_requests(status, now, offset, limit)
    access.record(user, [r.customer_id for r in found])
    return RequestPageOut(
        requests=[ErasureOut.of(r, now) for r in found], total=total, offset=offset
    )


@router.get("/requests/{request_id}")
def read_request(
    request_id: UUID, services: ServicesDep, user: DPO, access: AccessLogged
) -> ErasureOut:
    """One request: its text, deadline, decisions and certificate."""
    request = services.privacy.requests.get(request_id)
    if request is None:
        raise HTTPException(404, f"No request {request_id}")
    access.record(user, [request.customer_id])
    return erasure_out(services, request)


@router.post("/requests/{request_id}/extension")
def extend_request(
    request_id: UUID, body: DecisionIn, services: ServicesDep, user: DPO
) -> ErasureOut:
    """Extend the deadline once by two months (GDPR art. 12(3)), saying why."""
    request = services.privacy.extend_request(request_id, body.reason, user.name, datetime.now(UTC))
    return erasure_out(services, request)


@router.post("/requests/{request_id}/refusal")
def refuse_request(
    request_id: UUID, body: DecisionIn, services: ServicesDep, user: DPO
) -> ErasureOut:
    """Refuse an open request, with the reason the data subject is given."""
    request = services.privacy.refuse_request(request_id, body.reason, user.name, datetime.now(UTC))
    return erasure_out(services, request)


@router.post("/requests/{request_id}/completion")
def complete_request(request_id: UUID, services: ServicesDep, user: DPO) -> ErasureOut:
    """Carry out an open request: erase, restrict, or record access/rectification/objection
    as done; returns the certificate."""
    request = services.privacy.complete_request(request_id, user.name, datetime.now(UTC))
    return erasure_out(services, request)


@router.get(
    "/exports/{customer_id}",
    responses={200: {"content": {"application/zip": {}}, "description": "JSON or a CSV bundle"}},
)
def export_customer(
    customer_id: UUID,
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    format: Annotated[Literal["json", "csv"], Query(description="csv gives a ZIP bundle")] = "json",
) -> Response:
    """Everything held about the customer: replayed events, consents and the access log."""
    _, document = person_export(
        services, customer_id, datetime.now(UTC), lambda shown: access.record(user, shown)
    )
    if format == "csv":
        return Response(
            export_zip(document),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="export-{customer_id}.zip"'},
        )
    return JSONResponse(document)


@router.post("/restrictions", status_code=201)
def restrict_processing(
    body: RestrictionIn,
    services: ServicesDep,
    user: DPO,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Restrict processing (GDPR art. 18): no marketing contacts or segments until lifted."""
    recorded = services.privacy.restrict_processing(
        body.customer_id,
        record_keeping_provenance(
            services,
            user,
            body.idempotency_key or idempotency_key,
            {"restriction": body.model_dump(mode="json")},
        ),
        body.reason,
    )
    return RecordedOut(**vars(recorded))


@router.delete("/restrictions/{customer_id}")
def lift_restriction(
    customer_id: UUID,
    services: ServicesDep,
    user: DPO,
    reason: Annotated[str, Query(min_length=1, max_length=500)],
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Lift a restriction of processing."""
    recorded = services.privacy.lift_restriction(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            idempotency_key,
            {"lift_restriction": reason, "customer_id": str(customer_id)},
        ),
        reason,
    )
    return RecordedOut(**vars(recorded))


@router.get("/consents/{customer_id}")
def read_consents(
    customer_id: UUID,
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    as_of: Annotated[datetime | None, Query(description="Default: now")] = None,
) -> ConsentsOut:
    """Every consent purpose of the customer as it stood at `as_of`, with its evidence and the
    record it is on: a customer that others were merged into is decided over its own and
    their changes together (a withdrawal on either keeps its effect)."""
    if as_of is not None and as_of.tzinfo is None:
        raise InvalidFieldError("as_of", "must include a time zone")
    at = as_of or datetime.now(UTC)
    journey = list(services.crm.get_journey(customer_id))
    customer = services.crm.get_customer(customer_id)
    absorbed = [] if customer.merged_into else services.crm.other_records(customer)
    merged = [list(services.crm.get_journey(other)) for other in absorbed]
    state = consents_as_of(journey, at, services.settings.consent_validity_months, merged)
    access.record(user, [customer_id, *absorbed])
    return ConsentsOut(
        customer_id=customer_id,
        as_of=at,
        restricted=restricted_as_of(journey, at),
        erased=any(isinstance(e, ev.Erased) for e in journey),
        consents=[
            ConsentStateOut(
                purpose=purpose,
                granted=change.granted,
                since=change.occurred_at,
                change=change.kind,
                lawful_basis=change.lawful_basis,
                evidence=change.evidence,
                channel=change.channel,
                record_id=change.record_id,
            )
            for purpose, change in sorted(state.items())
        ],
    )


@router.get(
    "/access-log",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV"}},
)
def list_access_log(
    services: ServicesDep,
    user: DPO,
    customer_id: Annotated[UUID | None, Query(description="One customer, by id.")] = None,
    customer: Annotated[
        str | None,
        Query(max_length=200, description="A customer id, or part of a name, or an e-mail."),
    ] = None,
    user_name: Annotated[str | None, Query(alias="user", max_length=200)] = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Reads of customers' personal data, newest first, by customer (id or name), user and time.

    The answer says how many reads match in all (`total`) and which slice it holds.
    """
    if start and end and start >= end:
        raise InvalidFieldError("end", "must be after start")
    chosen = customer_filter(services, str(customer_id) if customer_id else customer or "")
    page = access_page(services, chosen, user_name, start, end, offset, limit)
    if format == "csv":
        return Response(
            access_csv(page.accesses),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
        )
    body = AccessPageOut(
        total=page.total,
        offset=offset,
        limit=limit,
        accesses=[AccessOut(**vars(a)) for a in page.accesses],
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get("/retention-decisions")
def list_retention_decisions(
    services: ServicesDep,
    user: DPO,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[RetentionDecisionOut]:
    """The retention job's decisions, newest first: who was erased or kept, and why."""
    return [RetentionDecisionOut(**row) for row in services.retention_log.recent(limit)]


AuditFrom = Annotated[datetime | None, Query(alias="from")]
AuditTo = Annotated[datetime | None, Query(alias="to")]


def _audit_window(start: datetime | None, end: datetime | None, purpose: str | None) -> None:
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidFieldError(name, "must include a time zone")
    if start and end and start >= end:
        raise InvalidFieldError("to", "must be after from")
    if purpose is not None and purpose not in PURPOSES:
        raise InvalidFieldError("purpose", f"must be one of {', '.join(PURPOSES)}")


@router.get("/consent-audit")
def audit_consents(
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    start: AuditFrom = None,
    end: AuditTo = None,
    purpose: str | None = None,
    expiring_within_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Violations per page.")] = 1000,
) -> ConsentAuditOut:
    """Re-check every marketing contact in [from, to) against the consent ledger.

    `contacts_checked` and `violations_total` count every contact in the window; `violations`
    is one page of them (`offset`, `limit`), oldest first. Also lists consents given,
    withdrawn and expired per purpose and channel, each consent given in the window with its
    evidence, and consents expiring within N days. Every contact: `/privacy/consent-audit.csv`.
    """
    _audit_window(start, end, purpose)
    audited, behind = caught_up_audit_views(services)
    if behind:
        raise ViewBehindError(services.projector.head())
    ledger = audited.ledger
    now = datetime.now(UTC)
    totals = consent_audit.audit_totals(audited, start, end, purpose)
    page = consent_audit.marketing_contacts(
        audited, start, end, purpose, violations_only=True, offset=offset, limit=limit
    )
    given, given_total = consent_audit.consents_in_window(audited, start, end, purpose, now, limit)
    expiring, expiring_total = consent_audit.expiring(
        audited,
        now,
        expiring_within_days,
        services.settings.consent_validity_months,
        purpose,
        limit,
    )
    access.record(user, consent_audit.customers_shown([*page, *given, *expiring]))
    return ConsentAuditOut(
        start=start,
        end=end,
        purpose=purpose,
        contacts_checked=totals.contacts,
        violations_total=totals.violations,
        violations_offset=offset,
        violations=[AuditedContactOut(**row) for row in page],
        changes=[
            ConsentChangeCountOut(**row)
            for row in consent_audit.changes_by_purpose_and_channel(ledger, start, end, purpose)
        ],
        consents=[ConsentGivenOut(**row) for row in given],
        consents_total=given_total,
        expiring=[ExpiringConsentOut(**row) for row in expiring],
        expiring_total=expiring_total,
    )


@router.get(
    "/consent-audit.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": ",".join(AUDIT_COLUMNS)}},
)
def export_consent_audit(
    services: ServicesDep,
    user: DPO,
    access: AccessLogged,
    start: AuditFrom = None,
    end: AuditTo = None,
    purpose: str | None = None,
    violations_only: bool = False,
) -> StreamingResponse:
    """CSV of every marketing contact in [from, to) with the consent that covered it and its
    verdict (or only the violations), oldest first; no row limit."""
    _audit_window(start, end, purpose)
    audited, behind = caught_up_audit_views(services)
    if behind:
        raise ViewBehindError(services.projector.head())
    customers: list[UUID] = []

    def lines_then_log() -> Iterator[str]:
        yield from audit_csv_lines(
            audited, start, end, purpose, violations_only=violations_only, seen=customers.append
        )
        access.record(user, dict.fromkeys(customers))

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        lines_then_log(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="consent-audit-{stamp}.csv"'},
    )
