"""Plain tables: a header line, then one row per line (CSV in any dialect, or a workbook's
first sheet), and NDJSON objects."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from crm.application.import_formats.rows import Row, RowError
from crm.application.import_formats.text import Lines, Record


def table_rows(records: Iterable[Record | RowError]) -> Iterator[Row]:
    """Rows of a table whose first record is its header."""
    header: list[str] | None = None
    width = 0
    for record in records:
        if isinstance(record, RowError):
            yield record.line, record
            continue
        if header is None:
            header = [name.strip() for name in record.values]
            width = len(header)
            continue
        values = record.values
        if record.end > record.line and len(values) != width:
            # A quoted field ran over line ends and took the rows after it with it.
            yield (
                record.line,
                RowError(
                    record.line, "row", f"has a quote that is not closed (to line {record.end})"
                ),
            )
            continue
        yield record.line, dict(zip(header, values, strict=False))


def ndjson_rows(lines: Lines) -> Iterator[Row]:
    """One JSON object per line."""
    problems = lines.problems
    for raw in lines:
        number = lines.number
        if number in problems:
            yield number, RowError(number, "row", problems.pop(number))
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            yield number, RowError(number, "row", "is not a JSON object")
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, "row", "is not a JSON object")
            continue
        yield number, {str(k): "" if v is None else str(v) for k, v in value.items()}
