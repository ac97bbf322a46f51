"""Shared fixtures: a real PostgreSQL (embedded by default, or the server in CRM_DATABASE_URL),
one fresh database per test run, the wired services and an HTTP client."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.bootstrap.embedded_database import (
    drop_database,
    embedded_server_url,
    ensure_database,
    with_database,
)
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from api.http.app import create_app
from crm.application.users import Role
from tests.segment_data import Cast, Workplaces, build_cast, build_workplaces

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def server_url() -> str:
    """The PostgreSQL server the tests use: CRM_DATABASE_URL, else an embedded one."""
    configured = os.environ.get("CRM_DATABASE_URL")
    if configured:
        return configured
    return embedded_server_url(ROOT / "var" / "test")


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A database of its own for this run, dropped afterwards."""
    name = f"crm_test_{uuid.uuid4().hex[:8]}"
    maintenance = with_database(server_url, "postgres")
    url = ensure_database(maintenance, name)
    yield url
    drop_database(maintenance, name)


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        master_key=SecretStr(base64.b64encode(os.urandom(32)).decode()),
        blind_index_key=SecretStr(base64.b64encode(os.urandom(32)).decode()),
        **overrides,
    )


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture(scope="session")
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def tokens(services: Services) -> dict[Role, str]:
    """A bearer token per role, for users with unique names."""
    return {role: services.users.add(f"{role.value}-{uuid.uuid4().hex[:6]}", role) for role in Role}


@pytest.fixture(scope="session")
def as_role(tokens: dict[Role, str]) -> dict[Role, dict[str, str]]:
    """Authorization headers per role."""
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


@pytest.fixture(scope="module")
def cast(services: Services) -> Cast:
    """The segment tests' customers with known journeys, in a sector of their own per module."""
    return build_cast(services)


@pytest.fixture(scope="module")
def workplaces(services: Services) -> Workplaces:
    """People and the organisations they work for, in sectors of their own per module."""
    return build_workplaces(services)


@pytest.fixture
def isolated_services(server_url: str, tmp_path: Path) -> Iterator[Services]:
    """Services on a database of their own (for tests that act on every customer), with no
    projection worker: the test catches views up itself."""
    name = f"crm_iso_{uuid.uuid4().hex[:10]}"
    maintenance = with_database(server_url, "postgres")
    built = build_services(
        make_settings(ensure_database(maintenance, name), tmp_path, run_projections=False)
    )
    yield built
    built.close()
    drop_database(maintenance, name)
