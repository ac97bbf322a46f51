"""Signed webhook calls: an HMAC-SHA256 over the timestamp and the body, with a shared secret.

The caller sends `X-Signature-Timestamp` (Unix seconds) and `X-Signature` (`sha256=` and the
hex digest of `timestamp + "." + body` keyed with the secret). Signing the timestamp with the
body means a recorded call cannot be sent again later under a new timestamp, and a call whose
timestamp is further from now than the tolerance is refused as a replay. Digests are compared
in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"


class SignatureError(ValueError):
    """A webhook call that is not signed, signed wrongly, or too old or new to accept."""


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Signature` value for a call (what the e-mail tool computes)."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: bytes,
    timestamp: str | None,
    signed: str | None,
    body: bytes,
    *,
    tolerance_seconds: int,
    now: float | None = None,
) -> None:
    """Accept the call, or raise SignatureError saying which check failed."""
    if not timestamp or not signed:
        raise SignatureError(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not Unix seconds") from None
    if abs((time.time() if now is None else now) - sent) > tolerance_seconds:
        raise SignatureError(f"{TIMESTAMP_HEADER} is too far from now (a replay?)")
    if not hmac.compare_digest(signature(secret, timestamp, body), signed.strip()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
