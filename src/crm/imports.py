"""Bulk import of touchpoints from CSV or NDJSON exports: map, validate, match, save in chunks.

Each row is one touchpoint of one person, found by e-mail (blind index) or registered. Rows are
read as a stream and handled a chunk at a time: valid rows are decided against their customers
and all changed customers are saved in one transaction per chunk; invalid rows are reported
with line, field and reason. Every row's idempotency key is derived from the mapping and the
row's content, so running the same file again stores nothing new, and the import log's
progress lets a crashed import resume after the last committed chunk.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, get_type_hints
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError

from crm import events as ev
from crm.application import CRM
from crm.customer import Customer, Provenance, check_fields
from crm.errors import CRMError, InvalidFieldError
from crm.identity import normalise_email

LOCAL_TIME = ZoneInfo("Europe/Helsinki")
CHUNK_ROWS = 1000
MAX_REPORTED_ERRORS = 1000
COMMON = ("occurred_at", "institution", "channel", "recorded_by", "idempotency_key")
PERSON_FIELDS = ("email", "name", "first_name", "last_name", "phone")


@dataclass(frozen=True)
class ColumnMapping:
    """How one export's columns map to touchpoint fields."""

    name: str
    description: str
    kind: str | None
    """The touchpoint kind of every row; None reads it from a `kind` column."""
    columns: dict[str, str] = field(default_factory=dict)
    """Source column (matched case-insensitively) -> field; unlisted columns keep their name."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Field values used when a row leaves them empty."""

    def field_for(self, column: str) -> str:
        return _field_for(self.name, column)


MAPPINGS: dict[str, ColumnMapping] = {
    m.name: m
    for m in (
        ColumnMapping(
            "native",
            "Our own field names; a `kind` column names each row's touchpoint kind.",
            None,
            defaults={"channel": "import"},
        ),
        ColumnMapping(
            "fair_visitors",
            "A fair's visitor list (badge scans at the stand).",
            "fair_visited",
            {
                "First name": "first_name",
                "Etunimi": "first_name",
                "Last name": "last_name",
                "Sukunimi": "last_name",
                "E-mail": "email",
                "Sähköposti": "email",
                "Phone": "phone",
                "Puhelin": "phone",
                "Fair": "fair_name",
                "Messut": "fair_name",
                "Scanned at": "occurred_at",
                "Käyntiaika": "occurred_at",
                "Comments": "notes",
                "Lisätiedot": "notes",
            },
            {"channel": "fair"},
        ),
        ColumnMapping(
            "webinar_attendees",
            "A webinar tool's attendee report (Zoom, Teams, Adobe Connect style).",
            "webinar_attended",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "User Email": "email",
                "Join Time": "occurred_at",
                "Webinar ID": "webinar_id",
                "Topic": "title",
                "Webinar Title": "title",
            },
            {"channel": "webinar"},
        ),
        ColumnMapping(
            "course_completions",
            "A learning platform's course completion list.",
            "course_completed",
            {
                "Student name": "name",
                "Student email": "email",
                "Course": "course",
                "Course name": "course",
                "Credits": "credits",
                "ECTS": "credits",
                "Completion date": "occurred_at",
                "Completed on": "occurred_at",
            },
            {"channel": "training"},
        ),
    )
}


@functools.lru_cache(maxsize=4096)
def _field_for(mapping: str, column: str) -> str:
    lowered = {c.lower(): f for c, f in MAPPINGS[mapping].columns.items()}
    return lowered.get(column.strip().lower(), column.strip().lower())


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class ImportRow:
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


class ImportLog(ABC):
    """Where imports keep their progress, so a crashed one can resume."""

    @abstractmethod
    def start(self, import_id: str, source: str, mapping: str) -> ImportReport:
        """The import's record, created if new (an existing one is resumed)."""

    @abstractmethod
    def progress(self, report: ImportReport, errors: list[RowError]) -> None:
        """Store the counts after a committed chunk and that chunk's row errors."""

    @abstractmethod
    def get(self, import_id: str) -> ImportReport | None:
        """The import's record with its first errors, if it exists."""


# Reading --------------------------------------------------------------------------------


