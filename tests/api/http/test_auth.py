"""Bearer tokens: a revoked token stops working at once in the process that revoked it, and
within `TOKEN_CACHE_SECONDS` in every other process (which trusts a known token that long)."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.adapters.postgres.users import PostgresUserStore
from crm.application import users as users_module
from crm.application.users import Role, Users


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def search(client: TestClient, token: str) -> int:
    return client.get("/customers", params={"query": "x"}, headers=headers(token)).status_code


def test_a_token_revoked_in_this_process_is_refused_at_once(
    client: TestClient, services: Services
) -> None:
    name = f"revoked-here-{uuid.uuid4().hex[:6]}"
    token = services.users.add(name, Role.ACCOUNT_MANAGER)
    assert search(client, token) == 200

    services.users.revoke(name)

    assert search(client, token) == 401


def test_a_token_revoked_by_another_process_is_refused_once_trust_expires(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users_module, "TOKEN_CACHE_SECONDS", 0.2)
    name = f"revoked-elsewhere-{uuid.uuid4().hex[:6]}"
    token = services.users.add(name, Role.ACCOUNT_MANAGER)
    assert search(client, token) == 200

    Users(PostgresUserStore(services.pool)).revoke(
        name
    )  # as `crm users revoke` would, from its own process
    time.sleep(0.3)

    assert search(client, token) == 401


def test_an_unknown_token_is_refused(client: TestClient) -> None:
    response = client.get("/customers", headers=headers("not-a-token"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
