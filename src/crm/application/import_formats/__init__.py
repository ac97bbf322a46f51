"""Import formats recognised by content: the file's encoding, separator and kind of export.

`open_import` looks at a file's first bytes and records and picks its reader: a Zoom or Teams
report, a Moodle completion report or grades export, one of the provider's own lists, our
native CSV or NDJSON, or an Excel workbook. A mapping named by the caller overrides the guess.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from crm.application.import_formats.completions import (
    completion_report_rows,
    course_code_in,
    grades_export_rows,
    is_completion_report,
    is_grades_export,
)
from crm.application.import_formats.mappings import MAPPINGS, ColumnMapping, field_for
from crm.application.import_formats.meetings import ReportOptions, teams_rows, zoom_rows
from crm.application.import_formats.rows import Row, RowError
from crm.application.import_formats.tables import ndjson_rows, table_rows
from crm.application.import_formats.text import (
    SAMPLE_BYTES,
    Lines,
    Record,
    open_text,
    records,
    sniff_delimiter,
    sniff_encoding,
)
from crm.application.import_formats.workbooks import XLSX_MAGIC, workbook_records
from crm.domain.errors import InvalidFieldError

__all__ = [
    "MAPPINGS",
    "ColumnMapping",
    "OpenedImport",
    "ReportOptions",
    "Row",
    "RowError",
    "UnrecognisedFormatError",
    "course_code_in",
    "field_for",
    "open_import",
]

REPORTS = {
    "attendee report": "zoom_webinar_attendees",
    "registration report": "zoom_webinar_registrations",
    "1. summary": "teams_attendance",
}
DETECT_RECORDS = 50


class UnrecognisedFormatError(InvalidFieldError):
    """The file's kind could not be told from its content."""

    def __init__(self) -> None:
        super().__init__(
            "mapping",
            "the file's format was not recognised; name a mapping (docs/imports.md)",
        )


@dataclass
class OpenedImport:
    """A file ready to import: what it was read as, and its rows."""

    file_format: str
    """csv, ndjson or xlsx."""
    encoding: str
    mapping: ColumnMapping
    rows: Iterator[Row]


def _detect(head: list[Record]) -> str | None:
    """The mapping a table's first records say it is."""
    if not head:
        return None
    first = head[0].values[0].strip().lower()
    if first in REPORTS:
        return REPORTS[first]
    header = {v.strip().lower() for v in head[0].values}
    if {"name (original name)", "user email"} <= header or {"meeting id", "topic"} <= header:
        return "zoom_meeting_participants"
    if is_completion_report(header):
        return "moodle_course_completion"
    if is_grades_export(header):
        return "moodle_grades"
    if "kind" in header and "email" in header:
        return "native"
    scores = {
        name: len(header & {c.lower() for c in mapping.columns})
        for name, mapping in MAPPINGS.items()
        if mapping.columns
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] >= 2 else None


def _rows(name: str, found: Iterable[Record | RowError], options: ReportOptions) -> Iterator[Row]:
    if name in ("zoom_webinar_attendees", "zoom_meeting_participants"):
        return zoom_rows(found, options)
    if name == "zoom_webinar_registrations":
        return zoom_rows(found, options, registrations=True)
    if name == "teams_attendance":
        return teams_rows(found, options)
    if name == "moodle_course_completion":
        return completion_report_rows(found, options)
    if name == "moodle_grades":
        return grades_export_rows(found, options)
    return table_rows(found)


def open_import(
    stream: IO[bytes],
    *,
    mapping: str | ColumnMapping | None = None,
    file_format: str | None = None,
    options: ReportOptions,
) -> OpenedImport:
    """Read a seekable binary stream as the export it is (or as `mapping` says it is: a name
    from `MAPPINGS`, or a saved mapping, which reads the file as a plain table)."""
    sample = stream.read(SAMPLE_BYTES)
    stream.seek(0)
    if file_format == "xlsx" or (file_format is None and sample.startswith(XLSX_MAGIC)):
        found: Iterator[Record | RowError] = workbook_records(stream)
        return _opened("xlsx", "xlsx", found, mapping, options)
    encoding = sniff_encoding(sample)
    lines = Lines(open_text(stream, encoding), encoding)
    decoded = sample.decode(encoding, errors="replace")
    if file_format == "ndjson" or (file_format is None and decoded.lstrip().startswith("{")):
        chosen = mapping if isinstance(mapping, ColumnMapping) else MAPPINGS[mapping or "native"]
        return OpenedImport("ndjson", encoding, chosen, ndjson_rows(lines))
    delimiter = sniff_delimiter(decoded.splitlines()[:DETECT_RECORDS])
    return _opened("csv", encoding, records(lines, delimiter), mapping, options)


def _opened(
    file_format: str,
    encoding: str,
    found: Iterator[Record | RowError],
    mapping: str | ColumnMapping | None,
    options: ReportOptions,
) -> OpenedImport:
    if isinstance(mapping, ColumnMapping):
        return OpenedImport(file_format, encoding, mapping, table_rows(found))
    head: list[Record | RowError] = list(itertools.islice(found, DETECT_RECORDS))
    name = mapping or _detect([r for r in head if isinstance(r, Record)])
    if name is None:
        raise UnrecognisedFormatError()
    rows = _rows(name, itertools.chain(head, found), options)
    return OpenedImport(file_format, encoding, MAPPINGS[name], rows)
