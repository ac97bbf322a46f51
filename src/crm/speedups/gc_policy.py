"""The garbage-collection policy of the processes that write: one young-generation threshold.

Why: CPython collects its young generation every 700 container allocations, and every tenth
collection goes on into the older generations, walking every live container there. The write
path holds many long-lived containers (the application, cached customers, a chunk of decided
rows) while it allocates short-lived ones by the thousand per request or row, so the collector
kept walking the long-lived ones to find almost nothing.

Measured (docs/benchmarks.md, Python 3.11): in a bulk import the collector took ~10% of the
CPU before its young collections were spaced; in the service its passes paused every request
in flight, p99 190 ms before and ~70 ms after, at 32 clients.

The policy: young collections every `YOUNG_THRESHOLD` allocations. Cyclic garbage is still
found, only later; the collector is never turned off.
- The service (`crm serve`, from its start-up, `settle_heap`): for the life of the process.
  Its start-up heap is frozen out of the collector's sight (built once, never garbage), and its
  older generations are collected less often too, as a service lives for days.
- A bulk import, in whichever process runs it (`crm import`, or the service's import route):
  while imports run (`spaced_collections`); the thresholds it found are restored when the
  last one ends, so a command-line process or a test is left as it was.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

CHECKED_AGAINST = {"python": "3.11"}
"""The thresholds' meaning and the figures above are CPython 3.11's generational collector
(3.13 and 3.14 change how thresholds pace collections): re-measure before raising."""

YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections wherever this policy applies."""

SERVICE_OLDER_THRESHOLDS = (50, 100)
"""Young collections per middle-generation one, and middle per full one, in the service."""


def settle_heap() -> None:
    """Apply the policy for the rest of a service process's life, freezing its start-up heap."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *SERVICE_OLDER_THRESHOLDS)


class SpacedCollections:
    """Raises the young threshold to at least `threshold` while any holder of it runs."""

    def __init__(self, threshold: int = YOUNG_THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._running = 0
        self._before: tuple[int, int, int] = gc.get_threshold()

    @contextlib.contextmanager
    def spaced(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._before = gc.get_threshold()
                young, *older = self._before
                gc.set_threshold(max(young, self.threshold), *older)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    gc.set_threshold(*self._before)


_spaced = SpacedCollections()


def spaced_collections() -> contextlib.AbstractContextManager[None]:
    """Apply the policy while a bulk import runs (imports may overlap)."""
    return _spaced.spaced()
