"""Bulk import of touchpoints from CSV or NDJSON exports: map, validate, match, save in chunks.

Each row is one touchpoint of one person, found by e-mail (blind index) or registered. Rows are
read as a stream and handled a chunk at a time: valid rows are decided against their customers
and all changed customers are saved in one transaction per chunk; invalid rows are reported
with line, field and reason. Every row's idempotency key is derived from the mapping and the
row's content, so running the same file again stores nothing new, and the import log's
progress lets a crashed import resume after the last committed chunk.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import IO, Any, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from crm.adapters.postgres.event_store import EventRecorder
from crm.application.crm import CRM
from crm.application.import_formats import (
    MAPPINGS,
    ColumnMapping,
    ReportOptions,
    Row,
    RowError,
    course_code_in,
    field_for,
    open_import,
)
from crm.domain import events as ev
from crm.domain.calendar import HELSINKI
from crm.domain.customer import Customer, Provenance, check_fields
from crm.domain.errors import CRMError, InvalidFieldError
from crm.domain.identity import normalise_email
from crm.domain.offering import Offering, OfferingTerms, normal_code, offering_id
from crm.speedups.gc_policy import spaced_collections

__all__ = ["MAPPINGS", "ColumnMapping", "ReportOptions", "Row", "RowError"]

CHUNK_ROWS = 1000
COURSE_NAMED_MAPPINGS = frozenset({"moodle_course_completion", "moodle_grades"})
"""Mappings whose course comes from outside the file (`ReportOptions.course_code`)."""
MAX_REPORTED_ERRORS = 1000


class ImportRow(NamedTuple):
    """A valid row: who, which touchpoint, under which idempotency key."""

    line: int
    email: str
    name: str | None
    phone: str | None
    kind: type[ev.Touchpoint]
    provenance: Provenance
    fields: dict[str, Any]


@dataclass
class ImportReport:
    """An import's progress and outcome; `errors` lists the first invalid rows."""

    import_id: str
    source: str
    mapping: str
    status: str = "running"
    last_line: int = 0
    rows: int = 0
    recorded: int = 0
    duplicates: int = 0
    invalid: int = 0
    customers_created: int = 0
    errors: list[RowError] = field(default_factory=list)


ERASED_SOURCE = ""
"""An import's source name once a customer it recorded was erased."""


class ImportLog(ABC):
    """Where imports keep their progress, so a crashed one can resume."""

    @abstractmethod
    def start(self, import_id: str, source: str, mapping: str) -> ImportReport:
        """The import's record, created if new (an existing one is resumed)."""

    @abstractmethod
    def progress(
        self, report: ImportReport, errors: list[RowError], customers: Collection[UUID] = ()
    ) -> None:
        """Store the counts after a committed chunk, that chunk's row errors and the
        customers it recorded events for."""

    @abstractmethod
    def forget_customer(self, customer_id: UUID) -> int:
        """Remove the source name of every import that recorded events for the customer (an
        erasure: a file name may name the person); how many imports lost theirs."""

    @abstractmethod
    def customers(self, import_id: str, limit: int) -> tuple[list[UUID], int]:
        """The first `limit` customers the import recorded events for (by id), and how many
        it recorded events for in all."""

    @abstractmethod
    def get(self, import_id: str) -> ImportReport | None:
        """The import's record with its first errors, if it exists."""


# Reading --------------------------------------------------------------------------------


IMPORT_ID_LENGTH = 32


class ImportFingerprint:
    """An import's id taken from its mapping and its file's bytes, fed as they arrive.

    The same file under the same mapping is the same import, so uploading it again finds the
    first run's report, and a crashed run resumes from its progress.
    """

    def __init__(self, mapping: str) -> None:
        self._digest = hashlib.sha256(f"{mapping}\n".encode())

    def update(self, block: bytes) -> None:
        """Feed the next bytes of the file."""
        self._digest.update(block)

    @property
    def import_id(self) -> str:
        """The id of the import of the bytes fed so far."""
        return self._digest.hexdigest()[:IMPORT_ID_LENGTH]


