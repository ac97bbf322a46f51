"""Erasure (GDPR art. 17) and restriction (art. 18) as application commands.

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
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from crm.application.crm import CRM, MAX_ATTEMPTS, Command, ConcurrencyError, Recorded
from crm.domain import events as ev
from crm.domain.calendar import one_month_after
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import InvalidFieldError

RequestStatus = Literal["all", "open", "overdue"]
PRIVACY_INSTITUTION = "joint"
PRIVACY_CHANNEL = "other"


@dataclass(frozen=True)
class ErasureRequest:
    """A data subject's request to be erased, its deadline and, once done, its certificate."""

    request_id: UUID
    customer_id: UUID
    requested_by: str
    reason: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None = None
    certificate: dict[str, Any] | None = None

    def overdue(self, now: datetime) -> bool:
        """Whether the deadline passed without the request being completed."""
        return self.completed_at is None and self.due_at < now


class ErasureRegister(ABC):
    """Where erasure requests are kept (a mutable table: they hold no personal data)."""

    @abstractmethod
    def receive(self, request: ErasureRequest) -> ErasureRequest:
        """Store a new request; a known request id returns the stored one unchanged."""

    @abstractmethod
    def complete(self, request_id: UUID, at: datetime, certificate: dict[str, Any]) -> None:
        """Mark a request done with its certificate (the first completion wins)."""

    @abstractmethod
    def get(self, request_id: UUID) -> ErasureRequest | None:
        """One request by id."""

    @abstractmethod
    def list(self, *, open_only: bool = False, due_before: datetime | None = None,
             limit: int = 500) -> list[ErasureRequest]:  # fmt: skip
        """Requests, oldest first; optionally only open ones due before a time."""


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

    def get(self, request_id: UUID) -> ErasureRequest | None:
        return self.requests.get(request_id)

    def list(self, *, open_only: bool = False, due_before: datetime | None = None,
             limit: int = 500) -> list[ErasureRequest]:  # fmt: skip
        found = sorted(self.requests.values(), key=lambda r: r.received_at)
        if open_only:
            found = [r for r in found if r.completed_at is None]
        if due_before is not None:
            found = [r for r in found if r.due_at < due_before]
        return found[:limit]


class Privacy:
    """The DPO's commands: erase a customer, restrict or lift processing."""

    def __init__(
        self,
        crm: CRM,
        requests: ErasureRegister,
        purge_snapshots: Callable[[UUID], int] | None = None,
        vacuum: Callable[[int | None], object] | None = None,
    ) -> None:
        self.crm = crm
        self.requests = requests
        self._purge_snapshots = purge_snapshots
        self._vacuum = vacuum
        """Given the `Erased` event's log position: VACUUM what the erasure deleted from."""

    def erase_customer(
        self,
        customer_id: UUID,
        requested_by: str,
        reason: str,
        request_id: UUID,
        now: datetime,
    ) -> ErasureRequest:
        """Erase the customer for the request; repeating a request finishes or returns it."""
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
            )
        )
        if request.customer_id != customer_id:
            raise InvalidFieldError("request_id", "belongs to a request for another customer")
        if request.completed_at is not None:
            return request
        erased_event, position = self._record_erased(customer, request)
        # The event comes first: saving a customer creates a data key when it has none.
        key_destroyed = self.crm.keys.destroy(customer_id)
        claims_released = self.crm.identities.release(customer_id)
        snapshots_deleted = self._purge_snapshots(customer_id) if self._purge_snapshots else 0
        self.evict(customer_id)
        if self._vacuum is not None:
            self._vacuum(position)
        stored = self.crm.recorder.select_events(customer_id)
        certificate: dict[str, Any] = {
            "request_id": str(request.request_id),
            "customer_id": str(customer_id),
            "requested_by": request.requested_by,
            "reason": request.reason,
            "received_at": request.received_at.isoformat(),
            "due_at": request.due_at.isoformat(),
            "completed_at": now.isoformat(),
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
                "events_with_personal_data_now_unreadable": sum(
                    b'"personal"' in event.state for event in stored
                ),
            },
            "kept": "non-personal facts (kinds, dates, amounts, institutions, channels)",
        }
        self.requests.complete(request.request_id, now, certificate)
        completed = self.requests.get(request.request_id)
        assert completed is not None
        return completed

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

    def overdue_requests(self, now: datetime) -> list[ErasureRequest]:
        """Open erasure requests whose one-month deadline has passed."""
        return self.requests.list(open_only=True, due_before=now)

    def list_requests(
        self, status: RequestStatus, now: datetime, limit: int = 500
    ) -> list[ErasureRequest]:
        """Erasure requests, oldest first: all, the open ones, or the open ones past due."""
        return self.requests.list(
            open_only=status != "all",
            due_before=now if status == "overdue" else None,
            limit=limit,
        )

    # Mechanism ----------------------------------------------------------------------------

    def _record_erased(
        self, customer: Customer, request: ErasureRequest
    ) -> tuple[ev.Erased, int | None]:
        provenance = Provenance(
            occurred_at=request.received_at,
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
            customer.erase(provenance, request.reason)
            try:
                recordings = self.crm.save(customer)
            except IntegrityError:
                customer = self.crm.get_customer(customer.id)
                continue
            event = recordings[-1].domain_event
            assert isinstance(event, ev.Erased)
            return event, recordings[-1].notification.id
        raise ConcurrencyError("The customer kept changing during the erasure; try again.")
