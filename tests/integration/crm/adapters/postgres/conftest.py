"""Fixtures of the PostgreSQL adapters' tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from api.bootstrap.embedded_database import drop_database, ensure_database, with_database


@pytest.fixture
def new_database(server_url: str) -> Iterator[str]:
    """An empty database of its own, dropped afterwards."""
    maintenance = with_database(server_url, "postgres")
    name = f"crm_migrate_{uuid.uuid4().hex[:10]}"
    yield ensure_database(maintenance, name)
    drop_database(maintenance, name)
