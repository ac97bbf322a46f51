"""The service process's own start-up: its heap is settled before the first request."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.settings import Settings
from api.http.app import create_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_a_service_that_builds_its_own_services_freezes_its_start_up_heap(
    settings: Settings, collector_restored: None
) -> None:
    gc.unfreeze()
    app = create_app(settings.model_copy(update={"run_projections": False}))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == 50_000
