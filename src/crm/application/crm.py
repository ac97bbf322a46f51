"""The `CRM` application: one method per command, each loading a customer, deciding, saving."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
    StoredEvent,
    Transcoder,
    Transcoding,
)

from crm.adapters.encryption import KeyRing
from crm.adapters.mapper import PersonalDataMapper
from crm.domain import events as ev
from crm.domain.consents import CONSENT_VALIDITY_MONTHS
from crm.domain.customer import Customer, Provenance
from crm.domain.errors import (
    CustomerNotFoundError,
    InvalidFieldError,
    MergeError,
    MergeNotAllowedError,
    RuleViolationError,
)
from crm.domain.idempotency import IdempotencyKeyReusedError
from crm.domain.identity import IdentityIndex
from crm.domain.offering import normal_code, offering_id
from crm.speedups.saving import save_collecting_directly
from crm.speedups.transcoder import FastJSONTranscoder

MAX_ATTEMPTS = 20
BATCH_ATTEMPTS = 3


class ConcurrencyError(RuleViolationError):
    """Other writers kept changing the customer; the command gave up."""


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Recorded:
    """The outcome of a command: which customer, which version, and its log position."""

    customer_id: UUID
    version: int
    position: int | None
    """The event's position in the application log, for read-your-writes."""
    duplicate: bool = False
    """True when the idempotency key was seen before and nothing new was stored."""


PositionLookup = Callable[[UUID, int], int | None]
StreamReader = Callable[[dict[UUID, int]], dict[UUID, list[StoredEvent]]]
"""Stored events of many customers after the given versions, in one round trip."""


@dataclass(frozen=True)
class Command:
    """One decision to take on one customer under one idempotency key."""

    customer_id: UUID
    provenance: Provenance
    decide: Callable[[Customer], None]


Outcome = Recorded | Exception
"""What a command in a batch ended in: its result, or the error it failed with alone."""


