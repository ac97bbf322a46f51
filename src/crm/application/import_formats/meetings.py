"""Meeting tools' reports: Zoom's webinar attendee and registration reports and meeting
participants export, and Microsoft Teams attendance reports.

They are sectioned: a preamble, a header block saying which meeting (topic, id, start), then
sections each with its own header line. What they mean, not just their columns: a person
registered but absent (Attended = No) registered without attending; one who rejoined is one
attendance with the first join and the total time; hosts, panelists, organisers, presenters
and the provider's own staff are not customers; times are the exporting account's local time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from crm.application.import_formats.rows import Row, RowError
from crm.application.import_formats.text import Record

US_TIMES = (
    "%m/%d/%Y %I:%M:%S %p",  # Zoom: 03/04/2025 02:02:11 PM
    "%m/%d/%y, %I:%M:%S %p",  # Teams: 3/11/25, 8:31:11 AM
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%b %d, %Y %I:%M:%S %p",  # Zoom, some regions: Mar 4, 2025 02:02:11 PM
)
NOT_CUSTOMERS = ("host", "panelist", "organizer", "co-organizer", "presenter")
MISSING_EMAIL = "is missing (a guest without an e-mail)"
NAME_MARKS = re.compile(r"\s*\((?:external|guest|unverified)\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReportOptions:
    """How to read a report: its account's time zone, the provider's own domains, and the
    course a learning platform's export is of (where the export names it only in its file
    name, `crm.application.import_formats.completions`)."""

    time_zone: tzinfo
    staff_domains: tuple[str, ...] = ()
    course_code: str | None = None

    def is_staff(self, email: str) -> bool:
        domain = email.rpartition("@")[2].strip().lower()
        return any(domain == d or domain.endswith("." + d) for d in self.staff_domains)


def us_time(text: str, zone: tzinfo) -> str | None:
    """A report's US-style local time as ISO 8601 with its offset; None if it is not one."""
    text = " ".join(text.split())
    for pattern in US_TIMES:
        try:
            parsed = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone).isoformat()
    return None


def minutes_of(text: str) -> int:
    """Whole minutes of "47", "1h 13m 51s" or "52m 3s"; 0 when unreadable."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    parts = {unit: int(n) for n, unit in re.findall(r"(\d+)\s*([hms])", text)}
    return parts.get("h", 0) * 60 + parts.get("m", 0) + (1 if parts.get("s", 0) >= 30 else 0)


@dataclass
class Attendance:
    """One person's joins of one meeting, folded into one attendance."""

    line: int
    row: dict[str, str]
    first_join: str
    minutes: int = 0
    joins: int = 0
    joined: list[str] = field(default_factory=list)


def _lowered(header: list[str], values: list[str]) -> dict[str, str]:
    return {h.strip().lower(): v.strip() for h, v in zip(header, values, strict=False)}


def _first(row: dict[str, str], *names: str) -> str:
    for name in names:
        value = row.get(name, "")
        if value and value != "--":
            return value
    return ""


class _Folder:
    """Folds rejoins into one attendance per person; a section's rows come out in line order
    (each person at their first line), so an import resumes after any of them."""

    def __init__(self) -> None:
        self.people: dict[str, Attendance] = {}
        self.others: list[Row] = []

    def keep(self, line: int, row: dict[str, str] | RowError) -> None:
        self.others.append((line, row))

    def add(self, line: int, row: dict[str, str], join: str, minutes: int) -> None:
        person = self.people.get(row["email"])
        if person is None:
            self.people[row["email"]] = Attendance(line, row, join, minutes, 1)
            return
        person.joins += 1
        person.minutes += minutes
        person.first_join = min(person.first_join, join)

    def rows(self) -> Iterator[Row]:
        rows = self.others
        for person in self.people.values():
            sessions = f" in {person.joins} sessions" if person.joins > 1 else ""
            row = person.row | {
                "occurred_at": person.first_join,
                "notes": f"Attended {person.minutes} min{sessions}",
            }
            rows.append((person.line, row))
        rows.sort(key=lambda row: row[0])
        yield from rows
        self.people.clear()
        self.others = []


