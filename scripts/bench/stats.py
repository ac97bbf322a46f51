"""Summaries the benchmarks print."""

from __future__ import annotations


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0..1) of the values lie (nearest rank); NaN if none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
