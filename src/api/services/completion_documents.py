"""A transcript or staff report as a printable PDF (fpdf2), in Finnish or English.

The PDF uses the core Helvetica font, which holds Latin-1 (Finnish and Swedish letters
included); a character beyond it prints as "?" rather than failing the document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fpdf import FPDF

from crm.domain.calendar import HELSINKI, local_text

TITLES = {
    "fi": {"transcript": "Opintosuoritusote", "staff": "Henkilöstön suoritukset",
           "printed": "Tulostettu"},
    "en": {"transcript": "Transcript of completions", "staff": "Staff completions",
           "printed": "Printed"},
}  # fmt: skip
WIDTHS = (56, 28, 86, 36, 0, 28, 24, 28)
"""Relative column widths (0: not printed: the offering's name goes in the course column)."""


COMPLETED_ON, CREDITS = 1, 5
"""The columns a reader reads as a day and as a number, written as the language writes them
(the CSV keeps ISO days and decimal points for spreadsheets and other programs)."""


def for_reading(values: list[Any], language: str) -> list[Any]:
    """A line's day and credits as the language writes them: "28.11.2026" and "2,5" in
    Finnish, "2026-11-28" and "2.5" in English."""
    shown = list(values)
    if shown[COMPLETED_ON]:
        shown[COMPLETED_ON] = local_text(date.fromisoformat(shown[COMPLETED_ON]), language)
    if language == "fi" and shown[CREDITS]:
        shown[CREDITS] = str(shown[CREDITS]).replace(".", ",")
    return shown


def latin1(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.encode("latin-1", errors="replace").decode("latin-1")


def report_pdf(
    header: list[str], lines: list[list[Any]], language: str, kind: str, subject: str | None
) -> bytes:
    """The report's lines as a table under a title naming the subject and the print time."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    titles = TITLES[language]
    title = titles[kind] + (f": {subject}" if subject else "")
    pdf.cell(0, 10, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)
    printed = local_text(datetime.now(HELSINKI), language)
    pdf.cell(0, 6, latin1(f"{titles['printed']} {printed}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    shown = [i for i, width in enumerate(WIDTHS) if width]
    pdf.set_font("Helvetica", size=9)
    # A table wraps long names and courses onto more lines instead of cutting them.
    with pdf.table(col_widths=[WIDTHS[i] for i in shown], text_align="LEFT") as table:
        heading = table.row()
        for i in shown:
            heading.cell(latin1(header[i]))
        for line in (for_reading(line, language) for line in lines):
            course = line[2] or ""
            if line[4]:
                course = f"{course} ({line[4]})" if course else line[4]
            values = [*line[:2], course, *line[3:]]
            row = table.row()
            for i in shown:
                row.cell(latin1(values[i]))
    return bytes(pdf.output())
