"""One collection policy: the service applies it for life, an import while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from crm.speedups.gc_policy import (
    SERVICE_OLDER_THRESHOLDS,
    YOUNG_THRESHOLD,
    SpacedCollections,
    settle_heap,
    spaced_collections,
)


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_a_settled_service_heap_is_frozen_and_collected_at_the_policy_thresholds() -> None:
    gc.unfreeze()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *SERVICE_OLDER_THRESHOLDS)


def test_an_import_collects_young_garbage_at_the_service_threshold() -> None:
    gc.set_threshold(700, 10, 10)
    with spaced_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_an_import_in_a_settled_service_leaves_its_thresholds_as_they_are() -> None:
    gc.set_threshold(YOUNG_THRESHOLD, *SERVICE_OLDER_THRESHOLDS)
    with spaced_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *SERVICE_OLDER_THRESHOLDS)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *SERVICE_OLDER_THRESHOLDS)


def test_the_threshold_is_restored_when_the_last_of_overlapping_imports_ends() -> None:
    before = gc.get_threshold()
    pacing = SpacedCollections(before[0] + 5000)
    first, second = pacing.spaced(), pacing.spaced()
    first.__enter__()
    second.__enter__()
    assert gc.get_threshold()[0] == before[0] + 5000
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == before[0] + 5000
    with pytest.raises(RuntimeError), pacing.spaced():
        raise RuntimeError("an import failed")
    assert gc.get_threshold()[0] == before[0] + 5000
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