def read_rows(stream: IO[bytes], file_format: str) -> Iterator[Row]:
    """Rows of a native CSV or NDJSON file as (line number, column -> text), read as a stream."""
    if file_format not in ("csv", "ndjson"):
        raise InvalidFieldError("format", "must be csv or ndjson")
    opened = open_import(
        stream, mapping="native", file_format=file_format, options=ReportOptions(HELSINKI)
    )
    return opened.rows


# Validating -----------------------------------------------------------------------------


CatalogueLookup = Callable[[str], tuple[str, OfferingTerms]]
"""A catalogue code -> (the code as the catalogue stores it, the offering's terms); an
`InvalidFieldError` on `offering_code` for a code the catalogue lacks."""


def catalogue_lookup(crm: CRM) -> CatalogueLookup:
    """Looks codes up in the offering catalogue, each code once per lookup."""
    known: dict[str, OfferingTerms | None] = {}

    def look_up(code: str) -> tuple[str, OfferingTerms]:
        try:
            normal = normal_code(code)
        except InvalidFieldError as error:
            raise InvalidFieldError("offering_code", error.problem) from None
        if normal not in known:
            try:
                offering: object = crm.repository.get(offering_id(normal))
            except AggregateNotFoundError:
                offering = None
            known[normal] = offering.terms if isinstance(offering, Offering) else None
        terms = known[normal]
        if terms is None:
            raise InvalidFieldError(
                "offering_code", "is not in the offering catalogue", code="not_in_catalogue"
            )
        return normal, terms

    return look_up


def parse_row(
    line: int,
    raw: dict[str, str] | RowError,
    mapping: ColumnMapping,
    recorded_by: str,
    time_zone: tzinfo = HELSINKI,
    catalogue: CatalogueLookup | None = None,
) -> ImportRow | RowError:
    """Map and validate one row; the first problem found is reported. With a `catalogue`,
    an offering code must be in it, and a completion without a course name or credits takes
    the catalogue's."""
    if isinstance(raw, RowError):
        return raw
    values: dict[str, str] = dict(mapping.defaults)
    mapping_name = mapping.name
    builtin = mapping_name in MAPPINGS
    for column, text in raw.items():
        if column is None or text is None:
            continue
        cleaned = text.strip()
        if cleaned:
            name = field_for(mapping_name, column) if builtin else mapping.field_for(column)
            if not name:
                continue
            if "\0" in cleaned:
                # PostgreSQL text cannot hold NUL, whichever field (a name too) it is in.
                return RowError(line, name, "contains a NUL character")
            values[name] = cleaned
    try:
        derived: frozenset[str] = frozenset()
        if catalogue is not None and "offering_code" in values:
            derived = _catalogued(values, mapping.kind or values.get("kind", ""), catalogue)
        return _validated(line, values, mapping, recorded_by, time_zone, derived)
    except InvalidFieldError as error:
        return RowError(line, error.field, error.problem)


def _catalogued(values: dict[str, str], kind: str, catalogue: CatalogueLookup) -> frozenset[str]:
    """The row's offering code as the catalogue has it; a completion's course name (Finnish)
    and credits from the catalogue where the row leaves them out. Returns the fields taken
    from the catalogue."""
    code, terms = catalogue(values["offering_code"])
    values["offering_code"] = code
    taken: dict[str, str] = {}
    if kind == "course_completed":
        taken["course"] = terms.name_fi
        if terms.credits is not None:
            taken["credits"] = str(terms.credits)
    derived = frozenset(name for name in taken if name not in values)
    for name in derived:
        values[name] = taken[name]
    return derived


