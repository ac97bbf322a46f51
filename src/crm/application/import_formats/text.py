"""Reading an export's text as people really have it: any encoding a spreadsheet, a meeting
tool or a browser writes, comma, semicolon or tab, with every over-long or broken line
turned into a row problem instead of a crash or a line read whole into memory."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from crm.application.import_formats.rows import RowError

MAX_LINE_CHARS = 1 << 20
"""A longer line is a row error; it is skipped a piece at a time, never read whole."""
MAX_FIELD_CHARS = 128 * 1024
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
REPLACEMENT = "\ufffd"

csv.field_size_limit(MAX_FIELD_CHARS)


def sniff_encoding(sample: bytes) -> str:
    """The file's encoding from its first bytes: a byte-order mark (UTF-8 from Excel, UTF-16
    from Teams), else UTF-8 if the sample decodes as such, else Windows-1252 (Excel's
    "CSV (semicolon delimited)" in a Finnish locale)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut in two by the sample's end is still UTF-8; a lone Windows-1252
        # letter near the end ("ä\r\n") is not a cut character.
        if error.reason != "unexpected end of data":
            return "cp1252"
    return "utf-8"


def sniff_delimiter(lines: list[str]) -> str:
    """The separator of the first line that has one: the one it holds most of."""
    for line in lines:
        counts = {d: line.count(d) for d in DELIMITERS}
        if any(counts.values()):
            return max(DELIMITERS, key=lambda d: counts[d])
    return ","


class _BorrowedText(io.TextIOWrapper):
    """Text over a stream its caller owns: closing it (or collecting it) leaves the stream
    open, so the caller can read the file again."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.detach()


def open_text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    """The stream as text; undecodable bytes become U+FFFD and their line a row error."""
    return _BorrowedText(stream, encoding=encoding, errors="replace", newline="")


class Lines:
    """A text stream's lines, each at most `MAX_LINE_CHARS` long; `problems` holds the line
    numbers of over-long and undecodable lines with what is wrong with them."""

    def __init__(self, text: IO[str], encoding: str) -> None:
        self.text = text
        self.encoding = encoding
        self.number = 0
        self.problems: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        readline = self.text.readline
        while line := readline(MAX_LINE_CHARS):
            self.number += 1
            if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                while (rest := readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                    pass
                self.problems[self.number] = "is longer than 1 MiB"
                yield "\n"
                continue
            if REPLACEMENT in line:
                name = "UTF-8" if self.encoding.startswith("utf-8") else self.encoding.upper()
                self.problems[self.number] = f"is not valid {name} text"
            yield line


@dataclass(frozen=True)
class Record:
    """One CSV record: the file lines it spans and its values."""

    line: int
    end: int
    values: list[str]


def records(lines: Lines, delimiter: str) -> Iterator[Record | RowError]:
    """The CSV records of the lines; a record that cannot be read is a `RowError`."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    line = 0
    problems = lines.problems
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start, line = line + 1, reader.line_num
            reason = (
                "has a field longer than 128 KiB (or a quote that is never closed)"
                if "field limit" in str(error)
                else f"is not valid CSV ({error})"
            )
            yield RowError(start, "row", reason)
            continue
        start, line = line + 1, reader.line_num
        if problems:
            bad = next((n for n in range(start, line + 1) if n in problems), None)
            if bad is not None:
                yield RowError(bad, "row", problems.pop(bad))
                continue
        if values and any(values):
            yield Record(start, line, values)