class CRM(Application[UUID]):
    """Records and reads customer journeys."""

    name = "crm"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[UUID]], int]] = {
        Customer: 100
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        keys: KeyRing,
        identities: IdentityIndex,
        positions: PositionLookup | None = None,
        streams: StreamReader | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.keys = keys
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        """The time of recording: touchpoints dated later than it (beyond the skew) are refused."""
        self.consent_validity_months = CONSENT_VALIDITY_MONTHS
        """How long a consent counts for marketing contacts (the setting of the same name)."""
        self.identities = identities
        self._positions = positions
        self._streams = streams
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        return PersonalDataMapper(self.construct_transcoder(), self.keys)

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Save aggregates, first making sure every customer among them has a data key.

        A customer registered by these events gets its key without a look-up first. The
        rest is the library's `save`, except that customers hand over their events directly
        (`crm.speedups.saving`).
        """
        self.ensure_data_keys(obj for obj in objs if isinstance(obj, Customer))
        return save_collecting_directly(self, objs, kwargs, direct=Customer)

    def ensure_data_keys(self, customers: Iterable[Customer]) -> None:
        """Make sure every customer about to be saved has a data key. One registered by its
        pending events (all its events are pending) gets a new key without a look-up."""
        customers = list(customers)
        registered = {c.id for c in customers if c.version == len(c.pending_events)}
        self.keys.create_keys(registered)
        self.keys.ensure_keys(c.id for c in customers if c.id not in registered)

    # Commands -----------------------------------------------------------------------------

    def register_customer(
        self,
        provenance: Provenance,
        *,
        customer_kind: str,
        customer_type: str,
        name: str | None,
        email: str | None,
        phone: str | None = None,
        sector: str | None = None,
        account_manager: str | None = None,
    ) -> Recorded:
        """Register a customer, or return the one that already has this e-mail or key."""
        key_claim = self.identities.key_claim(provenance.idempotency_key)
        claims = [key_claim]
        if email:
            claims.append(self.identities.email_claim(email))
        for _ in range(MAX_ATTEMPTS):
            held = self.identities.find(claims)
            if held:
                customer_id = held.get(key_claim) or next(iter(held.values()))
                existing = self._find(customer_id)
                if existing is not None and existing.merged_into is not None:
                    # A record merged into another stands for the survivor.
                    customer_id = existing.merged_into
                    existing = self._find(customer_id)
                if existing is not None:
                    version = existing.version_for(provenance.idempotency_key) or existing.version
                    return Recorded(
                        customer_id, version, self._position_of(customer_id, version), True
                    )
                # The claim's registration died before its event was saved: finish it.
                self.identities.claim([c for c in claims if c not in held], customer_id)
            else:
                customer_id = uuid4()
                if not self.identities.claim(claims, customer_id):
                    continue
            customer = Customer.register(
                customer_id=customer_id,
                provenance=provenance,
                customer_kind=customer_kind,
                customer_type=customer_type,
                name=name,
                email=email,
                phone=phone,
                sector=sector,
                account_manager=account_manager,
            )
            try:
                recordings = self.save(customer)
            except IntegrityError:
                continue
            return self._recorded(customer, recordings)
        raise ConcurrencyError(
            "The registration kept colliding with others; try again.", code="busy"
        )

    def correct_profile(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        sector: str | None = None,
    ) -> Recorded:
        """Correct contact details, moving the e-mail look-up to the new address."""
        if email:
            claim = self.identities.email_claim(email)
            holder = self.identities.find([claim]).get(claim)
            if holder is not None and holder != customer_id:
                raise InvalidFieldError("email", "belongs to another customer")

        def correct(customer: Customer) -> None:
            customer.correct_profile(provenance, name=name, email=email, phone=phone, sector=sector)

        recorded = self._command(customer_id, provenance, correct)
        if email and not recorded.duplicate:
            self.identities.release(customer_id, prefix="email:")
            self.identities.claim([self.identities.email_claim(email)], customer_id)
        return recorded

    def assign_account_manager(
        self, customer_id: UUID, provenance: Provenance, account_manager: str
    ) -> Recorded:
        """Make a named account manager the customer's one point of contact."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.assign_account_manager(provenance, account_manager),
        )

    def start_affiliation(
        self, person_id: UUID, provenance: Provenance, organisation_id: UUID, role: str | None
    ) -> Recorded:
        """Link a person to an organisation they act for."""
        organisation = self.get_customer(organisation_id)
        return self._command(
            person_id,
            provenance,
            lambda person: person.start_affiliation(provenance, organisation, role),
        )

    def end_affiliation(
        self, person_id: UUID, provenance: Provenance, organisation_id: UUID
    ) -> Recorded:
        """End a person's link to an organisation."""
        return self._command(
            person_id,
            provenance,
            lambda person: person.end_affiliation(provenance, organisation_id),
        )

    def record_touchpoint(
        self, customer_id: UUID, provenance: Provenance, kind: str, fields: dict[str, Any]
    ) -> Recorded:
        """Record one touchpoint of any kind in `crm.events.TOUCHPOINT_KINDS`."""
        return self.execute(self.touchpoint_command(customer_id, provenance, kind, fields))

    def execute(self, command: Command) -> Recorded:
        """Run one command alone, in a transaction of its own."""
        return self._command(command.customer_id, command.provenance, command.decide)

    def touchpoint_command(
        self, customer_id: UUID, provenance: Provenance, kind: str, fields: dict[str, Any]
    ) -> Command:
        """The decision `record_touchpoint` takes, for running alone or in a batch."""
        touchpoint_class = ev.TOUCHPOINT_KINDS.get(kind)
        if touchpoint_class is None:
            raise InvalidFieldError("kind", f"unknown touchpoint kind {kind!r}")
        if fields.get("offering_code") is not None:
            fields = {**fields, "offering_code": self.catalogued_code(fields["offering_code"])}
        return Command(
            customer_id,
            provenance,
            lambda customer: customer.record_touchpoint(
                provenance,
                touchpoint_class,
                fields,
                now=self.clock(),
                consent_validity_months=self.consent_validity_months,
            ),
        )

    def catalogued_code(self, code: object) -> str:
        """The code as the catalogue stores it, refused unless an offering has it."""
        try:
            normal = normal_code(str(code))
        except InvalidFieldError as error:
            raise InvalidFieldError("offering_code", error.problem) from None
        if not self.recorder.select_events(offering_id(normal), limit=1):
            raise InvalidFieldError(
                "offering_code", "is not in the offering catalogue", code="not_in_catalogue"
            )
        return normal

    def plan_task(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        task_kind: str,
        due_on: date,
        owner: str,
        title: str,
        notes: str | None = None,
        task_id: str | None = None,
    ) -> Recorded:
        """Plan a call, visit, meeting or review with the customer (a new task id unless given)."""
        new_id = task_id or uuid4().hex
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.plan_task(
                provenance,
                task_id=new_id,
                task_kind=task_kind,
                due_on=due_on,
                owner=owner,
                title=title,
                notes=notes,
            ),
        )

    def complete_task(
        self,
        customer_id: UUID,
        provenance: Provenance,
        task_id: str,
        *,
        notes: str | None = None,
        next_review_due: date | None = None,
    ) -> Recorded:
        """Record the touchpoint a task planned and the task as done, in one command."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.complete_task(
                provenance, task_id, now=self.clock(), notes=notes, next_review_due=next_review_due
            ),
        )

    def cancel_task(
        self, customer_id: UUID, provenance: Provenance, task_id: str, reason: str | None
    ) -> Recorded:
        """Record that a planned task will not be done."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.cancel_task(provenance, task_id, reason),
        )

    def invoice_purchase(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        purchase_id: str,
        invoice_number: str,
        invoice_date: date,
        due_date: date,
        amount: Decimal,
    ) -> Recorded:
        """Record an invoice of one of the customer's purchases."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.invoice_purchase(
                provenance,
                purchase_id=purchase_id,
                invoice_number=invoice_number,
                invoice_date=invoice_date,
                due_date=due_date,
                amount=amount,
            ),
        )

    def pay_invoice(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        invoice_number: str,
        paid_on: date,
        amount: Decimal,
    ) -> Recorded:
        """Record a payment received against one of the customer's invoices."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.pay_invoice(
                provenance, invoice_number=invoice_number, paid_on=paid_on, amount=amount
            ),
        )

    def credit_invoice(
        self,
        customer_id: UUID,
        provenance: Provenance,
        *,
        invoice_number: str,
        credited_on: date,
        amount: Decimal,
        reason: str,
    ) -> Recorded:
        """Record a credit note against one of the customer's invoices."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.credit_invoice(
                provenance,
                invoice_number=invoice_number,
                credited_on=credited_on,
                amount=amount,
                reason=reason,
            ),
        )

    def retract_entry(
        self, customer_id: UUID, provenance: Provenance, version: int, reason: str
    ) -> Recorded:
        """Retract an entry recorded in error; no view counts it any more."""
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.retract_entry(provenance, version, reason),
        )

    def correct_entry(
        self,
        customer_id: UUID,
        provenance: Provenance,
        version: int,
        changes: dict[str, Any],
        reason: str,
    ) -> Recorded:
        """Record an entry again with `changes` applied and retract the one in error.

        `changes` may hold `occurred_at` and any of the entry's own fields; the rest is
        taken from the entry as recorded."""
        recorded = self.events.get(customer_id, gt=version - 1, lte=version)
        entry = next(iter(recorded), None)
        if not isinstance(entry, ev.Touchpoint):
            raise InvalidFieldError("version", f"entry {version} is not a recorded contact")
        unknown = set(changes) - {"occurred_at"} - {f.name for f in entry.own_fields()}
        if unknown:
            raise InvalidFieldError(sorted(unknown)[0], f"is not a field of {entry.kind()}")
        fields: dict[str, Any] = {f.name: getattr(entry, f.name) for f in entry.own_fields()}
        fields["occurred_at"] = entry.occurred_at
        fields.update(changes)
        return self._command(
            customer_id,
            provenance,
            lambda customer: customer.correct_entry(
                provenance, version, dict(fields), reason, now=self.clock()
            ),
        )

    def merge_customers(
        self,
        survivor_id: UUID,
        absorbed_id: UUID,
        provenance: Provenance,
        *,
        take_from_absorbed: Collection[str],
        reason: str,
        owner: str | None,
    ) -> Recorded:
        """Merge a duplicate record into the survivor: `MergedInto` on the absorbed stream
        and `Absorbed` (with the chosen profile values) on the survivor's, saved together.
        `owner`: both customers must be this account manager's (None: any two, an admin).
        Each stream keeps its events and its own data key."""

        def merge(survivor: Customer, absorbed: Customer) -> None:
            survivor.absorb(provenance, absorbed, take_from_absorbed, reason)
            absorbed.merge_into(provenance, survivor, reason)

        return self._pair_command(survivor_id, absorbed_id, provenance, owner, merge)

    def undo_merge(
        self,
        survivor_id: UUID,
        absorbed_id: UUID,
        provenance: Provenance,
        *,
        reason: str,
        owner: str | None,
    ) -> Recorded:
        """Undo a merge: `MergeUndone` on both streams, saved together; the survivor keeps
        the events recorded on it since the merge."""

        def undo(survivor: Customer, absorbed: Customer) -> None:
            absorbed.undo_merge(provenance, survivor_id, reason)
            survivor.undo_merge(provenance, absorbed_id, reason)

        return self._pair_command(survivor_id, absorbed_id, provenance, owner, undo)

    def _pair_command(
        self,
        survivor_id: UUID,
        absorbed_id: UUID,
        provenance: Provenance,
        owner: str | None,
        decide: Callable[[Customer, Customer], None],
    ) -> Recorded:
        """Decide on two customers and save both in one transaction; the answer names the
        survivor's new version."""
        if survivor_id == absorbed_id:
            raise MergeError("A customer cannot be merged into itself.", code="merge_self")
        for attempt in range(MAX_ATTEMPTS):
            survivor = self.get_customer(survivor_id)
            absorbed = self.get_customer(absorbed_id)
            if owner is not None and {survivor.account_manager, absorbed.account_manager} != {
                owner
            }:
                raise MergeNotAllowedError(
                    "An account manager merges only their own customers; ask an admin."
                )
            earlier = survivor.version_for(provenance.idempotency_key)
            if earlier is not None:
                return Recorded(survivor_id, earlier, self._position_of(survivor_id, earlier), True)
            decide(survivor, absorbed)
            try:
                recordings = self.save(survivor, absorbed)
            except IntegrityError:
                time.sleep(random.uniform(0, min(0.005 * 2**attempt, 0.25)))
                continue
            survivor_recordings = [
                r for r in recordings if r.domain_event.originator_id == survivor_id
            ]
            return self._recorded(survivor, survivor_recordings or recordings)
        raise ConcurrencyError(
            "The customers kept changing under this command; try again.", code="busy"
        )

    # Queries ------------------------------------------------------------------------------

    def get_customer(self, customer_id: UUID) -> Customer:
        """The customer as it stands now."""
        customer = self._find(customer_id)
        if customer is None:
            raise CustomerNotFoundError(customer_id)
        return customer

    def exists(self, customer_id: UUID) -> bool:
        """Whether any event was recorded for the id (cheaper than loading the customer)."""
        return bool(self.recorder.select_events(customer_id, limit=1))

    def find_by_email(self, email: str) -> UUID | None:
        """The customer registered with this e-mail address, if any; for a record merged
        into another, the survivor (so either e-mail finds it)."""
        claim = self.identities.email_claim(email)
        found = self.identities.find([claim]).get(claim)
        return None if found is None else self.survivor_of(found)

    def other_records(self, customer: Customer) -> list[UUID]:
        """The person's other records: those merged into it, or, for a record merged into
        a survivor, the survivor and the survivor's other merged records."""
        if customer.merged_into is not None:
            survivor = self.get_customer(customer.merged_into)
            others = [survivor.id, *(UUID(a) for a in survivor.absorbed)]
        else:
            others = [UUID(a) for a in customer.absorbed]
        return [other for other in others if other != customer.id]

    def survivor_of(self, customer_id: UUID) -> UUID:
        """The customer a record stands for: the survivor while it is merged, else itself."""
        customer = self._find(customer_id)
        return customer.merged_into if customer and customer.merged_into else customer_id

    def get_journey(self, customer_id: UUID) -> Sequence[ev.CustomerEvent]:
        """Every event of the customer in the order recorded."""
        events = [e for e in self.events.get(customer_id) if isinstance(e, ev.CustomerEvent)]
        if not events:
            raise CustomerNotFoundError(customer_id)
        return events

    # Mechanism ----------------------------------------------------------------------------

    def _command(
        self, customer_id: UUID, provenance: Provenance, decide: Callable[[Customer], None]
    ) -> Recorded:
        """Load, decide, save; a repeated idempotency key returns the first outcome, and an
        optimistic-concurrency conflict reloads the customer and decides again."""
        for attempt in range(MAX_ATTEMPTS):
            customer = self.get_customer(customer_id)
            earlier = customer.version_for(provenance.idempotency_key)
            if earlier is not None:
                return Recorded(customer_id, earlier, self._position_of(customer_id, earlier), True)
            decide(customer)
            try:
                recordings = self.save(customer)
            except IntegrityError:
                # Another writer won; back off a random while so busy customers don't starve.
                time.sleep(random.uniform(0, min(0.005 * 2**attempt, 0.25)))
                continue
            return self._recorded(customer, recordings)
        raise ConcurrencyError(
            "The customer kept changing under this command; try again.", code="busy"
        )

    def execute_batch(self, commands: Sequence[Command]) -> list[Outcome]:
        """Decide many commands against their customers and save all in one transaction.

        Commands on one customer are decided in arrival order against one loaded aggregate;
        a repeated idempotency key (stored, or earlier in the batch) is a duplicate. A command
        that breaks a rule fails alone. If another process wrote one of the customers
        meanwhile, the batch is decided again on the customers as they now stand, and after
        repeated collisions its commands are retried one by one through `_command`.
        """
        for attempt in range(BATCH_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, 0.002 * 2**attempt))
            outcomes = self._save_batch(commands)
            if outcomes is not None:
                return outcomes
        return [self._retry_alone(command) for command in commands]

    def _save_batch(self, commands: Sequence[Command]) -> list[Outcome] | None:
        """One attempt of `execute_batch`; None if another writer saved one of its customers
        first (nothing of the batch is saved then)."""
        outcomes: list[Outcome | None] = [None] * len(commands)
        by_customer: dict[UUID, list[int]] = {}
        for index, command in enumerate(commands):
            by_customer.setdefault(command.customer_id, []).append(index)
        changed: list[Customer] = []
        # Per command that produced an event: (customer, version of its event).
        produced: dict[int, tuple[UUID, int]] = {}
        duplicates: dict[int, tuple[UUID, int]] = {}
        tainted: list[int] = []
        loaded = self.get_customers(list(by_customer))
        for customer_id, indexes in by_customer.items():
            customer = loaded.get(customer_id)
            if customer is None:
                for index in indexes:
                    outcomes[index] = CustomerNotFoundError(customer_id)
                continue
            if not self._decide_in_order(
                customer, commands, indexes, outcomes, produced, duplicates
            ):
                tainted.extend(indexes)
            elif customer.pending_events:
                changed.append(customer)
        positions: dict[tuple[UUID, int], int] = {}
        if changed:
            try:
                recordings = self.save(*changed)
            except IntegrityError:
                return None
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): (
                    r.notification.id
                )
                for r in recordings
            }
            self._remember(changed)
        for index, (customer_id, version) in produced.items():
            outcomes[index] = Recorded(customer_id, version, positions.get((customer_id, version)))
        for index, (customer_id, version) in duplicates.items():
            position = positions.get((customer_id, version))
            if position is None:
                position = self._position_of(customer_id, version)
            outcomes[index] = Recorded(customer_id, version, position, True)
        for index in tainted:
            outcomes[index] = self._retry_alone(commands[index])
        return [o if o is not None else RuntimeError("command not decided") for o in outcomes]

    def _decide_in_order(
        self,
        customer: Customer,
        commands: Sequence[Command],
        indexes: list[int],
        outcomes: list[Outcome | None],
        produced: dict[int, tuple[UUID, int]],
        duplicates: dict[int, tuple[UUID, int]],
    ) -> bool:
        """Decide the customer's commands in order; False if a failed decision left the
        customer changed (its commands then run alone)."""
        for index in indexes:
            command = commands[index]
            # `recorded_keys` also holds keys decided earlier in this batch.
            try:
                earlier = customer.version_for(command.provenance.idempotency_key)
            except IdempotencyKeyReusedError as error:
                outcomes[index] = error
                continue
            if earlier is not None:
                duplicates[index] = (customer.id, earlier)
                continue
            pending = len(customer.pending_events)
            try:
                command.decide(customer)
            except Exception as error:
                if len(customer.pending_events) != pending:
                    # The decision failed after changing the customer: its state is no longer
                    # trustworthy, so every command on it goes through the single path.
                    for other in indexes:
                        produced.pop(other, None)
                        duplicates.pop(other, None)
                        outcomes[other] = None
                    return False
                outcomes[index] = error
                continue
            if len(customer.pending_events) > pending:
                produced[index] = (customer.id, customer.version)
        return True

    def _retry_alone(self, command: Command) -> Outcome:
        try:
            return self._command(command.customer_id, command.provenance, command.decide)
        except Exception as error:
            return error

    def get_customers(self, customer_ids: Sequence[UUID]) -> dict[UUID, Customer]:
        """Many customers as they stand now, read in one round trip where the store allows:
        cached ones are brought up to date, the rest rebuilt from their streams."""
        if self._streams is None:
            found = {customer_id: self._find(customer_id) for customer_id in customer_ids}
            return {cid: customer for cid, customer in found.items() if customer is not None}
        cache = self.repository.cache
        start: dict[UUID, Customer | None] = {}
        for customer_id in customer_ids:
            cached = None
            if cache is not None:
                with contextlib.suppress(KeyError):
                    cached = cache.get(customer_id)
            # Copied, never changed in place: other threads may be reading the cached one.
            start[customer_id] = deepcopy(cached) if isinstance(cached, Customer) else None
        stored = self._streams({cid: c.version if c else 0 for cid, c in start.items()})
        self.keys.prefetch(stored)
        customers: dict[UUID, Customer] = {}
        for customer_id, customer in start.items():
            events = [self.mapper.to_domain_event(event) for event in stored.get(customer_id, [])]
            current: Customer | None = customer
            for event in events:
                current = event.mutate(current)  # type: ignore[attr-defined]
            if isinstance(current, Customer):
                customers[customer_id] = current
                if cache is not None and events:
                    cache.put(customer_id, deepcopy(current))
        return customers

    def _remember(self, saved: list[Customer]) -> None:
        """Cache customers as just saved, so the next batch on them reads nothing back.

        They are cached as they are, not copied: nothing uses them after their save, and
        `get_customers` hands out copies."""
        cache = self.repository.cache
        if cache is not None:
            for customer in saved:
                cache.put(customer.id, customer)

    def _find(self, customer_id: UUID) -> Customer | None:
        try:
            customer: object = self.repository.get(customer_id)
        except AggregateNotFoundError:
            return None
        return customer if isinstance(customer, Customer) else None

    def _recorded(self, customer: Customer, recordings: list[Recording[UUID]]) -> Recorded:
        position = recordings[-1].notification.id if recordings else None
        return Recorded(customer.id, customer.version, position)

    def _position_of(self, customer_id: UUID, version: int) -> int | None:
        return self._positions(customer_id, version) if self._positions else None
