"""Probable duplicates of a few customers: what an import or a page has just recorded.

The candidate scorer (`candidates.find_candidates`) is run on the customers to check and on
the directory rows that may share a key with them, found by one query: the same name (folded,
separators dropped; a name that spells an e-mail stem counts), the same e-mail stem, an
e-mail that contains a name's stem, or the same national phone number. That query only
narrows what is compared; the scorer decides every pair as it does for the whole list. Only
the directory's rows and current affiliations are read, nothing is stored, and at most
`MAX_CHECKED` customers are checked at a time (the answer says how many of how many).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from projections.duplicates.candidates import (
    Candidate,
    CustomerRow,
    email_parts,
    find_candidates,
    name_stem,
    normalised_name,
    normalised_phone,
)
from projections.views.directory import (
    EMAIL_STEM_SQL,
    NAME_KEY_SQL,
    PHONE_KEY_SQL,
    PHONE_PUNCTUATION,
    CustomerDirectory,
    folded,
)
from projections.views.organisations import Organisations

MAX_CHECKED = 200
"""The most customers one report checks for duplicates."""


@dataclass
class Flags:
    """Probable duplicates of the customers checked, best first."""

    pairs: list[Candidate]
    checked_ids: list[UUID]
    """The customers checked."""
    checked: int
    """How many customers were checked."""
    to_check: int
    """How many there were to check (more than `checked` when over `MAX_CHECKED`)."""
    compared: int
    """How many directory rows they were compared with (themselves included)."""
    keys_left_out: int = 0

    def flagged(self) -> list[UUID]:
        """The checked customers with at least one probable duplicate."""
        return list(dict.fromkeys(c for p in self.pairs for c in (p.first, p.second)))


def _national(phone: str | None) -> str | None:
    """A phone number's national part as the query below compares it: its punctuation
    dropped, then the country code (00358 or 358) or the leading zeros."""
    if not phone or normalised_phone(phone) is None:
        return None
    digits = phone.translate(str.maketrans("", "", PHONE_PUNCTUATION))
    for prefix in ("00358", "358"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits.lstrip("0")


def _near_sql() -> str:
    """The directory rows that may share a key with the customers to check (each key is
    indexed by the directory)."""
    return (
        "SELECT customer_id, kind, name, email, phone, account_manager FROM {p}customers"
        " WHERE merged_into IS NULL AND (customer_id = ANY(%(ids)s)"
        f" OR {NAME_KEY_SQL} = ANY(%(names)s)"
        f" OR (email IS NOT NULL AND {EMAIL_STEM_SQL} = ANY(%(stems)s))"
        f" OR (phone IS NOT NULL AND {PHONE_KEY_SQL} = ANY(%(phones)s)))"
    )


def duplicate_flags(
    directory: CustomerDirectory, organisations: Organisations, customer_ids: list[UUID]
) -> tuple[Flags, dict[UUID, str | None]]:
    """Probable duplicates of the customers (the first `MAX_CHECKED` of them), and the owner
    of every customer compared."""
    checked = list(dict.fromkeys(customer_ids))[:MAX_CHECKED]
    own = directory.query(
        "SELECT customer_id, name, email, phone FROM {p}customers"
        " WHERE customer_id = ANY(%s) AND merged_into IS NULL",
        (checked,),
    )
    names, stems, phones = set(), set(), set()
    for row in own:
        stem = name_stem(row["name"])
        if stem:
            names.add(folded(normalised_name(row["name"])).replace(" ", ""))
            stems.add(stem)
        parts = email_parts(row["email"])
        if parts:
            stems.add(parts[1])
            names.add(folded(parts[1]))
        national = _national(row["phone"])
        if national:
            phones.add(national)
    rows = directory.query(
        _near_sql(),
        {
            "ids": checked,
            "names": list(names),
            "stems": list(stems),
            "phones": list(phones),
        },
    )
    organisations_of: dict[UUID, list[UUID]] = defaultdict(list)
    for link in organisations.current_links([row["customer_id"] for row in rows]):
        organisations_of[link["person_id"]].append(link["organisation_id"])
    found = find_candidates(
        (
            CustomerRow(row["customer_id"], row["kind"], row["name"], row["email"], row["phone"])
            for row in rows
        ),
        organisations_of,
    )
    targets = set(checked)
    pairs = [p for p in found.pairs if p.first in targets or p.second in targets]
    flags = Flags(
        pairs, checked, len(checked), len(set(customer_ids)), len(rows), found.keys_left_out
    )
    return flags, {row["customer_id"]: row["account_manager"] for row in rows}
