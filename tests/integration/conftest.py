"""Fixtures of the integration tier: a second process on the same database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services


@pytest.fixture
def other_process(settings: Settings) -> Iterator[Services]:
    """A second process: its own caches of keys and aggregates, no projection worker."""
    built = build_services(settings.model_copy(update={"run_projections": False}))
    yield built
    built.close()
