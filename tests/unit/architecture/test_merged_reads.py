"""Reads of customers' indicators and affiliations go through the merge map.

The indicators' per-record table and the affiliations table are read, outside their own
modules, only through the relations that combine merged records (`merged_customers`,
`history_of`, `links`), so a new list, report or segment condition cannot count an absorbed
record on its own or leave out a survivor's merged history. Every module under `src/` is
scanned.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"
OWNERS = {
    "indicators": SRC / "projections/views/indicators.py",
    "affiliations": SRC / "projections/views/organisations.py",
}
PER_RECORD_TABLE = re.compile(
    r"(?P<view>indicators|organisations|ind)"
    r"(\.prefix)?\}(?P<table>customers|affiliations)\b"
)


def per_record_reads(source: str) -> list[str]:
    """Where the source names the indicators' or affiliations' per-record table directly."""
    return [
        f"{source.count(chr(10), 0, match.start()) + 1}: {match.group(0)}"
        for match in PER_RECORD_TABLE.finditer(source)
        if not (
            match.group("view").endswith("organisations") and match.group("table") != "affiliations"
        )
    ]


def test_no_module_reads_indicator_rows_or_links_without_the_merge_map() -> None:
    found = {
        str(path.relative_to(SRC)): where
        for path in sorted(SRC.rglob("*.py"))
        if path not in OWNERS.values()
        for where in [per_record_reads(path.read_text(encoding="utf-8"))]
        if where
    }
    assert found == {}


def test_the_scan_finds_a_direct_read_of_the_per_record_table() -> None:
    assert per_record_reads('f"SELECT * FROM {indicators.prefix}customers c"') == [
        "1: indicators.prefix}customers"
    ]
    assert per_record_reads('f" JOIN {self.tables.organisations.prefix}affiliations a"') == [
        "1: organisations.prefix}affiliations"
    ]
    assert per_record_reads('f"FROM {indicators.merged_customers(merges)} c"') == []