def _validated(
    line: int,
    values: dict[str, str],
    mapping: ColumnMapping,
    recorded_by: str,
    zone: tzinfo,
    derived: frozenset[str] = frozenset(),
) -> ImportRow:
    kind_name = mapping.kind or values.get("kind", "")
    kind = ev.TOUCHPOINT_KINDS.get(kind_name)
    if kind is None:
        # Never the value itself: row errors are stored, and a row may hold anything.
        raise InvalidFieldError("kind", "is not a touchpoint kind")
    if "email" not in values:
        raise InvalidFieldError("email", "is required")
    email = normalise_email(values["email"])
    name = values.get("name") or (
        " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p) or None
    )
    if "occurred_at" not in values:
        raise InvalidFieldError("occurred_at", "is required")
    occurred_at = parse_time(values["occurred_at"], zone=zone)
    fields = _event_fields(kind, values)
    # The key depends on what the row says, not where it sits, so re-runs store nothing.
    # A field added to a kind later (with a default) counts only when the row fills it, so
    # rows stored before it existed keep their keys.
    added_later = later_fields(kind)
    # Values the catalogue supplied are left out: a revised entry must not make the same row
    # another completion.
    keyed = sorted(
        (n, v)
        for n, v in fields.items()
        if n not in derived and (v is not None or n not in added_later)
    )
    content = key_content([mapping.name, kind_name, email, values["occurred_at"], keyed])
    common: dict[str, Any] = {
        "occurred_at": occurred_at,
        "institution": values.get("institution", "joint"),
        "channel": values.get("channel", "import"),
        "recorded_by": recorded_by,
        "idempotency_key": "import:" + hashlib.sha256(content.encode()).hexdigest()[:40],
    }
    provenance = Provenance(**common)
    check_fields(common | fields)
    return ImportRow(line, email, name, values.get("phone"), kind, provenance, fields)


@functools.cache
def later_fields(kind: type[ev.Touchpoint]) -> frozenset[str]:
    """The kind's fields that have a default: those added after its events were first stored."""
    return frozenset(
        f.name for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING
    )


_KEY_CONTENT = json.JSONEncoder(default=str)
"""Encodes what an idempotency key is derived from; keys of stored rows depend on its output."""


def key_content(parts: list[Any]) -> str:
    """The text an import row's idempotency key is the hash of."""
    return _KEY_CONTENT.encode(parts)


def _event_fields(kind: type[ev.Touchpoint], values: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, coerce, optional in _field_specs(kind):
        text = values.get(name)
        if text is None:
            if not optional:
                raise InvalidFieldError(name, "is required")
            fields[name] = None
            continue
        if len(text) > 5000:
            raise InvalidFieldError(name, "is longer than 5000 characters")
        fields[name] = text if coerce is None else coerce(name, text)
    return fields


Coerce = Callable[[str, str], Any]


@functools.cache
def _field_specs(kind: type[ev.Touchpoint]) -> tuple[tuple[str, Coerce | None, bool], ...]:
    """The kind's own fields as (name, conversion from text or None for text, optional)."""
    return tuple((f.name, _COERCIONS.get(f.annotation), not f.required) for f in kind.own_fields())


def _to_decimal(name: str, text: str) -> Decimal:
    try:
        number = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation as error:
        raise InvalidFieldError(name, "is not a number") from error
    if not number.is_finite():
        raise InvalidFieldError(name, "is not a number")
    return number


def _to_int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError as error:
        raise InvalidFieldError(name, "is not a whole number") from error


def _to_date(name: str, text: str) -> date:
    return parse_time(text, name).date()


def _to_uuid(name: str, text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError as error:
        raise InvalidFieldError(name, "is not a UUID") from error


_COERCIONS: dict[Any, Coerce] = {
    Decimal: _to_decimal,
    Decimal | None: _to_decimal,
    int: _to_int,
    int | None: _to_int,
    date: _to_date,
    date | None: _to_date,
    UUID: _to_uuid,
    UUID | None: _to_uuid,
}


FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2})[:.](\d{2}))?$")


