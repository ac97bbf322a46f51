"""Candidate duplicates: pairs of customers that share a blocking key, scored by evidence.

Only the directory's rows (name, e-mail, phone, kind, owner) and the organisations view's
current affiliations are read; nothing is stored. Each kind of key groups customers; every
pair inside a group gets that key's evidence, and a pair's score is the sum of its
evidence's weights, capped at 1. A key shared by more than `MAX_GROUP` customers pairs
nobody (one switchboard number would pair everyone with everyone) and is counted in
`keys_left_out`, so the list says what it does not cover.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from uuid import UUID

MAX_GROUP = 25
"""The most customers one key may pair among themselves."""


class Evidence(StrEnum):
    SAME_NAME_SAME_ORGANISATION = "same_name_same_organisation"
    EMAIL_LOCAL_PART_VARIANT = "email_local_part_variant"
    SAME_LOCAL_PART_OTHER_DOMAIN = "same_local_part_other_domain"
    SAME_PHONE = "same_phone"
    NAME_MATCHES_EMAIL = "name_matches_email"
    SAME_NAME = "same_name"


WEIGHTS: dict[Evidence, float] = {
    Evidence.SAME_NAME_SAME_ORGANISATION: 0.5,
    Evidence.EMAIL_LOCAL_PART_VARIANT: 0.4,
    Evidence.SAME_LOCAL_PART_OTHER_DOMAIN: 0.1,
    Evidence.SAME_PHONE: 0.5,
    Evidence.NAME_MATCHES_EMAIL: 0.3,
    Evidence.SAME_NAME: 0.2,
}
SUPPORTING_ONLY = frozenset({Evidence.SAME_NAME, Evidence.SAME_LOCAL_PART_OTHER_DOMAIN})
"""Evidence that raises a pair's score but never lists a pair on its own."""

_SEPARATORS = re.compile(r"[\s._\-'\u2019,]+")
_TRAILING_DIGITS = re.compile(r"\d+$")


def normalised_name(name: str | None) -> str | None:
    """Case, spacing and punctuation folded; letters kept (ä and a are different names)."""
    if not name:
        return None
    folded = _SEPARATORS.sub(" ", unicodedata.normalize("NFC", name).casefold()).strip()
    return folded or None


def name_stem(name: str | None) -> str | None:
    """A name as an e-mail local part would spell it: letters only, no separators."""
    folded = normalised_name(name)
    return folded.replace(" ", "") if folded else None


def email_parts(email: str | None) -> tuple[str, str, str] | None:
    """(local part, its stem, domain): the stem drops separators and trailing digits, so
    `tapio.virtanen2` and `tapio_virtanen` share `tapiovirtanen`."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().casefold().rpartition("@")
    local = local.split("+", 1)[0]
    stem = _TRAILING_DIGITS.sub("", _SEPARATORS.sub("", local))
    if not local or len(stem) < 3:
        return None
    return local, stem, domain


def normalised_phone(phone: str | None) -> str | None:
    """The digits, the Finnish country code folded to a leading 0; None when too short."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+358") or (digits.startswith("358") and len(digits) > 10):
        digits = "0" + digits[3:]
    elif digits.startswith("00358"):
        digits = "0" + digits[5:]
    return digits if len(digits) >= 6 else None


@dataclass(frozen=True)
class CustomerRow:
    """What matching reads of one customer: the directory's row."""

    customer_id: UUID
    kind: str
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Candidate:
    """Two customers that are probably one, with the evidence that matched."""

    first: UUID
    second: UUID
    score: float
    evidence: tuple[Evidence, ...]


@dataclass
class Candidates:
    """Every candidate pair among the customers compared, best first."""

    pairs: list[Candidate]
    customers_compared: int
    keys_left_out: int = 0


def find_candidates(
    customers: Iterable[CustomerRow],
    organisations_of: Mapping[UUID, Iterable[UUID]],
    max_group: int = MAX_GROUP,
) -> Candidates:
    """Score every pair that shares a key; `organisations_of` holds each person's current
    organisations."""
    groups: dict[tuple[str, ...], list[UUID]] = defaultdict(list)
    emails: dict[UUID, tuple[str, str, str]] = {}
    name_stems: dict[UUID, str] = {}
    counted = 0
    for row in customers:
        counted += 1
        name = normalised_name(row.name)
        if name:
            groups[("name", row.kind, name)].append(row.customer_id)
            for organisation in organisations_of.get(row.customer_id, ()):
                groups[("org", row.kind, name, str(organisation))].append(row.customer_id)
            stem = name_stem(row.name)
            if stem and len(stem) >= 5:
                name_stems[row.customer_id] = stem
                groups[("stem", row.kind, stem)].append(row.customer_id)
        parts = email_parts(row.email)
        if parts:
            emails[row.customer_id] = parts
            groups[("stem", row.kind, parts[1])].append(row.customer_id)
            groups[("local", row.kind, parts[0])].append(row.customer_id)
        phone = normalised_phone(row.phone)
        if phone:
            groups[("phone", row.kind, phone)].append(row.customer_id)

    found: dict[tuple[UUID, UUID], set[Evidence]] = defaultdict(set)
    email_stem = {customer: parts[1] for customer, parts in emails.items()}
    left_out = 0
    for key, members in groups.items():
        members = list(dict.fromkeys(members))
        if len(members) < 2:
            continue
        if len(members) > max_group:
            left_out += 1
            continue
        for a, b in combinations(sorted(members), 2):
            evidence = found[(a, b)]
            match key[0]:
                case "name":
                    evidence.add(Evidence.SAME_NAME)
                case "org":
                    evidence.add(Evidence.SAME_NAME_SAME_ORGANISATION)
                case "phone":
                    evidence.add(Evidence.SAME_PHONE)
                case "local":
                    if emails[a][2] != emails[b][2]:
                        evidence.add(Evidence.SAME_LOCAL_PART_OTHER_DOMAIN)
                case "stem":
                    # A stem comes from an e-mail's local part or from a name.
                    stem = key[2]
                    if email_stem.get(a) == stem == email_stem.get(b):
                        evidence.add(Evidence.EMAIL_LOCAL_PART_VARIANT)
                    if (name_stems.get(a) == stem == email_stem.get(b)) or (
                        name_stems.get(b) == stem == email_stem.get(a)
                    ):
                        evidence.add(Evidence.NAME_MATCHES_EMAIL)
    pairs = []
    for (a, b), evidence in found.items():
        if not evidence - SUPPORTING_ONLY:
            continue
        score = min(1.0, round(sum(WEIGHTS[e] for e in evidence), 2))
        pairs.append(Candidate(a, b, score, tuple(sorted(evidence))))
    pairs.sort(key=lambda c: (-c.score, str(c.first), str(c.second)))
    return Candidates(pairs, counted, left_out)
