"""The DPO's requests (GDPR arts. 15-21), erasure (art. 17) and restriction (art. 18).

A data subject's request is received with the day it arrived, the channel, the identity
check and who handles it; it is open until completed or refused, due one month after receipt
(extendable once by two months with a reason). Requests are not customer events unless they
change the customer: completing an erasure or a restriction does.

Erasing a customer records an `Erased` event, destroys the customer's data key (crypto-shredding
every personal field of every event and snapshot), deletes the customer's snapshots and identity
claims, evicts the cached aggregate, vacuums the tables it deleted from (and the read models
once they purged the customer, so no dead row version keeps a copy) and completes the request
with a certificate that holds no personal data. Each step is idempotent, so a request
interrupted half-way is finished by repeating it. Requests are tracked against the GDPR
deadline of one month.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, get_args
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from crm.application.crm import CRM, MAX_ATTEMPTS, Command, ConcurrencyError, Recorded
from crm.domain import events as ev
from crm.domain.calendar import months_after, one_month_after
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import InvalidFieldError

RequestStatus = Literal["all", "open", "due_soon", "overdue", "closed"]
REQUEST_STATUSES: tuple[str, ...] = get_args(RequestStatus)
RequestKind = Literal["erasure", "access", "rectification", "restriction", "objection"]
REQUEST_KINDS: tuple[str, ...] = get_args(RequestKind)
RequestChannel = Literal["email", "letter", "phone", "in_person", "web_form", "other"]
REQUEST_CHANNELS: tuple[str, ...] = get_args(RequestChannel)
IdentityCheck = Literal[
    "strong_electronic_id", "id_document", "known_contact_details", "not_verified"
]
IDENTITY_CHECKS: tuple[str, ...] = get_args(IdentityCheck)
PRIVACY_INSTITUTION = "joint"
PRIVACY_CHANNEL = "other"
DUE_SOON_DAYS = 7
EXTENSION_MONTHS = 2
BACKUPS_NOTE = (
    "Backups and WAL archives taken before completion still hold the data, encrypted, until"
    " they expire under the backup retention policy; they are never restored into service"
    " without repeating this erasure."
)


@dataclass(frozen=True)
class ErasureRequest:
    """A data subject's request (erasure, access, ...), its deadline and how it ended.

    `reason` holds the request as the DPO wrote it down; it is personal data, so the
    register keeps it sealed with the customer's key (gone once the customer is erased).
    """

    request_id: UUID
    customer_id: UUID
    requested_by: str
    reason: str | None
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None = None
    certificate: dict[str, Any] | None = None
    kind: str = "erasure"
    channel: str = "other"
    identity_check: str = "not_verified"
    handled_by: str | None = None
    extended_at: datetime | None = None
    extension_reason: str | None = None
    refused_at: datetime | None = None
    refusal_reason: str | None = None

    @property
    def closed(self) -> bool:
        return self.completed_at is not None or self.refused_at is not None

    def overdue(self, now: datetime) -> bool:
        """Whether the deadline passed without the request being completed or refused."""
        return not self.closed and self.due_at < now

    def due_soon(self, now: datetime) -> bool:
        """Open and due within `DUE_SOON_DAYS` (not yet overdue)."""
        return not self.closed and now <= self.due_at < now + timedelta(days=DUE_SOON_DAYS)

    def status(self, now: datetime) -> str:
        """completed, refused, overdue, due_soon or open."""
        if self.completed_at is not None:
            return "completed"
        if self.refused_at is not None:
            return "refused"
        return "overdue" if self.overdue(now) else "due_soon" if self.due_soon(now) else "open"


class RequestStateError(InvalidFieldError):
    """A request was extended, refused or completed when it no longer could be."""


@dataclass(frozen=True)
class RequestSelection:
    """Which requests a list holds: open or closed ones, due in a window of time."""

    open_only: bool = False
    closed_only: bool = False
    due_from: datetime | None = None
    due_before: datetime | None = None

    @classmethod
    def of(cls, status: RequestStatus, now: datetime) -> RequestSelection:
        """The selection a status names at `now` (`ErasureRequest.status` in list form)."""
        if status == "due_soon":
            return cls(open_only=True, due_from=now, due_before=now + timedelta(days=DUE_SOON_DAYS))
        return cls(
            open_only=status in ("open", "overdue"),
            closed_only=status == "closed",
            due_before=now if status == "overdue" else None,
        )

    def holds(self, request: ErasureRequest) -> bool:
        return (
            not (self.open_only and request.closed)
            and not (self.closed_only and not request.closed)
            and (self.due_from is None or request.due_at >= self.due_from)
            and (self.due_before is None or request.due_at < self.due_before)
        )


class ErasureRegister(ABC):
    """Where erasure requests are kept (a mutable table: they hold no personal data)."""

    @abstractmethod
    def receive(self, request: ErasureRequest) -> ErasureRequest:
        """Store a new request; a known request id returns the stored one unchanged."""

    @abstractmethod
    def complete(self, request_id: UUID, at: datetime, certificate: dict[str, Any]) -> None:
        """Mark a request done with its certificate (the first completion wins)."""

    @abstractmethod
    def decide(self, request: ErasureRequest) -> None:
        """Store an open request's extension, refusal and handler as the request holds them."""

    @abstractmethod
    def get(self, request_id: UUID) -> ErasureRequest | None:
        """One request by id."""

    @abstractmethod
    def list(self, selection: RequestSelection, offset: int = 0,
             limit: int = 500) -> tuple[list[ErasureRequest], int]:  # fmt: skip
        """The requests the selection holds, oldest first, from `offset`, at most `limit`,
        and how many it holds in all."""