def parse_time(text: str, name: str = "occurred_at", zone: tzinfo = HELSINKI) -> datetime:
    """ISO 8601 or Finnish `d.m.yyyy [hh:mm]`; times without a zone are local to `zone`
    (the exporting account's, Finnish by default)."""
    match = FINNISH_DATE.match(text)
    try:
        if match:
            day, month, year, hour, minute = match.groups()
            parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidFieldError(name, "is not a date or time (ISO 8601 or d.m.yyyy)") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


# Importing ------------------------------------------------------------------------------


ATTEMPTS_WHOLE = 3
ATTEMPTS_ONE = 50


class ImportFailedError(CRMError):
    """An import stopped before the end of its file; its record says failed and why."""


def _back_off(attempt: int) -> None:
    # Another writer won; wait a random while so a busy customer's rows get their turn.
    time.sleep(random.uniform(0, min(0.005 * 2**attempt, 0.25)))


Progress = Callable[[ImportReport], None]


@dataclass
class Chunk:
    """Rows read for one transaction, and the last line they reach."""

    rows: list[ImportRow]
    errors: list[RowError]
    last_line: int


@dataclass
class DecidedChunk:
    """A chunk decided against its customers and encoded, ready to store."""

    chunk: Chunk
    customers: dict[str, Customer]
    """Each e-mail's customer as it stands once the chunk is stored."""
    events: list[StoredEvent]
    snapshots: list[StoredEvent]
    recorded: int = 0
    duplicates: int = 0
    created: int = 0
    rule_errors: list[RowError] = field(default_factory=list)


