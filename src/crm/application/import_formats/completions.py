"""Learning platforms' completion exports: Moodle's course completion report and its grades
export (CSV, Excel's UTF-16 CSV or .xlsx alike).

Neither names its course in a column: Moodle names the file after the course's short name
("completion-<short name>.csv" for the completion report, "<short name> Grades.csv" for the
grades export), so the course's catalogue code comes from the file's name, or from the
import's `offering_code` when the file was renamed. The course name and credits are then the
catalogue's; a code the catalogue lacks is each row's error, never a silent skip.

- Completion report (report/completion): `ID`, `Name`, the site's identity columns (`Email
  address`), one column per completion criterion, and `Course complete` last, holding the
  completion time as the exporting user's short date and time ("12/09/24, 14:30" in English,
  "12.09.24 14.30" in Finnish) or nothing while the course is not completed.
- Grades export (grade/export/txt, xls, ods): `First name`, `Last name` (or `Surname`), `ID
  number`, `Institution`, `Department`, `Email address`, grade items as "<item> (Real)",
  "(Letter)" or "(Percentage)", and `Last downloaded from this course` (a Unix time). The
  course total is the grade (the letter where exported, else the real value); the export's
  time is the completion's, as the export is what certifies it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from crm.application.import_formats.meetings import ReportOptions
from crm.application.import_formats.rows import Row, RowError
from crm.application.import_formats.text import Record

EMAIL_COLUMNS = ("email address", "email", "sähköpostiosoite", "sähköposti")
COMPLETE_COLUMNS = ("course complete", "kurssi suoritettu", "kurssin suoritus")
EXPORTED_COLUMNS = ("last downloaded from this course", "viimeksi ladattu tältä kurssilta")
FIRST_NAME = ("first name", "etunimi")
LAST_NAME = ("last name", "surname", "sukunimi")
MOODLE_DATE = re.compile(
    r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})(?:,?\s*(?:klo\s*)?(\d{1,2})[:.](\d{2}))?$"
)
FILE_NAMES = (
    re.compile(r"^completion[-_](?P<code>[\w-]+)\.(?:csv|txt|xlsx?)$", re.IGNORECASE),
    re.compile(
        r"^(?P<code>[\w-]+)[ _](?:grades|arvosanat)(?:\s*\(\d+\))?\.(?:csv|txt|xlsx?|ods)$",
        re.IGNORECASE,
    ),
)
NOT_COMPLETED = "is empty: the learner has not completed the course"
NO_COURSE = "is required: name the course (offering_code) or keep the export's file name"


def course_code_in(file_name: str) -> str | None:
    """The course's short name in a Moodle export's file name, if the name is Moodle's."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    for pattern in FILE_NAMES:
        match = pattern.match(base)
        if match:
            return match.group("code")
    return None


def moodle_time(text: str) -> str | None:
    """A Moodle short date and time (d/m/y or d.m.y, optional hh:mm) as ISO 8601 without a
    zone (the import's time zone applies); None if it is not one."""
    match = MOODLE_DATE.match(" ".join(text.split()))
    if not match:
        return None
    day, month, year, hour, minute = match.groups()
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        parsed = datetime(full_year, int(month), int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None
    return parsed.isoformat()


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [name.strip().lower() for name in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def _value(values: list[str], index: int | None) -> str:
    return values[index].strip() if index is not None and index < len(values) else ""


def is_completion_report(header: set[str]) -> bool:
    return "id" in header and "name" in header and bool(header & set(COMPLETE_COLUMNS))


def is_grades_export(header: set[str]) -> bool:
    return bool(header & set(EXPORTED_COLUMNS)) and bool(header & set(EMAIL_COLUMNS))


def completion_report_rows(
    found: Iterable[Record | RowError], options: ReportOptions
) -> Iterator[Row]:
    """Rows of a Moodle course completion report: one completion per completed learner."""
    header: list[str] | None = None
    for record in found:
        if isinstance(record, RowError):
            yield record.line, record
            continue
        if header is None:
            header = record.values
            email, name = _column(header, EMAIL_COLUMNS), _column(header, ("name", "nimi"))
            complete = _column(header, COMPLETE_COLUMNS)
            continue
        values = record.values
        if not any(v.strip() for v in values):
            continue
        when = _value(values, complete)
        if not when:
            yield record.line, RowError(record.line, "occurred_at", NOT_COMPLETED)
            continue
        occurred_at = moodle_time(when)
        if occurred_at is None:
            yield record.line, RowError(record.line, "occurred_at", "is not a Moodle date")
            continue
        yield (
            record.line,
            _completion(
                record.line, _value(values, email), _value(values, name), occurred_at, options
            ),
        )


def grades_export_rows(found: Iterable[Record | RowError], options: ReportOptions) -> Iterator[Row]:
    """Rows of a Moodle grades export: one completion per learner with a course total."""
    header: list[str] | None = None
    for record in found:
        if isinstance(record, RowError):
            yield record.line, record
            continue
        if header is None:
            header = record.values
            lowered = [h.strip().lower() for h in header]
            totals = [
                i
                for i, h in enumerate(lowered)
                if h.startswith(("course total", "kurssin yhteispisteet"))
            ]
            letter = [i for i in totals if "(letter)" in lowered[i] or "(kirjain)" in lowered[i]]
            total: int | None = (letter or totals)[0] if totals else None
            email, exported = _column(header, EMAIL_COLUMNS), _column(header, EXPORTED_COLUMNS)
            first, last = _column(header, FIRST_NAME), _column(header, LAST_NAME)
            continue
        values = record.values
        if not any(v.strip() for v in values):
            continue
        grade = _value(values, total)
        if grade in ("", "-"):
            yield record.line, RowError(record.line, "grade", "is empty: no course total")
            continue
        try:
            at = datetime.fromtimestamp(int(_value(values, exported)), UTC).isoformat()
        except (ValueError, OverflowError, OSError):
            yield record.line, RowError(record.line, "occurred_at", "is not a Unix time")
            continue
        name = " ".join(p for p in (_value(values, first), _value(values, last)) if p)
        row = _completion(record.line, _value(values, email), name, at, options)
        if isinstance(row, dict):
            row["grade"] = grade
        yield record.line, row


def _completion(
    line: int, email: str, name: str, occurred_at: str, options: ReportOptions
) -> dict[str, str] | RowError:
    if not options.course_code:
        return RowError(line, "offering_code", NO_COURSE)
    row = {"email": email, "occurred_at": occurred_at, "offering_code": options.course_code}
    if name:
        row["name"] = name
    return row