class InMemoryErasureRegister(ErasureRegister):
    """Requests in a dict: for unit tests on the in-memory event store."""

    def __init__(self) -> None:
        self.requests: dict[UUID, ErasureRequest] = {}

    def receive(self, request: ErasureRequest) -> ErasureRequest:
        return self.requests.setdefault(request.request_id, request)

    def complete(self, request_id: UUID, at: datetime, certificate: dict[str, Any]) -> None:
        request = self.requests[request_id]
        if request.completed_at is None:
            self.requests[request_id] = replace(request, completed_at=at, certificate=certificate)

    def decide(self, request: ErasureRequest) -> None:
        if not self.requests[request.request_id].closed:
            self.requests[request.request_id] = request

    def get(self, request_id: UUID) -> ErasureRequest | None:
        return self.requests.get(request_id)

    def list(self, selection: RequestSelection, offset: int = 0,
             limit: int = 500) -> tuple[list[ErasureRequest], int]:  # fmt: skip
        found = [
            r
            for r in sorted(self.requests.values(), key=lambda r: r.received_at)
            if selection.holds(r)
        ]
        return found[offset : offset + limit], len(found)


class Privacy:
    """The DPO's commands: erase a customer, restrict or lift processing."""

    def __init__(
        self,
        crm: CRM,
        requests: ErasureRegister,
        purge_snapshots: Callable[[UUID], int] | None = None,
        vacuum: Callable[[int | None], object] | None = None,
        forget_import_sources: Callable[[UUID], int] | None = None,
    ) -> None:
        self.crm = crm
        self.requests = requests
        self._purge_snapshots = purge_snapshots
        self._vacuum = vacuum
        self._forget_import_sources = forget_import_sources
        """Given the `Erased` event's log position: VACUUM what the erasure deleted from."""

    def receive_request(
        self,
        customer_id: UUID,
        kind: str,
        *,
        received_at: datetime,
        channel: str,
        identity_check: str,
        details: str,
        handled_by: str,
        request_id: UUID,
        now: datetime,
    ) -> ErasureRequest:
        """Log a request on arrival; the deadline runs from `received_at`, not from today."""
        for name, value, allowed in (
            ("kind", kind, REQUEST_KINDS),
            ("channel", channel, REQUEST_CHANNELS),
            ("identity_check", identity_check, IDENTITY_CHECKS),
        ):
            if value not in allowed:
                raise InvalidFieldError(name, f"must be one of {', '.join(allowed)}")
        if received_at.tzinfo is None:
            raise InvalidFieldError("received_at", "must include a time zone")
        if received_at > now:
            raise InvalidFieldError("received_at", "must not be in the future")
        if not details.strip():
            raise InvalidFieldError("details", "must not be empty")
        customer = self.crm.get_customer(customer_id)  # unknown ids end here
        if customer.erased:
            raise RequestStateError("customer_id", "the customer is erased already")
        request = self.requests.receive(
            ErasureRequest(
                request_id=request_id,
                customer_id=customer_id,
                requested_by=handled_by,
                reason=details.strip(),
                received_at=received_at,
                due_at=one_month_after(received_at),
                kind=kind,
                channel=channel,
                identity_check=identity_check,
                handled_by=handled_by,
            )
        )
        if request.customer_id != customer_id:
            raise InvalidFieldError("request_id", "belongs to a request for another customer")
        return request

    def extend_request(
        self, request_id: UUID, reason: str, handled_by: str, now: datetime
    ) -> ErasureRequest:
        """Extend an open request's deadline once, by two months, for a stated reason."""
        request = self._open_request(request_id)
        if request.extended_at is not None:
            raise RequestStateError("request_id", "the deadline was extended already")
        if not reason.strip():
            raise InvalidFieldError("reason", "must not be empty")
        extended = replace(
            request,
            due_at=months_after(request.due_at, EXTENSION_MONTHS),
            extended_at=now,
            extension_reason=reason.strip(),
            handled_by=handled_by,
        )
        self.requests.decide(extended)
        return self._stored(request_id)

    def refuse_request(
        self, request_id: UUID, reason: str, handled_by: str, now: datetime
    ) -> ErasureRequest:
        """Refuse an open request, saying why (the data subject is told the reason)."""
        request = self._open_request(request_id)
        if not reason.strip():
            raise InvalidFieldError("reason", "must not be empty")
        refused = replace(
            request, refused_at=now, refusal_reason=reason.strip(), handled_by=handled_by
        )
        self.requests.decide(refused)
        return self._stored(request_id)

    def complete_request(self, request_id: UUID, handled_by: str, now: datetime) -> ErasureRequest:
        """Carry out an open request and record its certificate.

        Erasure erases the customer; restriction restricts processing (if not already);
        access, rectification and objection record that the DPO completed them (the access
        document and any corrections are made through their own pages).
        """
        request = self.requests.get(request_id)
        if request is None:
            raise RequestStateError("request_id", "no such request")
        if request.refused_at is not None:
            raise RequestStateError("request_id", "the request was refused")
        if request.kind == "erasure":
            return self._erase(self.crm.get_customer(request.customer_id), request, now, handled_by)
        if request.completed_at is not None:
            return request
        customer = self.crm.get_customer(request.customer_id)
        certificate = self._certificate(request, now, handled_by)
        if request.kind == "restriction":
            if not customer.restricted:
                self.restrict_processing(
                    customer.id,
                    self._provenance(request, now, handled_by),
                    f"data subject request {request.request_id}",
                )
            certificate["restricted"] = True
        self.requests.complete(request.request_id, now, certificate)
        return self._stored(request_id)

    def erase_customer(
        self,
        customer_id: UUID,
        requested_by: str,
        reason: str,
        request_id: UUID,
        now: datetime,
    ) -> ErasureRequest:
        """Receive and complete an erasure at once (retention, scripts, the API's one step);
        repeating a request finishes or returns it."""
        if not reason.strip():
            raise InvalidFieldError("reason", "must not be empty")
        if now.tzinfo is None:
            raise InvalidFieldError("now", "must include a time zone")
        customer = self.crm.get_customer(customer_id)  # unknown ids end here, before any record
        request = self.requests.receive(
            ErasureRequest(
                request_id=request_id,
                customer_id=customer_id,
                requested_by=requested_by,
                reason=reason,
                received_at=now,
                due_at=one_month_after(now),
                handled_by=requested_by,
            )
        )
        if request.customer_id != customer_id:
            raise InvalidFieldError("request_id", "belongs to a request for another customer")
        return self._erase(customer, request, now, requested_by)

    def _erase(
        self, customer: Customer, request: ErasureRequest, now: datetime, handled_by: str
    ) -> ErasureRequest:
        if request.completed_at is not None:
            return request
        customer_id = customer.id
        # A merged person is several records: each is erased with its own key.
        linked = [self.crm.get_customer(other) for other in self.crm.other_records(customer)]
        erased_event, position = self._record_erased(customer, request, now)
        # The event comes first: saving a customer creates a data key when it has none.
        key_destroyed = self.crm.keys.destroy(customer_id)
        claims_released = self.crm.identities.release(customer_id)
        snapshots_deleted = self._purge_snapshots(customer_id) if self._purge_snapshots else 0
        import_sources = (
            self._forget_import_sources(customer_id) if self._forget_import_sources else 0
        )
        self.evict(customer_id)
        for record in linked:
            _, linked_position = self._record_erased(record, request, now)
            position = max(position or 0, linked_position or 0) or None
            self.crm.keys.destroy(record.id)
            claims_released += self.crm.identities.release(record.id)
            if self._purge_snapshots:
                snapshots_deleted += self._purge_snapshots(record.id)
            self.evict(record.id)
        if self._vacuum is not None:
            self._vacuum(position)
        stored = self.crm.recorder.select_events(customer_id)
        certificate = self._certificate(request, now, handled_by)
        certificate.update(
            {
                "erased_event": {
                    "version": erased_event.originator_version,
                    "position": position,
                    "recorded_at": erased_event.timestamp.isoformat(),
                    "recorded_by": erased_event.recorded_by,
                },
                "destroyed": {
                    "data_key": "destroyed" if key_destroyed else "already destroyed",
                    "identity_claims_deleted": claims_released,
                    "snapshots_deleted": snapshots_deleted,
                    "import_source_names_removed": import_sources,
                    "events_with_personal_data_now_unreadable": sum(
                        b'"personal"' in event.state for event in stored
                    ),
                },
                "merged_records_erased": [str(record.id) for record in linked],
                "kept": "non-personal facts (kinds, dates, amounts, institutions, channels)",
                "backups": BACKUPS_NOTE,
            }
        )
        self.requests.complete(request.request_id, now, certificate)
        return self._stored(request.request_id)

    def _certificate(
        self, request: ErasureRequest, now: datetime, handled_by: str
    ) -> dict[str, Any]:
        """What every certificate states; never the request's text (it is personal)."""
        return {
            "request_id": str(request.request_id),
            "customer_id": str(request.customer_id),
            "kind": request.kind,
            "channel": request.channel,
            "identity_check": request.identity_check,
            "requested_by": request.requested_by,
            "handled_by": handled_by,
            "received_at": request.received_at.isoformat(),
            "due_at": request.due_at.isoformat(),
            "extended": request.extended_at is not None,
            "completed_at": now.isoformat(),
        }

    def _open_request(self, request_id: UUID) -> ErasureRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise RequestStateError("request_id", "no such request")
        if request.closed:
            raise RequestStateError("request_id", "the request is closed already")
        return request

    def _stored(self, request_id: UUID) -> ErasureRequest:
        stored = self.requests.get(request_id)
        assert stored is not None
        return stored

    def _provenance(self, request: ErasureRequest, now: datetime, by: str) -> Provenance:
        return Provenance(
            occurred_at=now,
            institution=PRIVACY_INSTITUTION,
            channel=PRIVACY_CHANNEL,
            recorded_by=by,
            idempotency_key=f"{request.kind}:{request.request_id}",
        )

    def evict(self, customer_id: UUID) -> None:
        """Drop this process's cached copy of the customer (it holds decrypted names)."""
        cache = self.crm.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                cache.get(customer_id, evict=True)

    def restrict_processing(
        self, customer_id: UUID, provenance: Provenance, reason: str
    ) -> Recorded:
        """Restrict processing (GDPR art. 18) until lifted."""
        return self.crm.execute(
            Command(customer_id, provenance, lambda c: c.restrict_processing(provenance, reason))
        )

    def lift_restriction(self, customer_id: UUID, provenance: Provenance, reason: str) -> Recorded:
        """Lift a restriction of processing."""
        return self.crm.execute(
            Command(customer_id, provenance, lambda c: c.lift_restriction(provenance, reason))
        )

    def list_requests(
        self, status: RequestStatus, now: datetime, offset: int = 0, limit: int = 500
    ) -> tuple[list[ErasureRequest], int]:
        """Requests, oldest first: all, open, due soon, overdue or closed; one page of them
        and how many there are in all."""
        return self.requests.list(RequestSelection.of(status, now), offset, limit)

    # Mechanism ----------------------------------------------------------------------------

    def _record_erased(
        self, customer: Customer, request: ErasureRequest, now: datetime
    ) -> tuple[ev.Erased, int | None]:
        provenance = Provenance(
            occurred_at=now,
            institution=PRIVACY_INSTITUTION,
            channel=PRIVACY_CHANNEL,
            recorded_by=request.requested_by,
            idempotency_key=f"erasure:{request.request_id}",
        )
        for _ in range(MAX_ATTEMPTS):
            if customer.erased:
                erased = next(
                    e
                    for e in reversed(self.crm.get_journey(customer.id))
                    if isinstance(e, ev.Erased)
                )
                return erased, None
            customer.erase(provenance, request.reason or f"{request.kind} request")
            try:
                recordings = self.crm.save(customer)
            except IntegrityError:
                customer = self.crm.get_customer(customer.id)
                continue
            event = recordings[-1].domain_event
            assert isinstance(event, ev.Erased)
            return event, recordings[-1].notification.id
        raise ConcurrencyError(
            "The customer kept changing during the erasure; try again.", code="busy"
        )
