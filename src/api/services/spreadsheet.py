"""Spreadsheet-safe CSV and workbooks: every export's cells pass through one function.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula
by spreadsheet programs (`=HYPERLINK(...)` in a customer's name would run on opening the
export), so such a cell gets a leading apostrophe, which spreadsheets show as text.

Files meant for people's spreadsheets come in the forms Excel opens as they are: CSV with a
UTF-8 byte-order mark (without it Excel reads UTF-8 as the locale's code page and garbles
"ä") and a `;` separator where the locale's decimal comma makes that Excel's default (as in
Finland), or an `.xlsx` workbook.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm.domain.calendar import HELSINKI

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Delimiter = Literal[",", ";"]
BYTE_ORDER_MARK = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row, every cell made spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: Delimiter = ",",
    byte_order_mark: bool = False,
) -> bytes:
    """`csv_text` as UTF-8 with the given separator, optionally behind a byte-order mark."""
    buffer = io.StringIO()
    if byte_order_mark:
        buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def workbook_cell(value: Any) -> Any:
    """A value as a workbook holds it: formula-safe text without the control characters
    the format cannot hold, and date-times in the provider's time zone (a workbook's
    times have no zone)."""
    if isinstance(value, datetime):
        return value.astimezone(HELSINKI).replace(tzinfo=None) if value.tzinfo else value
    if value is None or isinstance(value, (int, float, Decimal, date)):
        return value
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows), every cell made safe."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([workbook_cell(name) for name in header])
        for row in rows:
            sheet.append([workbook_cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
