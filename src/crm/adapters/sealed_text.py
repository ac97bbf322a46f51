"""Free text kept outside the event log, sealed with the customer's data key.

Operational tables (the access log, the DPO's requests) hold text a user typed: sealing it
with the customer's own key means erasure (destroying that key) shreds it like the events.
"""

from __future__ import annotations

import os
from uuid import UUID

from cryptography.exceptions import InvalidTag

from crm.adapters.encryption import NONCE_BYTES, KeyRing

ASSOCIATED = b"sealed-text:"


def seal_text(keys: KeyRing, customer_id: UUID, text: str | None) -> bytes | None:
    """The text sealed with the customer's key; None for no text or an erased customer."""
    if not text:
        return None
    cipher = keys.cipher_for(customer_id)
    if cipher is None:
        return None
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, text.encode(), ASSOCIATED + customer_id.bytes)


def open_text(keys: KeyRing, customer_id: UUID, sealed: bytes | None) -> str | None:
    """The text in clear, or None when there is none or the customer's key is destroyed."""
    if sealed is None:
        return None
    cipher = keys.cipher_for(customer_id)
    if cipher is None:
        return None
    try:
        plain = cipher.decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], ASSOCIATED + customer_id.bytes
        )
    except InvalidTag:
        return None
    return plain.decode()
