"""The `Customer` aggregate: one person or organisation and the rules of its journey."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as AggregateSnapshot

from crm.domain import events as ev
from crm.domain.consents import CONSENT_VALIDITY_MONTHS, in_force
from crm.domain.corrections import why_not_retractable
from crm.domain.errors import (
    AffiliationError,
    ConsentRequiredError,
    CustomerErasedError,
    CustomerMergedError,
    InvalidFieldError,
    InvoiceError,
    LeadTransitionError,
    MembershipError,
    MergeError,
    PurchaseError,
    RuleViolationError,
    TaskError,
)
from crm.domain.idempotency import IdempotencyKeyReusedError, key_scope
from crm.domain.in_force import Change, add_change
from crm.domain.tasks import TASK_TOUCHPOINTS, touchpoint_fields
from crm.domain.vocabulary import (
    CALL_DIRECTIONS,
    CHANNELS,
    CUSTOMER_KINDS,
    CUSTOMER_TYPES,
    EVENT_FORMATS,
    EVENT_ORGANISERS,
    INSTITUTIONS,
    LAWFUL_BASES,
    MEMBERSHIP_TIERS,
    OFFERING_TYPES,
    PURPOSES,
    TASK_KINDS,
)
from crm.speedups.aggregate_copy import CopiesMutableStateOnly
from crm.speedups.dispatch import rule_lookup

LEAD_NEXT_STAGES: dict[type[ev.Touchpoint], tuple[str | None, ...]] = {
    ev.LeadCaptured: (None,),
    ev.LeadQualified: ("captured",),
    ev.LeadConverted: ("qualified",),
    # A lead can go cold before anyone qualifies it, so "lost" is reachable from both.
    ev.LeadLost: ("captured", "qualified"),
}
LEAD_STAGE_AFTER: dict[type[ev.Touchpoint], str] = {
    ev.LeadCaptured: "captured",
    ev.LeadQualified: "qualified",
    ev.LeadConverted: "converted",
    ev.LeadLost: "lost",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "institution": INSTITUTIONS,
    "channel": CHANNELS,
    "source_channel": CHANNELS,
    "customer_kind": CUSTOMER_KINDS,
    "customer_type": CUSTOMER_TYPES,
    "purpose": PURPOSES,
    "marketing_purpose": PURPOSES,
    "lawful_basis": LAWFUL_BASES,
    "offering_type": OFFERING_TYPES,
    "tier": MEMBERSHIP_TIERS,
    "organiser": EVENT_ORGANISERS,
    "event_format": EVENT_FORMATS,
    "direction": CALL_DIRECTIONS,
    "task_kind": TASK_KINDS,
}
MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far past the recording clock a touchpoint's business time may lie: clocks of devices
and services disagree by a little; anything later is planned work, which is a task."""


PROFILE_FIELDS = ("name", "email", "phone", "sector")
"""The profile values a merge chooses between the two customers."""


def check_not_future(occurred_at: datetime, now: datetime) -> None:
    """Refuse a touchpoint dated after `now` by more than the clock skew allowed."""
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise InvalidFieldError(
            "occurred_at",
            "is in the future; a touchpoint records what has happened, so plan a task for it",
            code="future",
        )


@dataclass(frozen=True)
class Provenance:
    """When, where, by whom and under which idempotency key a fact was recorded."""

    occurred_at: datetime
    institution: str
    channel: str
    recorded_by: str
    idempotency_key: str

    def as_fields(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at,
            "institution": self.institution,
            "channel": self.channel,
            "recorded_by": self.recorded_by,
            "idempotency_key": self.idempotency_key,
        }


def check_fields(fields: dict[str, Any]) -> None:
    """Refuse values outside the provider's vocabulary and impossible amounts or times."""
    # Every command and every imported row passes here, some twice: text, the common case,
    # takes one branch.
    for name, value in fields.items():
        if value is None:
            continue
        allowed = CHOICES.get(name)
        if allowed is not None and value not in allowed:
            raise InvalidFieldError(name, f"must be one of {', '.join(allowed)}")
        if isinstance(value, str):
            if not value and name in ("recorded_by", "idempotency_key"):
                raise InvalidFieldError(name, "must not be empty")
            if "\x00" in value:
                # PostgreSQL text cannot hold NUL; refusing it here keeps every view writable.
                raise InvalidFieldError(name, "must not contain NUL characters")
        elif isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidFieldError(name, "must include a time zone")
    for name in ("amount", "credits"):
        amount = fields.get(name)
        if isinstance(amount, Decimal) and (not amount.is_finite() or amount < 0):
            raise InvalidFieldError(name, "must be a finite, non-negative number")
    score = fields.get("score")
    if score is not None and not 0 <= score <= 10:
        raise InvalidFieldError("score", "must be between 0 and 10")


