"""Completion registry look-ups, a learner's transcript and an organisation's staff report,
shared by the API and the pages. Each answer says which customers it shows, for the access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from api.services.spreadsheet import csv_text
from crm.domain.errors import InvalidFieldError
from projections.engine.merges import MergeMap
from projections.views.completions import CompletionFilter, Completions
from projections.views.directory import CustomerDirectory
from projections.views.offerings import Offerings
from projections.views.organisations import Organisations

REPORT_LIMIT = 50_000
"""Rows per transcript or staff report; more is refused (422) rather than cut."""

HEADERS: dict[str, dict[str, str]] = {
    "fi": {
        "learner": "Henkilö",
        "completed_on": "Suorituspäivä",
        "course": "Kurssi",
        "offering_code": "Tuotekoodi",
        "offering": "Tuote",
        "credits": "Opintopisteet",
        "grade": "Arvosana",
        "institution": "Korkeakoulu",
    },
    "en": {
        "learner": "Learner",
        "completed_on": "Completed on",
        "course": "Course",
        "offering_code": "Offering code",
        "offering": "Offering",
        "credits": "Credits",
        "grade": "Grade",
        "institution": "Institution",
    },
}
"""Column headings of the reports in each language."""


@dataclass(frozen=True)
class Lookup:
    """A page of completions with the names it shows."""

    rows: list[Any]
    total: int
    credits: Decimal
    learners: dict[UUID, str | None]
    offerings: dict[str, Any]

    @property
    def shown(self) -> list[UUID]:
        return list(dict.fromkeys(row["customer_id"] for row in self.rows))


def learners_of(services: Services, organisation: UUID) -> list[UUID]:
    """The organisation's staff: the people currently affiliated with it, each with every
    record of theirs merged into one (completions are recorded on either)."""
    members = services.views.get(Organisations).members(organisation, services.views.get(MergeMap))
    return [stream for member in members for stream in member["streams"]]


def completion_filter(
    services: Services,
    *,
    person: UUID | None = None,
    organisation: UUID | None = None,
    offering_code: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> CompletionFilter:
    """What a look-up covers: one learner, an organisation's staff, or everyone."""
    if start is not None and end is not None and end < start:
        raise InvalidFieldError("end", "must not be before start")
    learners: list[UUID] | None = None
    if organisation is not None:
        learners = learners_of(services, organisation)
    if person is not None:
        learners = [person] if learners is None or person in learners else []
    code = offering_code.strip().upper() if offering_code else None
    return CompletionFilter(learners, code or None, start, end)


def look_up(services: Services, where: CompletionFilter, offset: int, limit: int) -> Lookup:
    rows, total, credits = services.views.get(Completions).page(where, offset=offset, limit=limit)
    return _named(services, rows, total, Decimal(credits or 0))


def _named(services: Services, rows: list[Any], total: int, credits: Decimal) -> Lookup:
    learners = services.views.get(CustomerDirectory).names(
        list(dict.fromkeys(row["customer_id"] for row in rows))
    )
    codes = list({row["offering_code"] for row in rows if row["offering_code"]})
    offerings = services.views.get(Offerings).names(codes)
    return Lookup(rows, total, credits, learners, offerings)


def report_lines(
    services: Services, where: CompletionFilter, language: str
) -> tuple[list[str], list[list[Any]], Lookup]:
    """A transcript (one learner) or staff report (several): headings in the language and one
    line per completion, oldest first per learner, with the credits in all on the last line."""
    rows = services.views.get(Completions).all_of(where, REPORT_LIMIT + 1)
    if len(rows) > REPORT_LIMIT:
        raise InvalidFieldError("start", f"the report would hold over {REPORT_LIMIT} rows")
    found = _named(services, rows, len(rows), sum((r["credits"] for r in rows), Decimal(0)))
    texts = HEADERS[language]
    header = [texts[name] for name in HEADERS["en"]]
    name_key = "name_fi" if language == "fi" else "name_en"
    lines: list[list[Any]] = [
        [
            found.learners.get(row["customer_id"]) or str(row["customer_id"]),
            row["completed_on"].isoformat(),
            row["course"],
            row["offering_code"],
            (found.offerings.get(row["offering_code"]) or {}).get(name_key),
            f"{row['credits']:g}",
            row["grade"],
            row["institution"],
        ]
        for row in rows
    ]
    total = "Yhteensä" if language == "fi" else "Total"
    lines.append([total, "", "", "", "", f"{found.credits:g}", "", ""])
    return header, lines, found


def report_csv(services: Services, where: CompletionFilter, language: str) -> tuple[str, Lookup]:
    """The report as spreadsheet-safe CSV."""
    header, lines, found = report_lines(services, where, language)
    return csv_text(header, lines), found