def zoom_rows(
    records: Iterable[Record | RowError], options: ReportOptions, *, registrations: bool = False
) -> Iterator[Row]:
    """Rows of a Zoom webinar attendee or registration report or a meeting participants
    export: the header block's topic and id apply to every row; attendees are folded."""
    topic = webinar_id = start = host_email = ""
    block_header: list[str] | None = None
    section = ""
    header: list[str] | None = None
    folder = _Folder()
    zone = options.time_zone
    for record in records:
        if isinstance(record, RowError):
            folder.keep(record.line, record)
            continue
        values = record.values
        first = values[0].strip().lower()
        cells = [v for v in values if v.strip()]
        if block_header is not None:
            block = _lowered(block_header, values)
            topic = _first(block, "topic", "webinar name", "meeting topic")
            webinar_id = _first(block, "webinar id", "meeting id", "id")
            start = _first(block, "actual start time", "start time", "scheduled start time")
            host_email = _first(block, "user email", "host email").lower()
            block_header = None
            continue
        if first in ("topic", "meeting id", "webinar id") and len(cells) > 1:
            block_header = values
            continue
        if len(cells) == 1 and (first.endswith("details") or first == "other information"):
            yield from folder.rows()
            section = first
            header = None
            continue
        if header is None:
            lowered = [v.strip().lower() for v in values]
            if any(name in lowered for name in ("email", "user email")):
                header = values
            continue
        if section in ("host details", "panelist details", "other information"):
            continue
        row = _lowered(header, values)
        email = _first(row, "email", "user email")
        name = _first(row, "first name") + " " + _first(row, "last name")
        name = name.strip() or NAME_MARKS.sub(
            "", _first(row, "user name (original name)", "name (original name)", "name")
        )
        if not email:
            folder.keep(record.line, RowError(record.line, "email", MISSING_EMAIL))
            continue
        if email.lower() == host_email or options.is_staff(email):
            continue
        common = {
            "email": email,
            "name": name,
            "webinar_id": webinar_id,
            "title": topic,
            "phone": _first(row, "phone"),
        }
        common = {k: v for k, v in common.items() if v}
        registered = _first(row, "registration time")
        attended = _first(row, "attended").lower()
        if registrations or attended == "no":
            when = us_time(registered, zone) or us_time(start, zone) or registered or start
            folder.keep(record.line, common | {"kind": "webinar_registered", "occurred_at": when})
            continue
        join = _first(row, "join time")
        joined = us_time(join, zone) or join
        minutes = minutes_of(_first(row, "time in session (minutes)", "duration (minutes)"))
        folder.add(record.line, common | {"kind": "webinar_attended"}, joined, minutes)
    yield from folder.rows()


def teams_rows(records: Iterable[Record | RowError], options: ReportOptions) -> Iterator[Row]:
    """Rows of a Teams attendance report: the summary's title and start apply to every
    participant; "2. Participants" already folds each person's joins."""
    summary: dict[str, str] = {}
    section = ""
    header: list[str] | None = None
    zone = options.time_zone
    for record in records:
        if isinstance(record, RowError):
            yield record.line, record
            continue
        values = record.values
        first = values[0].strip().lower()
        if re.match(r"^\d+\.\s", first):
            section = first.split(".", 1)[1].strip()
            header = None
            continue
        if section == "summary":
            if len(values) > 1:
                summary[first] = values[1].strip()
            continue
        if section != "participants":
            continue
        if header is None:
            header = values
            continue
        row = _lowered(header, values)
        role = _first(row, "role").lower()
        if role in NOT_CUSTOMERS:
            continue
        email = _first(row, "email", "participant id (upn)")
        if "@" not in email:
            yield record.line, RowError(record.line, "email", MISSING_EMAIL)
            continue
        if options.is_staff(email):
            continue
        start = summary.get("start time", "")
        title = summary.get("meeting title") or summary.get("title", "")
        meeting_id = summary.get("meeting id") or f"teams {us_time(start, zone) or start}"
        join = _first(row, "first join", "join time")
        minutes = minutes_of(_first(row, "in-meeting duration", "duration"))
        yield (
            record.line,
            {
                "kind": "webinar_attended",
                "email": email,
                "name": NAME_MARKS.sub("", _first(row, "name", "full name")),
                "occurred_at": us_time(join, zone) or join,
                "webinar_id": meeting_id,
                "title": title,
                "notes": f"Attended {minutes} min",
            },
        )