def _check_positive(amount: Decimal) -> None:
    if not amount.is_finite() or amount <= 0:
        raise InvalidFieldError("amount", "must be more than 0")


class ProcessingRestrictedError(ConsentRequiredError):
    """A marketing contact was attempted while processing is restricted (GDPR art. 18)."""

    def __init__(self, purpose: str) -> None:
        RuleViolationError.__init__(
            self,
            "Processing of this customer's data is restricted; no marketing contacts until the"
            " restriction is lifted.",
            code="processing_restricted",
        )
        self.purpose = purpose
        self.at = None


class RestrictionError(RuleViolationError):
    """A restriction was imposed twice, or lifted when there was none."""


def _copy_consent_log(
    log: dict[str, list[tuple[int, datetime, bool]]],
) -> dict[str, list[tuple[int, datetime, bool]]]:
    return {purpose: list(history) for purpose, history in log.items()}


def _copy_consent_changes(changes: dict[str, list[Change]]) -> dict[str, list[Change]]:
    return {purpose: list(history) for purpose, history in changes.items()}


class Customer(CopiesMutableStateOnly, Aggregate):
    """A person or organisation; its events are the customer's journey."""

    # Every mutable attribute, and how to copy it without sharing anything mutable: the
    # values inside these containers are immutable, events included (frozen dataclasses).
    copied_state: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "_pending_events": list,
        "affiliations": dict,
        "consent_changes": _copy_consent_changes,
        "lead_stages": dict,
        "purchases": dict,
        "recorded_keys": dict,
        "entries": dict,
        "consent_log": _copy_consent_log,
        "tasks": dict,
        "invoices": dict,
        "absorbed": dict,
    }

    # Stored with every snapshot and in every `Registered` event: part of the stored format,
    # so declared rather than derived from this module's place in the tree.
    TOPIC = "crm.customer:Customer"

    class Created(Aggregate.Created):
        TOPIC = "crm.customer:Customer.Created"

    class Snapshot(AggregateSnapshot):
        TOPIC = "crm.customer:Customer.Snapshot"
        # Lead and purchase ids are client-chosen; idempotency keys are stored scoped.
        personal_fields = (
            "state.name",
            "state.email",
            "state.phone",
            "state.lead_stages",
            "state.purchases",
            "state.invoices",
            "state.absorbed",
        )

        def mutate(self, _: None) -> Customer:
            """The customer as snapshotted, with what a snapshot of an older release lacks:
            an attribute added since (or a sealed one its stored state never held, which
            reads back as None) takes the value a new customer starts with."""
            customer = cast(Customer, super().mutate(_))
            state = customer.__dict__
            new = object.__new__(Customer)
            Customer.__init__(new)  # the attributes alone, without recording a creation
            for name, start in vars(new).items():
                if state.get(name) is None and start is not None:
                    state[name] = start
                else:
                    state.setdefault(name, start)
            return customer

    def __init__(self) -> None:
        self.kind = ""
        self.customer_type = ""
        self.name: str | None = None
        self.email: str | None = None
        self.phone: str | None = None
        self.sector: str | None = None
        self.account_manager: str | None = None
        self.first_seen: datetime | None = None
        self.affiliations: dict[str, datetime] = {}
        # Per purpose, consent changes in the order of `crm.domain.in_force`.
        self.consent_changes: dict[str, list[Change]] = {}
        self.lead_stages: dict[str, str] = {}
        # Per purchase id: [amount, refunded so far].
        self.purchases: dict[str, tuple[Decimal, Decimal]] = {}
        self.membership_tier: str | None = None
        self.erased = False
        # The status the latest recorded restriction or lift left: it guards commands (no
        # marketing contact of any date while restricted). Restriction as of a business
        # time is `crm.domain.restrictions.restricted_as_of`.
        self.restricted = False
        # Idempotency key of every recorded fact -> the version it produced.
        self.recorded_keys: dict[str, int] = {}
        # Version -> kind of every touchpoint that counts (recorded and not retracted).
        self.entries: dict[int, str] = {}
        # Per purpose, (version, occurred_at, granted) of each consent change in version
        # order: what `consent_changes` is rebuilt from when a consent is retracted.
        self.consent_log: dict[str, list[tuple[int, datetime, bool]]] = {}
        # Task id -> (task kind, title, state: open, completed or cancelled).
        self.tasks: dict[str, tuple[str, str, str]] = {}
        # Invoice number -> (amount, settled so far: paid and credited).
        self.invoices: dict[str, tuple[Decimal, Decimal]] = {}
        # The survivor this record was merged into, while merged.
        self.merged_into: UUID | None = None
        # Absorbed customer id -> (profile values before the merge, values the merge chose,
        # the absorbed record's consent changes): what undoing the merge returns to.
        self.absorbed: dict[str, tuple[Any, Any, Any]] = {}

    # Commands -----------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        customer_id: UUID,
        provenance: Provenance,
        customer_kind: str,
        customer_type: str,
        name: str | None,
        email: str | None,
        phone: str | None,
        sector: str | None,
        account_manager: str | None,
    ) -> Customer:
        """Register a new person or organisation."""
        fields: dict[str, Any] = {
            **provenance.as_fields(),
            "customer_kind": customer_kind,
            "customer_type": customer_type,
            "name": name,
            "email": email,
            "phone": phone,
            "sector": sector,
            "account_manager": account_manager,
        }
        check_fields(fields)
        if (customer_kind == "person") != (customer_type == "individual"):
            raise InvalidFieldError(
                "customer_type", "a person is an individual; an organisation is private or public"
            )
        return cls._create(ev.Registered, id=customer_id, **fields)

    def version_for(self, idempotency_key: str) -> int | None:
        """The version an earlier command with this idempotency key produced, if any; a
        scoped key seen before with another request is refused."""
        version = self.recorded_keys.get(idempotency_key)
        if version is None:
            scope = key_scope(idempotency_key)
            if scope is not None and scope in self.recorded_keys:
                raise IdempotencyKeyReusedError()
        return version

    def correct_profile(
        self,
        provenance: Provenance,
        *,
        name: str | None,
        email: str | None,
        phone: str | None,
        sector: str | None,
    ) -> None:
        """Correct contact details; fields given as None keep their value."""
        self._record(
            ev.ProfileCorrected, provenance, name=name, email=email, phone=phone, sector=sector
        )

    def assign_account_manager(self, provenance: Provenance, account_manager: str) -> None:
        """Make a named account manager the customer's one point of contact."""
        if not account_manager.strip():
            raise InvalidFieldError("account_manager", "must not be empty")
        self._record(ev.AccountManagerAssigned, provenance, account_manager=account_manager)

    def start_affiliation(
        self, provenance: Provenance, organisation: Customer, role: str | None
    ) -> None:
        """Link this person to an organisation they act for."""
        if self.kind != "person":
            raise AffiliationError(
                "Only a person can be affiliated with an organisation.",
                code="affiliation_not_person",
            )
        if organisation.kind != "organisation":
            raise AffiliationError(
                "A person can only be affiliated with an organisation.",
                code="affiliation_not_organisation",
            )
        if str(organisation.id) in self.affiliations:
            raise AffiliationError(
                "The person is already affiliated with this organisation.",
                code="affiliation_exists",
            )
        self._record(ev.AffiliationStarted, provenance, organisation_id=organisation.id, role=role)

    def end_affiliation(self, provenance: Provenance, organisation_id: UUID) -> None:
        """End this person's link to an organisation."""
        if str(organisation_id) not in self.affiliations:
            raise AffiliationError(
                "The person is not affiliated with this organisation.", code="affiliation_missing"
            )
        self._record(ev.AffiliationEnded, provenance, organisation_id=organisation_id)

    def record_touchpoint(
        self,
        provenance: Provenance,
        kind: type[ev.Touchpoint],
        fields: dict[str, Any],
        *,
        now: datetime,
        consent_validity_months: int = CONSENT_VALIDITY_MONTHS,
    ) -> None:
        """Record a contact, checking the rules its kind is subject to; `now` is the time of
        recording, which the contact must not be later than (beyond the clock skew), and a
        marketing contact needs a consent given less than `consent_validity_months` before."""
        if self.merged_into is not None:
            raise CustomerMergedError(self.merged_into)
        check_fields(fields)
        check_not_future(provenance.occurred_at, now)
        purpose = kind.required_consent(fields)
        if purpose is not None and self.restricted:
            raise ProcessingRestrictedError(purpose)
        if purpose is not None and not self.has_consent(
            purpose, provenance.occurred_at, consent_validity_months
        ):
            raise ConsentRequiredError(purpose, provenance.occurred_at)
        if kind in LEAD_NEXT_STAGES:
            self._check_lead_transition(kind, fields["lead_id"])
        elif kind is ev.PurchaseMade and fields["purchase_id"] in self.purchases:
            raise PurchaseError(
                "A purchase with this purchase_id is already recorded.", code="purchase_exists"
            )
        elif kind is ev.PurchaseRefunded:
            self._check_refund(fields["purchase_id"], fields["amount"])
        elif kind is ev.PartnerMembershipStarted and self.membership_tier is not None:
            raise MembershipError(
                "The customer is already a partner member.", code="membership_exists"
            )
        elif (
            kind in (ev.PartnerMembershipChanged, ev.PartnerMembershipEnded)
            and self.membership_tier is None
        ):
            raise MembershipError(
                "The customer is not a partner member.", code="membership_missing"
            )
        self._record(kind, provenance, **fields)

    def plan_task(
        self,
        provenance: Provenance,
        *,
        task_id: str,
        task_kind: str,
        due_on: date,
        owner: str,
        title: str,
        notes: str | None,
    ) -> None:
        """Plan a call, visit, meeting or review with the customer."""
        if not owner.strip():
            raise InvalidFieldError("owner", "must not be empty")
        if not title.strip():
            raise InvalidFieldError("title", "must not be empty")
        if task_id in self.tasks:
            raise TaskError(
                f"Task {task_id} is already planned.", code="task_exists", task_id=task_id
            )
        self._record(
            ev.TaskPlanned,
            provenance,
            task_id=task_id,
            task_kind=task_kind,
            due_on=due_on,
            owner=owner,
            title=title,
            notes=notes,
        )

    def complete_task(
        self,
        provenance: Provenance,
        task_id: str,
        *,
        now: datetime,
        notes: str | None = None,
        next_review_due: date | None = None,
    ) -> None:
        """Record the touchpoint a task planned, and the task as done, together."""
        task_kind, title, _ = self._open_task(task_id)
        kind = TASK_TOUCHPOINTS[task_kind]
        fields = touchpoint_fields(task_kind, title, notes, next_review_due)
        # The touchpoint and the completion share the command's key: the touchpoint's is
        # derived so that each event has a key of its own.
        touchpoint = Provenance(
            **{**provenance.as_fields(), "idempotency_key": f"{provenance.idempotency_key}:entry"}
        )
        self.record_touchpoint(touchpoint, kind, fields, now=now)
        self._record(ev.TaskCompleted, provenance, task_id=task_id, entry_version=self.version)

    def cancel_task(self, provenance: Provenance, task_id: str, reason: str | None) -> None:
        """Record that a planned task will not be done."""
        self._open_task(task_id)
        self._record(ev.TaskCancelled, provenance, task_id=task_id, reason=reason)

    def invoice_purchase(
        self,
        provenance: Provenance,
        *,
        purchase_id: str,
        invoice_number: str,
        invoice_date: date,
        due_date: date,
        amount: Decimal,
    ) -> None:
        """Invoice a recorded purchase (in one or several invoices, each with its own number)."""
        if purchase_id not in self.purchases:
            raise InvoiceError(
                "There is no purchase with this purchase_id to invoice.",
                code="invoice_without_purchase",
            )
        if not invoice_number.strip():
            raise InvalidFieldError("invoice_number", "must not be empty", code="required")
        if invoice_number in self._invoices():
            raise InvoiceError(
                "An invoice with this number is already recorded.", code="invoice_exists"
            )
        if due_date < invoice_date:
            raise InvalidFieldError("due_date", "must not be before the invoice date")
        _check_positive(amount)
        self._record(
            ev.PurchaseInvoiced,
            provenance,
            purchase_id=purchase_id,
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            due_date=due_date,
            amount=amount,
        )

    def pay_invoice(
        self, provenance: Provenance, *, invoice_number: str, paid_on: date, amount: Decimal
    ) -> None:
        """Record a payment; more than is open on the invoice is refused."""
        self._check_settlement(invoice_number, amount)
        self._record(
            ev.InvoicePaid,
            provenance,
            invoice_number=invoice_number,
            paid_on=paid_on,
            amount=amount,
        )

    def credit_invoice(
        self,
        provenance: Provenance,
        *,
        invoice_number: str,
        credited_on: date,
        amount: Decimal,
        reason: str,
    ) -> None:
        """Credit part or all of what is open on an invoice, with the reason."""
        if not reason.strip():
            raise InvalidFieldError("reason", "must not be empty", code="required")
        self._check_settlement(invoice_number, amount)
        self._record(
            ev.InvoiceCredited,
            provenance,
            invoice_number=invoice_number,
            credited_on=credited_on,
            amount=amount,
            reason=reason,
        )

    def _invoices(self) -> dict[str, tuple[Decimal, Decimal]]:
        # Customers restored from a snapshot taken before invoices existed have none.
        invoices: dict[str, tuple[Decimal, Decimal]] = self.__dict__.setdefault("invoices", {})
        return invoices

    def _check_settlement(self, invoice_number: str, amount: Decimal) -> None:
        _check_positive(amount)
        invoice = self._invoices().get(invoice_number)
        if invoice is None:
            raise InvoiceError("There is no invoice with this number.", code="invoice_missing")
        total, settled = invoice
        if settled + amount > total:
            raise InvoiceError(
                f"{amount} EUR is more than the {total - settled} EUR open on the invoice.",
                code="invoice_overpaid",
                amount=amount,
                open=total - settled,
            )

    def retract_entry(
        self, provenance: Provenance, version: int, reason: str, replaced_by: int | None = None
    ) -> None:
        """Record that an entry was recorded in error: no view counts it any more."""
        if not reason.strip():
            raise InvalidFieldError("reason", "must say why the entry is retracted", "required")
        kind = self.entries.get(version)
        if kind is None:
            raise InvalidFieldError(
                "version",
                f"entry {version} is not a recorded contact that still counts",
                "not_retractable",
            )
        instead = why_not_retractable(ev.TOUCHPOINT_KINDS[kind])
        if instead is not None:
            raise InvalidFieldError(
                "version", f"{kind} cannot be retracted: {instead}", "not_retractable"
            )
        self._record(
            ev.EntryRetracted,
            provenance,
            retracted_version=version,
            retracted_kind=kind,
            reason=reason,
            replaced_by=replaced_by,
        )

    def correct_entry(
        self,
        provenance: Provenance,
        version: int,
        fields: dict[str, Any],
        reason: str,
        *,
        now: datetime,
    ) -> None:
        """Record an entry again with corrected fields and retract the one recorded in error.

        `fields` holds the corrected fields and the business time (`occurred_at`); the
        caller fills the rest from the entry corrected."""
        kind_name = self.entries.get(version)
        kind = ev.TOUCHPOINT_KINDS[kind_name] if kind_name else None
        if kind is None or why_not_retractable(kind) is not None:
            self.retract_entry(provenance, version, reason)  # raises the reason why not
            return
        if not reason.strip():
            raise InvalidFieldError("reason", "must say why the entry is corrected")
        corrected = {**provenance.as_fields(), "occurred_at": fields.pop("occurred_at")}
        entry = Provenance(
            **{**corrected, "idempotency_key": f"{provenance.idempotency_key}:entry"}
        )
        self.record_touchpoint(entry, kind, fields, now=now)
        self.retract_entry(provenance, version, reason, replaced_by=self.version)

    def _open_task(self, task_id: str) -> tuple[str, str, str]:
        task = self.tasks.get(task_id)
        if task is None:
            raise InvalidFieldError(
                "task_id", f"no task {task_id} is planned for the customer", "not_found"
            )
        if task[2] != "open":
            if task[2] == "completed":
                raise TaskError(
                    f"Task {task_id} is already completed.", code="task_completed", task_id=task_id
                )
            raise TaskError(
                f"Task {task_id} is already cancelled.", code="task_cancelled", task_id=task_id
            )
        return task

    def expire_consent(self, provenance: Provenance, purpose: str) -> None:
        """Let a consent lapse (the retention job decides when)."""
        self._record(ev.ConsentExpired, provenance, purpose=purpose)

    def erase(self, provenance: Provenance, reason: str) -> None:
        """Record that the customer's personal data was destroyed."""
        self._record(ev.Erased, provenance, reason=reason)

    def merge_into(self, provenance: Provenance, survivor: Customer, reason: str) -> None:
        """Record that this record duplicates the survivor and was merged into it."""
        check_merge(survivor, self)
        self._record(ev.MergedInto, provenance, survivor_id=survivor.id, reason=reason)

    def absorb(
        self,
        provenance: Provenance,
        absorbed: Customer,
        take_from_absorbed: Collection[str],
        reason: str,
    ) -> None:
        """Take in a duplicate record, with each profile value chosen from this customer or
        from the absorbed one (`take_from_absorbed` names the fields taken from it)."""
        unknown = sorted(set(take_from_absorbed) - set(PROFILE_FIELDS))
        if unknown:
            raise InvalidFieldError(
                "take_from_absorbed", f"{unknown[0]!r} is not one of {', '.join(PROFILE_FIELDS)}"
            )
        check_merge(self, absorbed)
        values = {
            field: getattr(absorbed if field in take_from_absorbed else self, field)
            for field in PROFILE_FIELDS
        }
        consents = tuple(
            (purpose, at.isoformat(), "given" if granted else "withdrawn")
            for purpose, log in sorted(absorbed.consent_log.items())
            for _, at, granted in log
        )
        self._record(
            ev.Absorbed,
            provenance,
            absorbed_id=absorbed.id,
            reason=reason,
            absorbed_consents=consents,
            **values,
        )

    def undo_merge(self, provenance: Provenance, other_id: UUID, reason: str) -> None:
        """Undo a merge on either side: the absorbed record accepts events again; the
        survivor returns to its profile values from before the merge, except those
        corrected since."""
        values: dict[str, str | None] = dict.fromkeys(PROFILE_FIELDS)
        if self.merged_into is not None:
            if self.merged_into != other_id:
                raise MergeError(
                    f"This customer was merged into {self.merged_into}, not {other_id}.",
                    code="merge_other_survivor",
                    survivor=self.merged_into,
                    other=other_id,
                )
        elif str(other_id) in self.absorbed:
            before, chosen, _ = self.absorbed[str(other_id)]
            for field, old, new in zip(PROFILE_FIELDS, before, chosen, strict=True):
                current = getattr(self, field)
                values[field] = old if current == new else current
        else:
            raise MergeError(
                f"Customer {other_id} is not merged with this customer.",
                code="merge_missing",
                other=other_id,
            )
        self._record(ev.MergeUndone, provenance, other_id=other_id, reason=reason, **values)

    def restrict_processing(self, provenance: Provenance, reason: str) -> None:
        """Restrict processing (GDPR art. 18): no marketing, no segments until lifted."""
        if self.restricted:
            raise RestrictionError(
                "Processing of this customer's data is already restricted.", code="restricted"
            )
        self._record(ev.ProcessingRestricted, provenance, reason=reason)

    def lift_restriction(self, provenance: Provenance, reason: str) -> None:
        """End a restriction of processing."""
        if not self.restricted:
            raise RestrictionError(
                "Processing of this customer's data is not restricted.", code="not_restricted"
            )
        self._record(ev.RestrictionLifted, provenance, reason=reason)

    # Queries ------------------------------------------------------------------------------

    def has_consent(
        self, purpose: str, at: datetime, validity_months: int = CONSENT_VALIDITY_MONTHS
    ) -> bool:
        """Whether a consent for the purpose was in force at the given business time: given,
        not withdrawn, and given less than `validity_months` before (`crm.domain.consents`),
        whether or not the expiry job has recorded the expiry yet."""
        return in_force(self.consent_changes.get(purpose, []), at, validity_months)

    # Rules --------------------------------------------------------------------------------

    def _record(self, kind: type[ev.CustomerEvent], provenance: Provenance, **fields: Any) -> None:
        if self.erased:
            raise CustomerErasedError(
                "The customer was erased and accepts no new events.", code="erased"
            )
        if self.merged_into is not None and kind not in (ev.MergeUndone, ev.Erased):
            raise CustomerMergedError(self.merged_into)
        all_fields = {**provenance.as_fields(), **fields}
        check_fields(all_fields)
        self.trigger_event(kind, **all_fields)

    def _check_lead_transition(self, kind: type[ev.Touchpoint], lead_id: str) -> None:
        stage = self.lead_stages.get(lead_id)
        if stage not in LEAD_NEXT_STAGES[kind]:
            target = LEAD_STAGE_AFTER[kind]
            if stage is None:
                raise LeadTransitionError(
                    f"The lead was never captured, so it cannot become {target}.",
                    code="lead_not_captured",
                    target=target,
                )
            raise LeadTransitionError(
                f"The lead is {stage}, so it cannot become {target}.",
                code="lead_stage",
                stage=stage,
                target=target,
            )

    def _check_refund(self, purchase_id: str, amount: Decimal) -> None:
        if purchase_id not in self.purchases:
            raise PurchaseError(
                "There is no purchase with this purchase_id to refund.",
                code="refund_without_purchase",
            )
        paid, refunded = self.purchases[purchase_id]
        if refunded + amount > paid:
            raise PurchaseError(
                f"A refund of {amount} EUR would exceed the purchase: "
                f"{paid - refunded} EUR of {paid} EUR is left to refund.",
                code="refund_exceeds",
                amount=amount,
                left=paid - refunded,
                paid=paid,
            )

    # State changes ------------------------------------------------------------------------

    def apply_event(self, event: ev.CustomerEvent) -> None:
        """Change the state by one event, remembering its idempotency key."""
        # What `self.when(event)` does, without building a bound dispatcher per event.
        _when_for(type(event))(self, event)
        self.remember(event)

    def remember(self, event: ev.CustomerEvent) -> None:
        """What every event leaves besides its rule: its idempotency key and, for a contact,
        an entry that counts until retracted."""
        self.recorded_keys[event.idempotency_key] = event.originator_version
        scope = key_scope(event.idempotency_key)
        if scope is not None:
            # The scope too, so the same key with another request is recognised.
            self.recorded_keys[scope] = event.originator_version
        if isinstance(event, ev.Touchpoint):
            self.entries[event.originator_version] = event.kind()

    @singledispatchmethod
    def when(self, event: ev.CustomerEvent) -> None:
        """Apply an event to the state; kinds with no rule attached change nothing."""

    @when.register
    def _(self, event: ev.Registered) -> None:
        self.kind = event.customer_kind
        self.customer_type = event.customer_type
        self.name, self.email, self.phone = event.name, event.email, event.phone
        self.sector = event.sector
        self.account_manager = event.account_manager
        self.first_seen = event.occurred_at

    @when.register
    def _(self, event: ev.ProfileCorrected) -> None:
        self.name = event.name if event.name is not None else self.name
        self.email = event.email if event.email is not None else self.email
        self.phone = event.phone if event.phone is not None else self.phone
        self.sector = event.sector if event.sector is not None else self.sector

    @when.register
    def _(self, event: ev.AccountManagerAssigned) -> None:
        self.account_manager = event.account_manager

    @when.register
    def _(self, event: ev.AffiliationStarted) -> None:
        self.affiliations[str(event.organisation_id)] = event.occurred_at

    @when.register
    def _(self, event: ev.AffiliationEnded) -> None:
        self.affiliations.pop(str(event.organisation_id), None)

    @when.register
    def _(self, event: ev.ConsentGiven) -> None:
        self._change_consent(event, granted=True)

    @when.register
    def _(self, event: ev.ConsentWithdrawn) -> None:
        self._change_consent(event, granted=False)

    @when.register
    def _(self, event: ev.ConsentExpired) -> None:
        self._change_consent(event, granted=False)

    @when.register
    def _(self, event: ev.TaskPlanned) -> None:
        self.tasks[event.task_id] = (event.task_kind, event.title, "open")

    @when.register
    def _(self, event: ev.TaskCompleted) -> None:
        kind, title, _ = self.tasks[event.task_id]
        self.tasks[event.task_id] = (kind, title, "completed")

    @when.register
    def _(self, event: ev.TaskCancelled) -> None:
        kind, title, _ = self.tasks[event.task_id]
        self.tasks[event.task_id] = (kind, title, "cancelled")

    @when.register
    def _(self, event: ev.EntryRetracted) -> None:
        self.entries.pop(event.retracted_version, None)
        for purpose, log in self.consent_log.items():
            if any(version == event.retracted_version for version, _, _ in log):
                log[:] = [change for change in log if change[0] != event.retracted_version]
                self._rebuild_consents(purpose)

    @when.register
    def _(self, event: ev.LeadCaptured | ev.LeadQualified | ev.LeadConverted | ev.LeadLost) -> None:
        self.lead_stages[event.lead_id] = LEAD_STAGE_AFTER[type(event)]

    @when.register
    def _(self, event: ev.PurchaseMade) -> None:
        self.purchases[event.purchase_id] = (event.amount, Decimal(0))

    @when.register
    def _(self, event: ev.PurchaseRefunded) -> None:
        paid, refunded = self.purchases[event.purchase_id]
        self.purchases[event.purchase_id] = (paid, refunded + event.amount)

    @when.register
    def _(self, event: ev.PurchaseInvoiced) -> None:
        self._invoices()[event.invoice_number] = (event.amount, Decimal(0))

    @when.register
    def _(self, event: ev.InvoicePaid | ev.InvoiceCredited) -> None:
        total, settled = self._invoices()[event.invoice_number]
        self._invoices()[event.invoice_number] = (total, settled + event.amount)

    @when.register
    def _(self, event: ev.PartnerMembershipStarted | ev.PartnerMembershipChanged) -> None:
        self.membership_tier = event.tier

    @when.register
    def _(self, event: ev.PartnerMembershipEnded) -> None:
        self.membership_tier = None

    @when.register
    def _(self, event: ev.Erased) -> None:
        self.erased = True
        self.name = self.email = self.phone = None

    @when.register
    def _(self, event: ev.MergedInto) -> None:
        self.merged_into = event.survivor_id

    @when.register
    def _(self, event: ev.Absorbed) -> None:
        before = tuple(getattr(self, field) for field in PROFILE_FIELDS)
        chosen = tuple(getattr(event, field) for field in PROFILE_FIELDS)
        self.absorbed[str(event.absorbed_id)] = (before, chosen, event.absorbed_consents)
        self.name, self.email, self.phone, self.sector = chosen
        for purpose in {purpose for purpose, _, _ in event.absorbed_consents}:
            self._rebuild_consents(purpose)

    @when.register
    def _(self, event: ev.MergeUndone) -> None:
        if self.merged_into == event.other_id:
            self.merged_into = None
        else:
            undone = self.absorbed.pop(str(event.other_id), None)
            if undone is not None:
                self.name, self.email, self.phone = event.name, event.email, event.phone
                self.sector = event.sector
                for purpose in {purpose for purpose, _, _ in undone[2]}:
                    self._rebuild_consents(purpose)

    @when.register
    def _(self, event: ev.ProcessingRestricted) -> None:
        self.restricted = True

    @when.register
    def _(self, event: ev.RestrictionLifted) -> None:
        self.restricted = False

    def _rebuild_consents(self, purpose: str) -> None:
        """The purpose's changes in the rule's order: this record's own, then those of the
        records merged into it (ties keep that order)."""
        history: list[Change] = []
        for _, at, granted in self.consent_log.get(purpose, []):
            add_change(history, at, granted)
        for _, _, consents in self.absorbed.values():
            for changed, at_text, change in consents:
                if changed == purpose:
                    add_change(history, datetime.fromisoformat(at_text), change == "given")
        self.consent_changes[purpose] = history

    def _change_consent(
        self, event: ev.ConsentGiven | ev.ConsentWithdrawn | ev.ConsentExpired, *, granted: bool
    ) -> None:
        add_change(self.consent_changes.setdefault(event.purpose, []), event.occurred_at, granted)
        self.consent_log.setdefault(event.purpose, []).append(
            (event.originator_version, event.occurred_at, granted)
        )


def check_merge(survivor: Customer, absorbed: Customer) -> None:
    """Whether the absorbed customer may be merged into the survivor."""
    if survivor.id == absorbed.id:
        raise MergeError("A customer cannot be merged into itself.", code="merge_self")
    if survivor.kind != absorbed.kind:
        raise MergeError("A person and an organisation cannot be merged.", code="merge_kinds")
    for customer in (survivor, absorbed):
        if customer.erased:
            raise CustomerErasedError(
                "The customer was erased and accepts no new events.", code="erased"
            )
        if customer.merged_into is not None:
            raise CustomerMergedError(customer.merged_into)
    if absorbed.absorbed:
        raise MergeError(
            "The customer to absorb has absorbed others itself; undo those merges first.",
            code="merge_absorber",
        )


_when_for = rule_lookup(Customer, "when")
"""The `when` rule for an event class."""