def read_rows(stream: IO[bytes], file_format: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as (line number, column -> text), read incrementally from a binary stream."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    if file_format == "csv":
        sample = text.readline()
        # Finnish spreadsheet exports separate columns with semicolons.
        dialect: type[csv.Dialect] = (
            SemicolonSeparated if sample.count(";") > sample.count(",") else csv.excel
        )
        reader = csv.reader(_prepend(sample, text), dialect)
        try:
            header = next(reader)
        except StopIteration:
            return
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            yield start, dict(zip(header, values, strict=False))
    elif file_format == "ndjson":
        for number, raw in enumerate(text, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                yield number, {"\0": "not a JSON object"}
                continue
            if not isinstance(value, dict):
                yield number, {"\0": "not a JSON object"}
                continue
            yield number, {str(k): "" if v is None else str(v) for k, v in value.items()}
    else:
        raise InvalidFieldError("format", "must be csv or ndjson")


class SemicolonSeparated(csv.excel):
    delimiter = ";"


def _prepend(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


# Validating -----------------------------------------------------------------------------


def parse_row(
    line: int, raw: dict[str, str], mapping: ColumnMapping, recorded_by: str
) -> ImportRow | RowError:
    """Map and validate one row; the first problem found is reported."""
    if "\0" in raw:
        return RowError(line, "row", raw["\0"])
    values: dict[str, str] = dict(mapping.defaults)
    for column, text in raw.items():
        if column is None or text is None:
            continue
        cleaned = text.strip()
        if cleaned:
            values[mapping.field_for(column)] = cleaned
    try:
        return _validated(line, values, mapping, recorded_by)
    except InvalidFieldError as error:
        return RowError(line, error.field, error.problem)


def _validated(
    line: int, values: dict[str, str], mapping: ColumnMapping, recorded_by: str
) -> ImportRow:
    kind_name = mapping.kind or values.get("kind", "")
    kind = ev.TOUCHPOINT_KINDS.get(kind_name)
    if kind is None:
        raise InvalidFieldError("kind", f"unknown touchpoint kind {kind_name!r}")
    if "email" not in values:
        raise InvalidFieldError("email", "is required")
    email = normalise_email(values["email"])
    name = values.get("name") or (
        " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p) or None
    )
    if "occurred_at" not in values:
        raise InvalidFieldError("occurred_at", "is required")
    occurred_at = parse_time(values["occurred_at"])
    fields = _event_fields(kind, values)
    # The key depends on what the row says, not where it sits, so re-runs store nothing.
    content = json.dumps(
        [mapping.name, kind_name, email, values["occurred_at"], sorted(fields.items())],
        default=str,
    )
    provenance = Provenance(
        occurred_at=occurred_at,
        institution=values.get("institution", "joint"),
        channel=values.get("channel", "import"),
        recorded_by=recorded_by,
        idempotency_key="import:" + hashlib.sha256(content.encode()).hexdigest()[:40],
    )
    check_fields({**provenance.as_fields(), **fields})
    return ImportRow(line, email, name, values.get("phone"), kind, provenance, fields)


def _event_fields(kind: type[ev.Touchpoint], values: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, annotation, optional in _field_specs(kind):
        text = values.get(name)
        if text is None:
            if not optional:
                raise InvalidFieldError(name, "is required")
            fields[name] = None
            continue
        fields[name] = _coerce(name, text, annotation)
    return fields


@functools.cache
def _field_specs(kind: type[ev.Touchpoint]) -> tuple[tuple[str, Any, bool], ...]:
    """The kind's own fields as (name, type, optional); resolving hints is slow, so once."""
    hints = get_type_hints(kind)
    return tuple(
        (f.name, hints[f.name], type(None) in getattr(hints[f.name], "__args__", ()))
        for f in dataclasses.fields(kind)
        if f.name not in COMMON
        and f.name not in ("originator_id", "originator_version", "timestamp")
    )


def _coerce(name: str, text: str, annotation: Any) -> Any:
    if len(text) > 5000:
        raise InvalidFieldError(name, "is longer than 5000 characters")
    if annotation in (Decimal, Decimal | None):
        try:
            number = Decimal(text.replace(",", ".").replace(" ", ""))
        except InvalidOperation as error:
            raise InvalidFieldError(name, "is not a number") from error
        if not number.is_finite():
            raise InvalidFieldError(name, "is not a number")
        return number
    if annotation in (int, int | None):
        try:
            return int(text)
        except ValueError as error:
            raise InvalidFieldError(name, "is not a whole number") from error
    if annotation in (date, date | None):
        return parse_time(text, name).date()
    if annotation in (UUID, UUID | None):
        try:
            return UUID(text)
        except ValueError as error:
            raise InvalidFieldError(name, "is not a UUID") from error
    return text


FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2})[:.](\d{2}))?$")


def parse_time(text: str, name: str = "occurred_at") -> datetime:
    """ISO 8601 or Finnish `d.m.yyyy [hh:mm]`; times without a zone are Finnish local time."""
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
        parsed = parsed.replace(tzinfo=LOCAL_TIME)
    return parsed


# Importing ------------------------------------------------------------------------------


Progress = Callable[[ImportReport], None]


class Importer:
    """Imports rows into the CRM a chunk (one transaction) at a time."""

    def __init__(self, crm: CRM, log: ImportLog, chunk_rows: int = CHUNK_ROWS) -> None:
        self.crm = crm
        self.log = log
        self.chunk_rows = chunk_rows

    def run(
        self,
        rows: Iterable[tuple[int, dict[str, str]]],
        *,
        import_id: str,
        source: str,
        mapping: ColumnMapping,
        recorded_by: str,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import the rows, resuming after the last chunk a previous run committed."""
        report = self.log.start(import_id, source, mapping.name)
        resume_after = report.last_line
        report.status = "running"
        chunk: list[ImportRow] = []
        errors: list[RowError] = []
        last_line = resume_after
        for line, raw in rows:
            if line <= resume_after:
                continue
            last_line = line
            parsed = parse_row(line, raw, mapping, recorded_by)
            if isinstance(parsed, RowError):
                errors.append(parsed)
            else:
                chunk.append(parsed)
            if len(chunk) + len(errors) >= self.chunk_rows:
                self._commit(report, chunk, errors, last_line, progress)
                chunk, errors = [], []
        report.status = "completed"
        self._commit(report, chunk, errors, last_line, progress)
        return report

    def _commit(
        self,
        report: ImportReport,
        chunk: list[ImportRow],
        errors: list[RowError],
        last_line: int,
        progress: Progress | None,
    ) -> None:
        for attempt in range(5):
            try:
                outcome = self._save_chunk(chunk)
                break
            except IntegrityError:
                # Another writer changed one of the customers; decide the chunk again.
                if attempt == 4:
                    raise
        recorded, duplicates, created, rule_errors = outcome
        report.rows += len(chunk) + len(errors)
        errors = sorted([*errors, *rule_errors], key=lambda e: e.line)
        report.recorded += recorded
        report.duplicates += duplicates
        report.customers_created += created
        report.invalid += len(errors)
        report.last_line = last_line
        room = MAX_REPORTED_ERRORS - len(report.errors)
        report.errors.extend(errors[: max(room, 0)])
        self.log.progress(report, errors)
        if progress is not None:
            progress(report)

    def _save_chunk(self, chunk: list[ImportRow]) -> tuple[int, int, int, list[RowError]]:
        customers, created = self._match_customers(chunk)
        recorded = duplicates = 0
        rule_errors: list[RowError] = []
        for row in chunk:
            customer = customers[row.email]
            if customer.version_for(row.provenance.idempotency_key) is not None:
                duplicates += 1
                continue
            try:
                customer.record_touchpoint(row.provenance, row.kind, row.fields)
            except CRMError as error:
                where = error.field if isinstance(error, InvalidFieldError) else "kind"
                rule_errors.append(RowError(row.line, where, str(error)))
                continue
            recorded += 1
        changed = [c for c in customers.values() if c.pending_events]
        if changed:
            self.crm.save(*changed)
        return recorded, duplicates, created, rule_errors

    def _match_customers(self, chunk: list[ImportRow]) -> tuple[dict[str, Customer], int]:
        """Each e-mail's customer: loaded if known, else registered (in memory, not saved)."""
        identities = self.crm.identities
        first_rows: dict[str, ImportRow] = {}
        for row in chunk:
            first_rows.setdefault(row.email, row)
        claims = {email: identities.email_claim(email) for email in first_rows}
        held = identities.find(list(claims.values()))
        fresh = {claims[e]: uuid4() for e in first_rows if claims[e] not in held}
        taken = identities.claim_many(fresh)
        if len(taken) < len(fresh):
            held = identities.find(list(claims.values()))
        customers: dict[str, Customer] = {}
        created = 0
        for email, row in first_rows.items():
            claim = claims[email]
            customer_id = fresh[claim] if claim in taken else held[claim]
            existing = None if claim in taken else self.crm._find(customer_id)
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
            created += 1
        return customers, created