class Importer:
    """Imports rows into the CRM a chunk (one transaction) at a time.

    While one chunk is being stored, the next is decided and encoded: PostgreSQL inserts on
    one core while Python works on the other. The next chunk is decided against the customers
    as the stored chunk leaves them, so if storing fails on a concurrent change, both chunks
    are decided again from the database.
    """

    def __init__(self, crm: CRM, log: ImportLog, chunk_rows: int = CHUNK_ROWS) -> None:
        self.crm = crm
        self.log = log
        self.chunk_rows = chunk_rows
        self._dry_run = False
        recorder = crm.recorder
        self._insert: Callable[[Sequence[StoredEvent]], object] = (
            recorder.copy_events if isinstance(recorder, EventRecorder) else recorder.insert_events
        )

    def run(
        self,
        rows: Iterable[Row],
        *,
        import_id: str,
        source: str,
        mapping: ColumnMapping,
        recorded_by: str,
        progress: Progress | None = None,
        time_zone: tzinfo = HELSINKI,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import the rows, resuming after the last chunk a previous run committed.

        A dry run decides every row as an import would, stores nothing and logs nothing.
        An import that cannot go on is marked failed with the reason as its last error and
        raises `ImportFailedError`; it is never left running.
        """
        if dry_run:
            report = ImportReport(import_id, source, mapping.name, "dry_run")
        else:
            report = self.log.start(import_id, source, mapping.name)
            report.status = "running"
        self._dry_run = dry_run
        chunks = self._chunks(rows, report.last_line, mapping, recorded_by, time_zone)
        try:
            self._run(chunks, report, progress)
        except BaseException as error:
            if dry_run:
                raise
            stopped = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped"
            reason = f"the import {stopped}: {type(error).__name__}"
            report.status = "failed"
            failure = RowError(report.last_line + 1, "file", reason)
            report.errors.append(failure)
            with contextlib.suppress(Exception):
                self.log.progress(report, [failure])
            if not isinstance(error, Exception):
                raise
            raise ImportFailedError(reason) from error
        return report

    def _run(
        self, chunks: Iterator[Chunk], report: ImportReport, progress: Progress | None
    ) -> None:
        with (
            spaced_collections(),
            ThreadPoolExecutor(1, thread_name_prefix="import-writer") as writer,
        ):
            storing: tuple[DecidedChunk, Future[None] | None] | None = None
            carried: dict[str, Customer] = {}
            for chunk in chunks:
                decided = self._decide(chunk, carried)
                if storing is not None:
                    if not self._stored(storing):
                        # A customer changed under the chunk being stored, and this one was
                        # decided on top of it: decide both again on what the database holds.
                        redone = self._store_alone(storing[0].chunk)
                        storing = (redone, None)
                        decided = self._decide(chunk, redone.customers)
                    self._report(report, storing[0], progress)
                    self._release_keys(storing[0], decided)
                storing = (decided, None if self._dry_run else writer.submit(self._write, decided))
                carried = decided.customers
            if report.status != "dry_run":
                report.status = "completed"
            if storing is None:
                self._log(report, [])
            else:
                if not self._stored(storing):
                    storing = (self._store_alone(storing[0].chunk), None)
                self._report(report, storing[0], progress)
                self._release_keys(storing[0], None)

    def _log(
        self, report: ImportReport, errors: list[RowError], customers: Collection[UUID] = ()
    ) -> None:
        if not self._dry_run:
            self.log.progress(report, errors, customers)

    def _chunks(
        self,
        rows: Iterable[Row],
        resume_after: int,
        mapping: ColumnMapping,
        recorded_by: str,
        time_zone: tzinfo,
    ) -> Iterator[Chunk]:
        """The rows after `resume_after`, parsed, a chunk at a time."""
        catalogue = catalogue_lookup(self.crm)
        chunk: list[ImportRow] = []
        errors: list[RowError] = []
        last_line = resume_after
        for line, raw in rows:
            if line <= resume_after:
                continue
            last_line = line
            parsed = parse_row(line, raw, mapping, recorded_by, time_zone, catalogue)
            if isinstance(parsed, RowError):
                errors.append(parsed)
            else:
                chunk.append(parsed)
            if len(chunk) + len(errors) >= self.chunk_rows:
                yield Chunk(chunk, errors, last_line)
                chunk, errors = [], []
        if chunk or errors:
            yield Chunk(chunk, errors, last_line)

    @staticmethod
    def _stored(storing: tuple[DecidedChunk, Future[None] | None]) -> bool:
        """Wait for the chunk's transaction; False if a concurrent change refused it."""
        future = storing[1]
        try:
            if future is not None:
                future.result()
        except IntegrityError:
            return False
        return True

    def _store_alone(self, chunk: Chunk) -> DecidedChunk:
        """Decide the chunk on what the database holds and store it. While other writers keep
        changing its customers, store it in halves (by customer), down to one customer's
        rows, which wait their turn; those rows alone fail if their customer never settles.
        Never aborts the file."""
        for attempt in range(ATTEMPTS_WHOLE):
            decided = self._decide(chunk, {})
            try:
                self._write(decided)
            except IntegrityError:
                _back_off(attempt)
                continue
            return decided
        people = list(dict.fromkeys(row.email for row in chunk.rows))
        if len(people) > 1:
            half = set(people[: len(people) // 2])
            first = Chunk([r for r in chunk.rows if r.email in half], chunk.errors, chunk.last_line)
            rest = Chunk([r for r in chunk.rows if r.email not in half], [], chunk.last_line)
            return self._merged(self._store_alone(first), self._store_alone(rest))
        for attempt in range(ATTEMPTS_ONE):
            decided = self._decide(chunk, {})
            try:
                self._write(decided)
            except IntegrityError:
                _back_off(ATTEMPTS_WHOLE + attempt)
                continue
            return decided
        busy = "the customer kept changing during the import; import the file again"
        return DecidedChunk(
            chunk, {}, [], [], rule_errors=[RowError(r.line, "email", busy) for r in chunk.rows]
        )

    @staticmethod
    def _merged(first: DecidedChunk, second: DecidedChunk) -> DecidedChunk:
        rows = first.chunk.rows + second.chunk.rows
        chunk = Chunk(rows, first.chunk.errors + second.chunk.errors, first.chunk.last_line)
        return DecidedChunk(
            chunk,
            first.customers | second.customers,
            [],
            [],
            first.recorded + second.recorded,
            first.duplicates + second.duplicates,
            first.created + second.created,
            first.rule_errors + second.rule_errors,
        )

    def _report(
        self, report: ImportReport, decided: DecidedChunk, progress: Progress | None
    ) -> None:
        chunk = decided.chunk
        report.rows += len(chunk.rows) + len(chunk.errors)
        errors = sorted([*chunk.errors, *decided.rule_errors], key=lambda e: e.line)
        report.recorded += decided.recorded
        report.duplicates += decided.duplicates
        report.customers_created += decided.created
        report.invalid += len(errors)
        report.last_line = chunk.last_line
        room = MAX_REPORTED_ERRORS - len(report.errors)
        report.errors.extend(errors[: max(room, 0)])
        self._log(report, errors, [customer.id for customer in decided.customers.values()])
        if progress is not None:
            progress(report)

    def _release_keys(self, stored: DecidedChunk, following: DecidedChunk | None) -> None:
        """Drop the cached data keys of the stored chunk's customers that the next chunk does
        not go on with. An import meets most customers in one stretch of the file, and the
        key ring would otherwise fill with ciphers (some 2.7 kB each) nothing uses again."""
        going_on = following.customers if following is not None else {}
        for email, customer in stored.customers.items():
            if email not in going_on:
                self.crm.keys.forget(customer.id)

    def _write(self, decided: DecidedChunk) -> None:
        """Store the chunk's events in one transaction, then its snapshots."""
        self._insert(decided.events)
        if decided.snapshots and self.crm.snapshots is not None:
            # Snapshots only cache state that the events now stored rebuild anyway: one that
            # exists already is as good, and must not make the stored chunk look refused.
            with contextlib.suppress(IntegrityError):
                self.crm.snapshots.recorder.insert_events(decided.snapshots)

    def _decide(self, chunk: Chunk, carried: dict[str, Customer]) -> DecidedChunk:
        """Decide every row against its customer and encode the new events."""
        customers, registered = self._match_customers(chunk.rows, carried)
        decided = DecidedChunk(chunk, customers, [], [], created=len(registered))
        now = self.crm.clock()
        for row in chunk.rows:
            customer = customers[row.email]
            if customer.version_for(row.provenance.idempotency_key) is not None:
                decided.duplicates += 1
                continue
            try:
                customer.record_touchpoint(row.provenance, row.kind, row.fields, now=now)
            except CRMError as error:
                where = error.field if isinstance(error, InvalidFieldError) else "kind"
                decided.rule_errors.append(RowError(row.line, where, str(error)))
                continue
            decided.recorded += 1
        changed = [c for c in customers.values() if c.pending_events]
        if self._dry_run:
            for customer in changed:
                customer.collect_events()
            return decided
        self.crm.ensure_data_keys(changed)
        to_stored_event = self.crm.mapper.to_stored_event
        interval = self.crm.snapshotting_intervals.get(Customer)
        for customer in changed:
            new = customer.collect_events()
            decided.events.extend(map(to_stored_event, new))
            version = customer.version
            if interval and version // interval > (version - len(new)) // interval:
                snapshot = Customer.Snapshot.take(customer)
                decided.snapshots.append(to_stored_event(snapshot))
        return decided

    def _match_customers(
        self, chunk: list[ImportRow], carried: dict[str, Customer]
    ) -> tuple[dict[str, Customer], set[UUID]]:
        """Each e-mail's customer: carried over from the chunk before, loaded if known, else
        registered (in memory, not saved); and the ids of those registered."""
        identities = self.crm.identities
        customers: dict[str, Customer] = {}
        first_rows: dict[str, ImportRow] = {}
        for row in chunk:
            if row.email in customers or row.email in first_rows:
                continue
            if row.email in carried:
                customers[row.email] = carried[row.email]
            else:
                first_rows[row.email] = row
        claims = {email: identities.email_claim(email) for email in first_rows}
        held = identities.find(list(claims.values()))
        fresh = {claims[e]: uuid4() for e in first_rows if claims[e] not in held}
        # A dry run claims nothing: whoever is not found would be registered.
        taken = set(fresh) if self._dry_run else identities.claim_many(fresh)
        if len(taken) < len(fresh):
            held = identities.find(list(claims.values()))
        loaded = self.crm.get_customers([held[c] for c in claims.values() if c not in taken])
        # A record merged into another stands for the survivor: its rows go there.
        merged = {cid: c.merged_into for cid, c in loaded.items() if c.merged_into is not None}
        if merged:
            survivors = self.crm.get_customers(list(dict.fromkeys(merged.values())))
            loaded.update({cid: survivors[s] for cid, s in merged.items() if s in survivors})
        registered: set[UUID] = set()
        for email, row in first_rows.items():
            claim = claims[email]
            customer_id = fresh[claim] if claim in taken else held[claim]
            existing = None if claim in taken else loaded.get(customer_id)
            if existing is not None:
                customers[email] = existing
                continue
            # New, or a claim whose registration died before its event was saved.
            customers[email] = Customer.register(
                customer_id=customer_id,
                provenance=dataclasses.replace(
                    row.provenance, idempotency_key=f"{row.provenance.idempotency_key}:customer"
                ),
                customer_kind="person",
                customer_type="individual",
                name=row.name,
                email=row.email,
                phone=row.phone,
                sector=None,
                account_manager=None,
            )
            registered.add(customer_id)
        return customers, registered


@dataclass
class ImportRequest:
    """One file to import and how: `mapping` None recognises the export by its content."""

    source: str
    recorded_by: str
    mapping: str | ColumnMapping | None = None
    file_format: str | None = None
    options: ReportOptions = field(default_factory=lambda: ReportOptions(HELSINKI))
    dry_run: bool = False

    def report_options(self) -> ReportOptions:
        """The options, with the course a learning platform's export is of taken from the
        file's name (`source`) when the caller named none."""
        if self.options.course_code:
            return self.options
        return dataclasses.replace(self.options, course_code=course_code_in(self.source))


def planned_import(stream: IO[bytes], request: ImportRequest) -> tuple[str, ColumnMapping, str]:
    """What importing a seekable file would be: its import id (from the mapping and the
    bytes), its mapping and its file format. Raises `UnrecognisedFormatError`."""
    detected = open_import(
        stream,
        mapping=request.mapping,
        file_format=request.file_format,
        options=request.report_options(),
    )
    options = request.report_options()
    # A course named outside the file (its name, or the request) makes another import of the
    # same bytes; other mappings never read it, so their ids stay as they were.
    course = options.course_code if detected.mapping.name in COURSE_NAMED_MAPPINGS else None
    fingerprint = ImportFingerprint(
        detected.mapping.name if course is None else f"{detected.mapping.name}:{course.upper()}"
    )
    stream.seek(0)
    while block := stream.read(1 << 20):
        fingerprint.update(block)
    stream.seek(0)
    return fingerprint.import_id, detected.mapping, detected.file_format


def import_file(
    importer: Importer,
    stream: IO[bytes],
    request: ImportRequest,
    progress: Progress | None = None,
) -> tuple[ImportReport, bool]:
    """Import a seekable file; the report, and whether it is an earlier run's (the same file
    was imported before: nothing is done again). Raises `UnrecognisedFormatError`."""
    import_id, mapping, file_format = planned_import(stream, request)
    if not request.dry_run:
        earlier = importer.log.get(import_id)
        if earlier is not None and earlier.status == "completed":
            return earlier, True
    opened = open_import(
        stream,
        mapping=mapping if mapping.saved else mapping.name,
        file_format=file_format,
        options=request.report_options(),
    )
    report = importer.run(
        opened.rows,
        import_id=import_id,
        source=request.source,
        mapping=opened.mapping,
        recorded_by=request.recorded_by,
        progress=progress,
        time_zone=request.options.time_zone,
        dry_run=request.dry_run,
    )
    return report, False
