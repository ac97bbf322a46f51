"""Import rows: idempotency keys stay what earlier imports stored, so re-runs add nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crm.application.imports import (
    _KEY_CONTENT,
    MAPPINGS,
    ImportRow,
    key_content,
    later_fields,
    parse_row,
)
from crm.domain import events as ev
from tests.factories import every_touchpoint

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


KEY_PARTS = [
    ["native", "fair_visited", "a@example.fi", "2025-03-14", []],
    [
        "fair_visitors",
        "fair_visited",
        "äiti@esimerkki.fi",
        '14.3.2025 "klo" 10.00\\\n\t\x01',
        sorted(
            {
                "notes": "Tekoäly 😀 \u2028 \x7f",
                "fair_name": "Studia",
                "amount": Decimal("1E+3"),
                "credits": Decimal("-0.50"),
                "score": 10,
                "big": 2**80,
                "next_review_due": date(2026, 3, 14),
                "organisation_id": uuid.UUID("c4e1f0e2-8a4b-4c1e-9f0a-1234567890ab"),
                "comment": None,
            }.items()
        ),
    ],
    # Types rows never hold are written by the encoder's str() fallback or as JSON.
    ["native", "feedback_given", "a@example.fi", "2025", [("score", 1.5), ("flag", True)]],
    ["native", None, "a@example.fi", "2025", [("when", datetime(2025, 1, 1, tzinfo=UTC))]],
]


@pytest.mark.parametrize("parts", KEY_PARTS)
def test_key_content_is_written_as_the_json_encoder_writes_it(parts: list[Any]) -> None:
    assert key_content(parts) == _KEY_CONTENT.encode(parts)


def test_rows_of_every_kind_get_the_key_the_json_encoder_derives() -> None:
    for kind, fields in every_touchpoint():
        raw = {"kind": kind, "email": "a@example.fi", "occurred_at": "2025-03-14T10:00"}
        raw |= {name: "" if value is None else str(value) for name, value in fields.items()}
        row = parse_row(2, raw, MAPPINGS["native"], "anna.am")
        assert isinstance(row, ImportRow), row
        # Fields a kind gained later count only when the row fills them.
        later = later_fields(ev.TOUCHPOINT_KINDS[kind])
        keyed = sorted((n, v) for n, v in row.fields.items() if v is not None or n not in later)
        content = _KEY_CONTENT.encode(["native", kind, "a@example.fi", "2025-03-14T10:00", keyed])
        digest = hashlib.sha256(content.encode()).hexdigest()[:40]
        assert row.provenance.idempotency_key == f"import:{digest}"
