"""Request and response models at the HTTP boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.http.parameters import BIGINT_MAX
from crm.domain.vocabulary import Channel, CustomerKind, CustomerType, Institution
from projections.views.directory import Sort


class CustomerIn(BaseModel):
    """A person or organisation to register (or match by e-mail)."""

    model_config = ConfigDict(extra="forbid")

    kind: CustomerKind
    customer_type: CustomerType
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    sector: str | None = Field(default=None, max_length=100)
    account_manager: str | None = Field(default=None, max_length=100)
    institution: Institution = "joint"
    channel: Channel = "other"
    occurred_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class RecordedOut(BaseModel):
    """What a write produced; `position` lets a later read wait until it can see the write."""

    customer_id: UUID
    version: int
    position: int | None
    duplicate: bool


class AffiliationOut(BaseModel):
    organisation_id: UUID
    since: datetime


class CustomerOut(BaseModel):
    """A customer's profile as it stands now."""

    id: UUID
    kind: str
    customer_type: str
    name: str | None
    email: str | None
    phone: str | None
    sector: str | None
    account_manager: str | None
    first_seen: datetime | None
    affiliations: list[AffiliationOut]
    consents: dict[str, bool]
    lead_stages: dict[str, str]
    membership_tier: str | None
    erased: bool
    restricted: bool
    """Processing restricted (GDPR art. 18): no marketing contacts, segments or exports."""
    contacts_withheld: bool
    """Contact details held back from this reader (no marketing consent, or restricted)."""
    merged_into: UUID | None = None
    """The survivor this record was merged into (it then accepts no new events)."""
    merged_records: list[UUID] = []
    """Records merged into this customer, whose histories its timeline includes."""
    version: int


class CustomerSearchIn(BaseModel):
    """A search sent in the body, so the name or e-mail stays out of URLs and their logs."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        default="",
        max_length=200,
        description="Part of a name, an e-mail, a domain or a phone number (ignoring case and"
        " accents); an organisation's name also finds its people. Empty: everyone.",
    )
    kind: CustomerKind | None = Field(default=None, description="Only people or organisations.")
    mine: bool = Field(default=False, description="Only the caller's own customers.")
    account_manager: str | None = Field(
        default=None, max_length=200, description="Only this account manager's customers."
    )
    sort: Sort = Field(
        default="relevance",
        description="relevance (shortest matching name first), name or first_seen; a leading"
        " minus reverses.",
    )
    offset: int = Field(default=0, ge=0, le=BIGINT_MAX)
    limit: int = Field(default=50, ge=1, le=200)
    after: int | None = Field(
        default=None,
        ge=0,
        le=BIGINT_MAX,
        description="A log position the answer must include (from a write).",
    )


class CustomerSummaryOut(BaseModel):
    """A search result; contact details as the reader's role and the customer's consent allow."""

    id: UUID
    kind: str
    name: str | None
    email: str | None
    sector: str | None
    account_manager: str | None
    restricted: bool
    contacts_withheld: bool


class CustomerPageOut(BaseModel):
    """A page of a customer list: the items, how many match in all, and where the page starts."""

    items: list[CustomerSummaryOut]
    total: int
    offset: int
    limit: int


class TimelineEntryOut(BaseModel):
    """One event of a customer's journey."""

    customer_id: UUID
    """The stream the event is on: the customer's own, or a record merged into it."""
    version: int
    position: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    institution: str
    channel: str
    recorded_by: str
    details: dict[str, Any]
    retracted_in: int | None = None
    """The version of the `entry_retracted` entry that struck this one out, if any."""


class TimelinePageOut(BaseModel):
    entries: list[TimelineEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to read the next page.")


class AccountManagerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_manager: str = Field(min_length=1, max_length=100)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class ProfileIn(BaseModel):
    """Corrected contact details (rectification); fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    phone: str | None = Field(default=None, min_length=1, max_length=40)
    sector: str | None = Field(default=None, min_length=1, max_length=100)
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class AffiliationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation_id: UUID
    role: str | None = Field(default=None, max_length=200)
    occurred_at: AwareDatetime | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool


class TimelineQuery(BaseModel):
    """Filters and paging for a customer's timeline."""

    model_config = ConfigDict(extra="forbid")

    kind: list[str] = Field(default_factory=list, description="Only these kinds.")
    institution: list[Institution] = Field(default_factory=list)
    start: AwareDatetime | None = Field(default=None, description="Occurred at or after.")
    end: AwareDatetime | None = Field(default=None, description="Occurred before.")
    as_of: AwareDatetime | None = Field(default=None, description="The journey as it stood then.")
    cursor: str | None = Field(default=None, max_length=200)
    order: Literal["oldest", "newest"] = Field(
        default="oldest", description="Business-time order; a cursor continues in its order."
    )
    limit: int = Field(default=50, ge=1, le=500)
    after: int | None = Field(
        default=None,
        ge=1,
        le=BIGINT_MAX,
        description="Wait (briefly) until this log position is visible.",
    )
