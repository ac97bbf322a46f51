"""Finding a customer by e-mail without deriving ids from personal data.

An e-mail address is normalised and turned into a keyed HMAC (a blind index), which is all the
index stores. Registration claims the blind index, and the idempotency key, for a fresh uuid4
before the `Registered` event is saved, so two concurrent registrations of one address end in
one customer. A claim whose customer has no events yet (the process died in between) is
completed by the next registration that meets it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from abc import ABC, abstractmethod
from uuid import UUID

from crm.domain.errors import InvalidFieldError
from crm.domain.idempotency import key_scope

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """The form two spellings of one address share: NFC, trimmed, lower case."""
    # ASCII text is already in NFC; skipping the call matters when importing millions of rows.
    normal = (email if email.isascii() else unicodedata.normalize("NFC", email)).strip().lower()
    if not EMAIL_PATTERN.match(normal):
        raise InvalidFieldError("email", "is not an e-mail address")
    return normal


class IdentityIndex(ABC):
    """Claims that map blind e-mail indexes and registration keys to customer ids."""

    def __init__(self, blind_index_key: bytes) -> None:
        self.blind_index_key = blind_index_key

    def email_claim(self, email: str) -> str:
        digest = hmac.new(self.blind_index_key, normalise_email(email).encode(), hashlib.sha256)
        return "email:" + digest.hexdigest()

    @staticmethod
    def key_claim(idempotency_key: str) -> str:
        # A scoped key claims its scope: the same key with another request finds the
        # customer it registered and is refused there.
        return "registration:" + (key_scope(idempotency_key) or idempotency_key)

    @abstractmethod
    def find(self, claims: list[str]) -> dict[str, UUID]:
        """The customers that hold any of the claims."""

    @abstractmethod
    def claim(self, claims: list[str], customer_id: UUID) -> bool:
        """Take all claims for the customer at once, or none if any is held already."""

    @abstractmethod
    def claim_many(self, claims: dict[str, UUID]) -> set[str]:
        """Take each claim that is not held already (bulk loads); returns the claims taken."""

    @abstractmethod
    def release(self, customer_id: UUID, prefix: str = "") -> int:
        """Drop the customer's claims (those starting with prefix); returns how many."""


class InMemoryIdentityIndex(IdentityIndex):
    """Claims in a dict: for unit tests on the in-memory event store."""

    def __init__(self, blind_index_key: bytes) -> None:
        super().__init__(blind_index_key)
        self.claims: dict[str, UUID] = {}

    def find(self, claims: list[str]) -> dict[str, UUID]:
        return {c: self.claims[c] for c in claims if c in self.claims}

    def claim(self, claims: list[str], customer_id: UUID) -> bool:
        if any(c in self.claims for c in claims):
            return False
        self.claims.update(dict.fromkeys(claims, customer_id))
        return True

    def claim_many(self, claims: dict[str, UUID]) -> set[str]:
        taken = {c for c in claims if c not in self.claims}
        self.claims.update({c: claims[c] for c in taken})
        return taken

    def release(self, customer_id: UUID, prefix: str = "") -> int:
        mine = [c for c, cid in self.claims.items() if cid == customer_id and c.startswith(prefix)]
        for c in mine:
            del self.claims[c]
        return len(mine)
