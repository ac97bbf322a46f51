"""What a reader hands on: a row of named values, or why a line is not one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported: the file's line, the field, the reason (never a value)."""

    line: int
    field: str
    reason: str


Row = tuple[int, dict[str, str] | RowError]
"""(line, column -> text) or, for a line that is no row, why not."""
