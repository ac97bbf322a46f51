"""Client idempotency keys as the system stores them: scoped to the caller, tied to the request.

A key a client chooses is never stored as given (it is text a client can type): it becomes a
keyed hash of the calling user (or API client) and the key, which is the key's *scope*, followed
by a fingerprint of the request. The same key from the same caller with the same request is a
repeat (the first answer comes back); with another request it is an error naming
`idempotency_key`; from another caller it is another key altogether.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from crm.domain.errors import InvalidFieldError

SCOPED_PREFIX = "key:"
FINGERPRINT_SEPARATOR = "#"


class IdempotencyKeyReusedError(InvalidFieldError):
    """A client idempotency key came back with a request other than the one it first named."""

    def __init__(self) -> None:
        super().__init__(
            "idempotency_key", "was used before with a different request; choose a new key"
        )


def scoped_key(secret: bytes, caller: str, client_key: str, request: Mapping[str, Any]) -> str:
    """The stored form of a client's key: its scope (a keyed hash of caller and key) and the
    request's fingerprint (a hash of the request without the key, keys sorted)."""
    scope = hmac.new(
        secret, b"idempotency\x00" + caller.encode() + b"\x00" + client_key.encode(), "sha256"
    ).hexdigest()[:32]
    body = {name: value for name, value in request.items() if name != "idempotency_key"}
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"{SCOPED_PREFIX}{scope}{FINGERPRINT_SEPARATOR}{fingerprint}"


def key_scope(key: str) -> str | None:
    """The scope of a scoped key (what a repeat with another request shares), else None."""
    if not key.startswith(SCOPED_PREFIX):
        return None
    return key.partition(FINGERPRINT_SEPARATOR)[0]
