"""The text import keys are hashed from stays byte for byte what earlier releases wrote, so
re-importing a file stores nothing twice."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from crm.application.imports import key_content

# Written by the release that encoded key content with the JSON encoder's C writer.
EARLIER_KEYS: list[tuple[list[Any], str, str]] = [
    (
        [
            "native",
            "fair_visited",
            "anna.virtanen@example.fi",
            "2025-03-01T10:00:00+02:00",
            [("fair_name", "Studia 2025"), ("notes", None)],
        ],
        '["native", "fair_visited", "anna.virtanen@example.fi", "2025-03-01T10:00:00+02:00",'
        ' [["fair_name", "Studia 2025"], ["notes", null]]]',
        "46e910137076ea1f8bd00edfcf0d480a78940512",
    ),
    (
        [
            "native",
            "purchase_made",
            "matti@example.fi",
            "2025-03-01 10:00",
            [
                ("amount", Decimal("1200.50")),
                ("credits", None),
                ("offering_type", "open_training"),
                ("purchase_id", "P-1"),
                ("title", "Tekoäly opetuksessa, syksy"),
            ],
        ],
        '["native", "purchase_made", "matti@example.fi", "2025-03-01 10:00",'
        ' [["amount", "1200.50"], ["credits", null], ["offering_type", "open_training"],'
        ' ["purchase_id", "P-1"], ["title", "Teko\\u00e4ly opetuksessa, syksy"]]]',
        "91b8c15b7c03b2aaf55e52376ee3fc81f89e7a61",
    ),
    (
        [
            "hubspot",
            "feedback_given",
            None,
            "1.3.2025",
            [("comment", 'Hyvä "kurssi"\\ \n\t\x01\x7f 😀 €'), ("score", 9)],
        ],
        '["hubspot", "feedback_given", null, "1.3.2025", [["comment",'
        ' "Hyv\\u00e4 \\"kurssi\\"\\\\ \\n\\t\\u0001\\u007f \\ud83d\\ude00 \\u20ac"],'
        ' ["score", 9]]]',
        "39c8f9754c8c2e0c24d8ac2caaabc4cfe8436240",
    ),
    (
        [
            "native",
            "membership",
            "x@example.fi",
            "2025-01-01",
            [
                ("due", date(2026, 1, 15)),
                ("organisation_id", uuid.UUID("12345678-1234-5678-1234-567812345678")),
                ("big", 2**70),
                ("flag", True),
            ],
        ],
        '["native", "membership", "x@example.fi", "2025-01-01", [["due", "2026-01-15"],'
        ' ["organisation_id", "12345678-1234-5678-1234-567812345678"],'
        ' ["big", 1180591620717411303424], ["flag", true]]]',
        "439bf4b474f3869592be26908567b0e6c0972f2e",
    ),
]


@pytest.mark.parametrize(("parts", "content", "digest"), EARLIER_KEYS)
def test_key_content_is_the_text_earlier_releases_wrote(
    parts: list[Any], content: str, digest: str
) -> None:
    assert key_content(parts) == content
    assert hashlib.sha256(key_content(parts).encode()).hexdigest()[:40] == digest
