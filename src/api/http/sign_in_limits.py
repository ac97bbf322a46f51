"""Growing delays after failed sign-ins, per client address and per user name.

A password check costs ~240 ms of CPU on purpose, so unlimited guessing would both find weak
passwords and stall the server. After a few free failures every further failure doubles the
wait before the next attempt is even checked (answered 429 with Retry-After, at no cost);
quiet time forgets the failures. The counts live in this process: behind several processes
an attacker gets a few more tries, never an unlimited number.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int
    blocked_until: float
    last: float


@dataclass(frozen=True)
class Budget:
    """Failures allowed before delays start, the first and the longest delay (seconds), and
    how long without failures clears the count."""

    free: int
    at_once: int
    """Checks of one key that may be under way together; more wait (429, Retry-After: 1), so
    a burst cannot queue up checks before its failures are counted."""
    first_delay: float = 1.0
    longest_delay: float = 900.0
    forget_after: float = 900.0


PER_NAME = Budget(free=5, at_once=1)
PER_ADDRESS = Budget(free=20, at_once=4)
PER_ADDRESS_API = Budget(free=100, at_once=1000)
"""Wrong API bearer tokens: a token is 256 random bits (no guessing it) and its check is a
cheap look-up, so only a flood is slowed down."""
MAX_TRACKED = 100_000
"""Keys remembered at most; beyond it the quiet ones are forgotten first."""


class AttemptLimiter:
    """Failed attempts per key (`name:…`, `address:…`) and the delay each key has earned."""

    def __init__(
        self,
        per_name: Budget = PER_NAME,
        per_address: Budget = PER_ADDRESS,
        per_address_api: Budget = PER_ADDRESS_API,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budgets = {"name": per_name, "address": per_address, "api-address": per_address_api}
        self.clock = clock
        self._failures: dict[str, _Failures] = {}
        self._under_way: Counter[str] = Counter()

    @staticmethod
    def keys(address: str | None, name: str | None = None, *, api: bool = False) -> list[str]:
        """The keys an attempt counts against: the client's address (API bearer tokens apart
        from the sign-in form) and the user name tried."""
        keys = [f"{'api-' if api else ''}address:{address or '-'}"]
        if name:
            keys.append(f"name:{name.strip().lower()}")
        return keys

    def retry_after(self, keys: list[str]) -> int:
        """Whole seconds until these keys may try again; 0 if they may now."""
        now = self.clock()
        wait = 0.0
        for key in keys:
            entry = self._failures.get(key)
            if entry is not None and entry.blocked_until > now:
                wait = max(wait, entry.blocked_until - now)
            if self._under_way[key] >= self._budget(key).at_once:
                wait = max(wait, 1.0)
        return math.ceil(wait)

    @contextmanager
    def checking(self, keys: list[str]) -> Iterator[None]:
        """Count a check as under way for its keys while it runs."""
        self._under_way.update(keys)
        try:
            yield
        finally:
            self._under_way.subtract(keys)
            for key in keys:
                if self._under_way[key] <= 0:
                    del self._under_way[key]

    def _budget(self, key: str) -> Budget:
        return self.budgets[key.split(":", 1)[0]]

    def failed(self, keys: list[str]) -> None:
        """Count a failure against every key; past the budget, the key waits twice as long."""
        now = self.clock()
        if len(self._failures) >= MAX_TRACKED:
            self._forget_quiet(now)
        for key in keys:
            budget = self._budget(key)
            entry = self._failures.get(key)
            if entry is None or now - entry.last > budget.forget_after:
                entry = _Failures(0, 0.0, now)
                self._failures[key] = entry
            entry.count += 1
            entry.last = now
            over = entry.count - budget.free
            if over > 0:
                delay = min(budget.first_delay * 2 ** min(over - 1, 30), budget.longest_delay)
                entry.blocked_until = now + delay

    def succeeded(self, keys: list[str]) -> None:
        """A right password clears the name's count (not the address's: one right guess among
        many wrong ones must not reset an attacker's delay)."""
        for key in keys:
            if key.startswith("name:"):
                self._failures.pop(key, None)

    def _forget_quiet(self, now: float) -> None:
        by_age = sorted(self._failures.items(), key=lambda item: item[1].last)
        for key, entry in by_age[: len(by_age) // 2 + 1]:
            if entry.blocked_until <= now or len(self._failures) >= MAX_TRACKED:
                del self._failures[key]
