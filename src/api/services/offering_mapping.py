"""The mapping report of legacy free-text offerings: which names typed on purchases,
completions, recommendations and feedback (before entries named a catalogue code) match an
offering of the catalogue by its code or its Finnish or English name, and which do not.

Matching ignores case and repeated spaces. The texts are personal data, so the report is read
from the timeline's sealed part and every customer it reads is access-logged by the caller.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from api.bootstrap.wiring import Services
from projections.views.offerings import Offerings
from projections.views.timeline import Timeline

KINDS = ["purchase_made", "course_completed", "recommendation_given", "feedback_given"]
SCAN_LIMIT = 20_000
"""Entries read per report, newest first; the report says how many exist in all."""
SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class MappedText:
    text: str
    entries: int
    code: str | None
    """The catalogue code the text matches, None when it matches none."""


@dataclass(frozen=True)
class MappingReport:
    texts: list[MappedText]
    """Unmatched texts first, then by number of entries."""
    scanned: int
    total: int
    customers: list[UUID]


def normal(text: str) -> str:
    return SPACES.sub(" ", text).strip().casefold()


def mapping_report(services: Services) -> MappingReport:
    known: dict[str, str] = {}
    for row in services.views.get(Offerings).every_name():
        for name in (row["code"], row["name_fi"], row["name_en"]):
            known.setdefault(normal(name), row["code"])
    found, total = services.views.get(Timeline).free_text_offerings(KINDS, SCAN_LIMIT)
    counts = Counter(normal(text) for _, text in found)
    shown: dict[str, str] = {}
    for _, text in found:
        shown.setdefault(normal(text), SPACES.sub(" ", text).strip())
    texts = [MappedText(shown[key], n, known.get(key)) for key, n in counts.items()]
    texts.sort(key=lambda t: (t.code is not None, -t.entries, t.text))
    customers = list(dict.fromkeys(customer for customer, _ in found))
    return MappingReport(texts, min(total, SCAN_LIMIT), total, customers)
