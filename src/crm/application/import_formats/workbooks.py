"""Excel workbooks (.xlsx): the first sheet's rows as records, cells as the text Excel shows."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

from crm.application.import_formats.rows import RowError
from crm.application.import_formats.text import MAX_FIELD_CHARS, Record
from crm.domain.errors import InvalidFieldError

XLSX_MAGIC = b"PK\x03\x04"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def workbook_records(stream: IO[bytes]) -> Iterator[Record | RowError]:
    """The first sheet's rows; a file that is no workbook is refused as a whole."""
    from openpyxl import load_workbook  # a workbook is rare: keep start-up light

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InvalidFieldError("file", "is not a readable .xlsx workbook") from error
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = [_text(v) for v in row]
            if not any(values):
                continue
            if any(len(v) > MAX_FIELD_CHARS for v in values):
                yield RowError(number, "row", "has a field longer than 128 KiB")
                continue
            yield Record(number, number, values)
    finally:
        book.close()
