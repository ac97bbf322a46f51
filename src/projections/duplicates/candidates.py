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

from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations

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
_NOT_DIGITS = re.compile(r"\D")


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
    digits = _NOT_DIGITS.sub("", phone)
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


@dataclass(frozen=True)
class _Keys:
    """What one customer is compared by, each value folded."""

    kind: str
    name: str | None
    name_stem: str | None
    email: tuple[str, str, str] | None
    phone: str | None
    organisations: frozenset[UUID]


def _keys(row: CustomerRow, organisations: Iterable[UUID]) -> _Keys:
    name = normalised_name(row.name)
    stem = name.replace(" ", "") if name else None
    return _Keys(
        kind=row.kind,
        name=name,
        name_stem=stem if stem and len(stem) >= 5 else None,
        email=email_parts(row.email),
        phone=normalised_phone(row.phone),
        organisations=frozenset(organisations),
    )


def _evidence(a: _Keys, b: _Keys) -> set[Evidence]:
    """Everything two customers agree on."""
    found: set[Evidence] = set()
    same_name = a.name is not None and a.name == b.name
    if same_name:
        found.add(Evidence.SAME_NAME)
        if a.organisations & b.organisations:
            found.add(Evidence.SAME_NAME_SAME_ORGANISATION)
    if a.phone is not None and a.phone == b.phone:
        found.add(Evidence.SAME_PHONE)
    if a.email and b.email:
        if a.email[1] == b.email[1]:
            found.add(Evidence.EMAIL_LOCAL_PART_VARIANT)
        if a.email[0] == b.email[0] and a.email[2] != b.email[2]:
            found.add(Evidence.SAME_LOCAL_PART_OTHER_DOMAIN)
    if (a.name_stem and b.email and a.name_stem == b.email[1]) or (
        b.name_stem and a.email and b.name_stem == a.email[1]
    ):
        found.add(Evidence.NAME_MATCHES_EMAIL)
    return found


def find_candidates(
    customers: Iterable[CustomerRow],
    organisations_of: Mapping[UUID, Iterable[UUID]],
    max_group: int = MAX_GROUP,
) -> Candidates:
    """Score every pair that shares a key; `organisations_of` holds each person's current
    organisations.

    Pairs come only from keys that are evidence on their own (a name in an organisation, an
    e-mail stem, a phone, a name against an e-mail stem); what else the two agree on is then
    read from both customers, so a name shared by hundreds pairs nobody by itself."""
    keys: dict[UUID, _Keys] = {}
    groups: dict[tuple[str, ...], list[UUID]] = defaultdict(list)
    name_stems: dict[tuple[str, str], list[UUID]] = defaultdict(list)
    for row in customers:
        own = keys[row.customer_id] = _keys(row, organisations_of.get(row.customer_id, ()))
        if own.name:
            for organisation in own.organisations:
                groups[("org", own.kind, own.name, str(organisation))].append(row.customer_id)
        if own.name_stem:
            name_stems[(own.kind, own.name_stem)].append(row.customer_id)
        if own.email:
            groups[("stem", own.kind, own.email[1])].append(row.customer_id)
        if own.phone:
            groups[("phone", own.kind, own.phone)].append(row.customer_id)

    pairs_to_score: set[tuple[UUID, UUID]] = set()
    left_out = 0
    for key, members in groups.items():
        if len(members) > max_group:
            left_out += 1
            continue
        if len(members) > 1:
            pairs_to_score.update(combinations(sorted(members), 2))
        if key[0] == "stem":
            # Whose name spells this stem: the name of one agrees with the e-mail of another.
            named = name_stems.get((key[1], key[2]), [])
            if len(named) > max_group:
                left_out += 1
                continue
            pairs_to_score.update((min(a, b), max(a, b)) for a in members for b in named if a != b)

    pairs = []
    for a, b in pairs_to_score:
        evidence = _evidence(keys[a], keys[b])
        if not evidence - SUPPORTING_ONLY:
            continue
        score = min(1.0, round(sum(WEIGHTS[e] for e in evidence), 2))
        pairs.append(Candidate(a, b, score, tuple(sorted(evidence))))
    pairs.sort(key=lambda c: (-c.score, c.first, c.second))
    return Candidates(pairs, len(keys), left_out)


def candidates_in_views(
    directory: CustomerDirectory, organisations: Organisations
) -> tuple[Candidates, dict[UUID, str | None]]:
    """Every candidate pair among the directory's customers, with each customer's owner."""
    rows = directory.matching_rows(None)
    organisations_of: dict[UUID, list[UUID]] = defaultdict(list)
    for link in organisations.current_links(None):
        organisations_of[link["person_id"]].append(link["organisation_id"])
    found = find_candidates(
        (
            CustomerRow(row["customer_id"], row["kind"], row["name"], row["email"], row["phone"])
            for row in rows
        ),
        organisations_of,
    )
    return found, {row["customer_id"]: row["account_manager"] for row in rows}
