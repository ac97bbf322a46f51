"""Request and response models of the DPO's privacy routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from crm.application.privacy import ErasureRequest, IdentityCheck, RequestChannel, RequestKind


class ErasureIn(BaseModel):
    """A data subject's request to be erased."""

    customer_id: UUID
    reason: str = Field(min_length=1, max_length=500, description="No personal data here.")
    request_id: UUID | None = Field(
        default=None, description="Repeat a request's id to finish or read it again."
    )


class PrivacyRequestIn(BaseModel):
    """A data subject's request as it arrived: logged now, carried out later."""

    customer_id: UUID
    kind: RequestKind
    received_at: AwareDatetime = Field(
        description="When the request arrived (the deadline runs from here)."
    )
    channel: RequestChannel
    identity_check: IdentityCheck
    details: str = Field(
        min_length=1,
        max_length=2000,
        description="The request in brief; sealed with the customer's key.",
    )
    request_id: UUID | None = Field(
        default=None, description="Repeat to read the same request back."
    )


class DecisionIn(BaseModel):
    """Why a deadline is extended or a request refused (told to the data subject)."""

    reason: str = Field(min_length=1, max_length=2000)


class ErasureOut(BaseModel):
    """A data subject's request, its GDPR deadline, how it ended and its certificate."""

    request_id: UUID
    customer_id: UUID
    requested_by: str
    reason: str | None = Field(description="The request's text; gone once the customer is erased.")
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    overdue: bool
    status: str
    certificate: dict[str, Any] | None
    kind: str
    channel: str
    identity_check: str
    handled_by: str | None
    extended_at: datetime | None
    extension_reason: str | None
    refused_at: datetime | None
    refusal_reason: str | None
    projections_purged: dict[str, bool] = Field(
        default_factory=dict,
        description="Per read model: has it applied the Erased event (and purged the data)?",
    )

    @classmethod
    def of(
        cls, request: ErasureRequest, now: datetime, purged: dict[str, bool] | None = None
    ) -> ErasureOut:
        """The request as seen at `now`, with the read models' purge status if known."""
        return cls(
            **vars(request),
            overdue=request.overdue(now),
            status=request.status(now),
            projections_purged=purged or {},
        )


class RequestPageOut(BaseModel):
    """A page of requests and what it covers: items `offset + 1` to `offset + len(requests)`
    of `total`, oldest first."""

    requests: list[ErasureOut]
    total: int
    offset: int


class RestrictionIn(BaseModel):
    """Restrict processing of a customer's data (GDPR art. 18), or lift it."""

    customer_id: UUID
    reason: str = Field(min_length=1, max_length=500, description="No personal data here.")
    idempotency_key: str | None = Field(default=None, max_length=200)


class AccessOut(BaseModel):
    """One read of a customer's personal data."""

    accessed_at: datetime
    user_name: str
    user_role: str
    customer_id: UUID
    endpoint: str
    reason_code: str | None
    reason: str | None
    """Free text, sealed with the customer's key: gone once the customer is erased."""


class AccessPageOut(BaseModel):
    """One page of the access log: rows `offset + 1` to `offset + len(accesses)` of `total`."""

    total: int
    offset: int
    limit: int
    accesses: list[AccessOut]


class ConsentStateOut(BaseModel):
    """A consent purpose's state at a moment, with the change that set it."""

    purpose: str
    granted: bool
    since: datetime | None
    change: str | None = Field(description="consent_given, consent_withdrawn or consent_expired")
    lawful_basis: str | None
    evidence: str | None
    channel: str | None
    record_id: UUID | None = Field(
        description="The record the change is on: another than the customer's own when that"
        " record was merged into it."
    )


class ConsentsOut(BaseModel):
    """Every consent purpose of a customer as of a moment."""

    customer_id: UUID
    as_of: datetime
    restricted: bool
    erased: bool
    consents: list[ConsentStateOut]


class RetentionDecisionOut(BaseModel):
    """One decision of the retention job."""

    decided_at: datetime
    customer_id: UUID
    decision: str
    rule: str
    detail: str


class AuditedContactOut(BaseModel):
    """A marketing contact and the consent interval that covered it, or its violation."""

    customer_id: UUID
    version: int
    position: int
    kind: str
    occurred_at: datetime
    channel: str
    institution: str
    recorded_by: str
    purpose: str
    consent_from: datetime | None
    consent_to: datetime | None
    evidence: str | None
    lawful_basis: str | None
    consent_channel: str | None
    restricted: bool
    violation: str | None
    record_id: UUID = Field(
        description="The record the contact is on: another than `customer_id` when it was"
        " merged into that customer, whose merged consent history decides."
    )
    consent_record_id: UUID | None = Field(
        description="The record whose consent covered the contact (its evidence is that record's)."
    )


class ConsentChangeCountOut(BaseModel):
    """How many consents changed one way, per purpose and channel."""

    purpose: str
    channel: str
    change: str
    count: int


class ConsentIntervalOut(BaseModel):
    """A period in which a consent was in force: [valid_from, valid_to)."""

    purpose: str
    valid_from: datetime
    valid_to: datetime | None
    lawful_basis: str
    evidence: str | None = Field(description="None once the customer is erased.")
    channel: str
    institution: str
    ended_by: str | None
    record_id: UUID = Field(
        description="The record the grant is on: another than the customer's own when that"
        " record was merged into it (the evidence is that record's)."
    )


class ConsentGivenOut(ConsentIntervalOut):
    """A consent given in the window, with its evidence and how it ended."""

    customer_id: UUID


class ExpiringConsentOut(BaseModel):
    """A consent in force that reaches its validity limit soon."""

    customer_id: UUID
    record_id: UUID = Field(description="The record the grant is on (see ConsentIntervalOut).")
    purpose: str
    valid_from: datetime
    expires_at: datetime
    evidence: str | None = Field(description="None once the customer is erased.")
    channel: str


class ConsentAuditOut(BaseModel):
    """The DPO's consent audit over a window of business time."""

    start: datetime | None
    end: datetime | None
    purpose: str | None
    contacts_checked: int
    """Every marketing contact in the window."""
    violations_total: int
    """Every violation in the window; `violations` holds the page from `violations_offset`."""
    violations_offset: int
    violations: list[AuditedContactOut]
    changes: list[ConsentChangeCountOut]
    consents: list[ConsentGivenOut]
    """The first `limit` consents given in the window, oldest first."""
    consents_total: int
    """Every consent given in the window (more than `consents` holds when it is cut)."""
    expiring: list[ExpiringConsentOut]
    """The first `limit` consents that expire within the days asked, soonest first."""
    expiring_total: int
    """Every consent that expires within the days asked."""
