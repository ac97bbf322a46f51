"""Column mappings: how each known export's columns become touchpoint fields."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ColumnMapping:
    """How one export's columns map to touchpoint fields."""

    name: str
    description: str
    kind: str | None
    """The touchpoint kind of every row; None reads it from a `kind` column."""
    columns: dict[str, str] = field(default_factory=dict)
    """Source column (matched case-insensitively) -> field; unlisted columns keep their name."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Field values used when a row leaves them empty."""

    def field_for(self, column: str) -> str:
        if self.name in MAPPINGS:
            return field_for(self.name, column)
        # A saved mapping names every column it reads; the file's others are left out.
        lowered = {c.strip().lower(): f for c, f in self.columns.items()}
        return lowered.get(column.strip().lower(), "")

    @property
    def saved(self) -> bool:
        """Whether people saved this mapping (rather than it being one of `MAPPINGS`)."""
        return self.name.startswith(SAVED_PREFIX)


SAVED_PREFIX = "saved:"
"""Saved mappings' names carry this prefix wherever the import names its mapping."""


def saved_mapping(
    name: str, kind: str, columns: dict[str, str], defaults: dict[str, str]
) -> ColumnMapping:
    """A mapping people saved: every row is a `kind`, columns as they chose (columns not
    listed are ignored, so a file's other columns cannot fill fields by accident)."""
    return ColumnMapping(
        SAVED_PREFIX + name.removeprefix(SAVED_PREFIX),
        f"Saved column mapping for {kind}.",
        kind,
        dict(columns),
        {"channel": "import", **defaults},
    )


MAPPINGS: dict[str, ColumnMapping] = {
    m.name: m
    for m in (
        ColumnMapping(
            "native",
            "Our own field names; a `kind` column names each row's touchpoint kind.",
            None,
            defaults={"channel": "import"},
        ),
        ColumnMapping(
            "fair_visitors",
            "A fair's visitor list (badge scans at the stand).",
            "fair_visited",
            {
                "First name": "first_name",
                "Etunimi": "first_name",
                "Last name": "last_name",
                "Sukunimi": "last_name",
                "E-mail": "email",
                "Sähköposti": "email",
                "Phone": "phone",
                "Puhelin": "phone",
                "Fair": "fair_name",
                "Messut": "fair_name",
                "Scanned at": "occurred_at",
                "Käyntiaika": "occurred_at",
                "Comments": "notes",
                "Lisätiedot": "notes",
            },
            {"channel": "fair"},
        ),
        ColumnMapping(
            "webinar_attendees",
            "A webinar tool's attendee report (Zoom, Teams, Adobe Connect style).",
            "webinar_attended",
            {
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "User Email": "email",
                "Join Time": "occurred_at",
                "Webinar ID": "webinar_id",
                "Topic": "title",
                "Webinar Title": "title",
            },
            {"channel": "webinar"},
        ),
        *(
            ColumnMapping(name, description, None, defaults={"channel": "webinar"})
            for name, description in (
                (
                    "zoom_webinar_attendees",
                    "Zoom's webinar attendee report (sectioned CSV; Attended Yes/No).",
                ),
                ("zoom_webinar_registrations", "Zoom's webinar registration report."),
                ("zoom_meeting_participants", "Zoom's meeting participants export."),
                ("teams_attendance", "A Microsoft Teams attendance report (UTF-16, tabs)."),
            )
        ),
        ColumnMapping(
            "course_completions",
            "A learning platform's course completion list (learner e-mail, course code,"
            " completion date, credits, grade; English or Finnish headers).",
            "course_completed",
            {
                "Student name": "name",
                "Learner": "name",
                "Opiskelija": "name",
                "Nimi": "name",
                "Student email": "email",
                "Learner email": "email",
                "Email": "email",
                "Sähköposti": "email",
                "Course": "course",
                "Course name": "course",
                "Opintojakso": "course",
                "Opintojakson nimi": "course",
                "Course code": "offering_code",
                "Opintojakson tunnus": "offering_code",
                "Opintojaksokoodi": "offering_code",
                "Kurssikoodi": "offering_code",
                "Credits": "credits",
                "ECTS": "credits",
                "Opintopisteet": "credits",
                "op": "credits",
                "Grade": "grade",
                "Arvosana": "grade",
                "Completion date": "occurred_at",
                "Completed on": "occurred_at",
                "Suorituspäivä": "occurred_at",
                "Suorituspäivämäärä": "occurred_at",
            },
            {"channel": "training"},
        ),
        *(
            ColumnMapping(name, description, "course_completed", defaults={"channel": "training"})
            for name, description in (
                (
                    "moodle_course_completion",
                    "Moodle's course completion report (report/completion): completed learners;"
                    " the course from the file's name or offering_code.",
                ),
                (
                    "moodle_grades",
                    "Moodle's grades export (CSV or .xlsx): the course total as the grade; the"
                    " course from the file's name or offering_code.",
                ),
            )
        ),
    )
}


@functools.lru_cache(maxsize=4096)
def field_for(mapping: str, column: str) -> str:
    lowered = {c.lower(): f for c, f in MAPPINGS[mapping].columns.items()}
    return lowered.get(column.strip().lower(), column.strip().lower())
