"""Master-key rotation: rewrap every customer's data key with the current master key.

The key ring is built with the new master key as current and the old ones as previous, so
every process reads throughout. Rows are rewrapped in committed batches and each row names
the master key that wrapped it, so repeating an interrupted rotation finishes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

LOCKED_ROWS_PAUSE_SECONDS = 0.2
"""How long to wait when the only keys left are locked by an erasure in progress."""


class RewrappableKeys(Protocol):
    """The port a key store offers for rotation (`PostgresKeyRing` implements it)."""

    @property
    def master_key_id(self) -> str:
        """The current master key's non-secret name."""

    def rewrap_batch(self, batch_size: int) -> int:
        """Rewrap up to `batch_size` keys with the current master key; returns how many."""

    def remaining_to_rewrap(self) -> int:
        """How many keys are still wrapped by another master key."""


@dataclass(frozen=True)
class Rotation:
    """A finished rotation: how many keys this run rewrapped, and with which master key."""

    rewrapped: int
    master_key_id: str


def rewrap_data_keys(
    keys: RewrappableKeys,
    batch_size: int = 1000,
    *,
    pause: Callable[[float], None] = time.sleep,
) -> Rotation:
    """Rewrap batches until no key is wrapped by an old master key."""
    total = 0
    while True:
        done = keys.rewrap_batch(batch_size)
        total += done
        if done == 0:
            if keys.remaining_to_rewrap() == 0:
                return Rotation(total, keys.master_key_id)
            # Rows skipped as locked belong to an erasure that will delete them or let go.
            pause(LOCKED_ROWS_PAUSE_SECONDS)
