"""Import rows: idempotency keys stay what earlier imports stored, so re-runs add nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.imports import MAPPINGS, ImportRow, parse_row

ROWS = [
    (
        {
            "kind": "course_completed",
            "email": " Oppija.Yksi@Example.FI ",
            "name": "Oppija Yksi",
            "occurred_at": "14.3.2025 10.00",
            "course": "Tekoäly",
            "credits": "5,0",
        },
        "import:3e8a47e97cdaea4a1ad90e94136b8ce52e28f2be",
    ),
    (
        {
            "kind": "annual_review_held",
            "email": "kumppani@example.fi",
            "occurred_at": "2025-03-14T10:00:00+02:00",
            "next_review_due": "2026-03-14",
            "institution": "TAMK",
            "channel": "company_visit",
        },
        "import:47e28b618ecdb5d6362d264c78719ab262e332ee",
    ),
    (
        {
            "kind": "feedback_given",
            "email": "palaute@example.fi",
            "occurred_at": "2025-03-14",
            "score": "9",
            "comment": 'Hyvä "kurssi"',
            "notes": "x",
        },
        "import:a35c5c9e1470ed57f38ac66b7d4599780c958dba",
    ),
]


@pytest.mark.parametrize(("raw", "key"), ROWS)
def test_a_row_keeps_the_idempotency_key_earlier_versions_derived(
    raw: dict[str, str], key: str
) -> None:
    row = parse_row(2, raw, MAPPINGS["native"], "anna.am")
    assert isinstance(row, ImportRow)
    assert row.provenance.idempotency_key == key


def test_fields_are_converted_to_their_kinds_types() -> None:
    course = parse_row(2, ROWS[0][0], MAPPINGS["native"], "anna.am")
    review = parse_row(3, ROWS[1][0], MAPPINGS["native"], "anna.am")
    feedback = parse_row(4, ROWS[2][0], MAPPINGS["native"], "anna.am")
    assert isinstance(course, ImportRow) and course.fields["credits"] == Decimal("5.0")
    assert course.email == "oppija.yksi@example.fi"
    assert isinstance(review, ImportRow) and review.fields["next_review_due"] == date(2026, 3, 14)
    assert isinstance(feedback, ImportRow) and feedback.fields["score"] == 9
