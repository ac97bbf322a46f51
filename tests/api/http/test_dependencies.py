"""Client idempotency keys: scoped to the calling user and tied to the request they name."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.factories import RoleHeaders, iso_day, register_over_http, unique

pytestmark = pytest.mark.postgres


def person(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "person",
        "customer_type": "individual",
        "name": unique("Idem"),
        "email": f"{unique('idem')}@example.fi",
        **overrides,
    }


def visit(fair: str) -> dict[str, Any]:
    return {"kind": "fair_visited", "occurred_at": iso_day(3), "fair_name": fair}


def test_the_same_key_and_body_from_the_same_user_returns_the_first_answer(
    client: TestClient, as_role: RoleHeaders
) -> None:
    headers = {**as_role[Role.ACCOUNT_MANAGER], "Idempotency-Key": unique("same")}
    body = person()
    first = client.post("/customers", json=body, headers=headers)
    again = client.post("/customers", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["customer_id"] == first.json()["customer_id"]
    path = f"/customers/{first.json()['customer_id']}/touchpoints"
    headers["Idempotency-Key"] = unique("same-visit")
    recorded = client.post(path, json=visit("A"), headers=headers)
    repeated = client.post(path, json=visit("A"), headers=headers)
    assert (recorded.status_code, repeated.status_code) == (201, 200)
    assert repeated.json()["version"] == recorded.json()["version"]


def test_the_same_key_with_another_body_is_refused_naming_the_idempotency_key(
    client: TestClient, as_role: RoleHeaders
) -> None:
    headers = {**as_role[Role.ACCOUNT_MANAGER], "Idempotency-Key": unique("other-body")}
    first = client.post("/customers", json=person(), headers=headers)
    assert first.status_code == 201
    other = client.post("/customers", json=person(), headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["detail"][0]["loc"][-1] == "idempotency_key"

    customer_id = register_over_http(client, as_role[Role.ACCOUNT_MANAGER])
    path = f"/customers/{customer_id}/touchpoints"
    key = {**as_role[Role.ACCOUNT_MANAGER], "Idempotency-Key": unique("tp")}
    assert client.post(path, json=visit("A"), headers=key).status_code == 201
    refused = client.post(path, json=visit("B"), headers=key)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"][-1] == "idempotency_key"


def test_the_same_key_from_another_user_is_another_key(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    key = unique("shared")
    colleague = services.users.add(unique("colleague"), Role.ACCOUNT_MANAGER)
    mine = client.post(
        "/customers",
        json=person(),
        headers={**as_role[Role.ACCOUNT_MANAGER], "Idempotency-Key": key},
    )
    theirs = client.post(
        "/customers",
        json=person(),
        headers={"Authorization": f"Bearer {colleague}", "Idempotency-Key": key},
    )
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert theirs.json()["customer_id"] != mine.json()["customer_id"]


def test_a_client_key_is_stored_only_as_a_keyed_hash(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    key = unique("visible")
    response = client.post(
        "/customers",
        json=person(),
        headers={**as_role[Role.ACCOUNT_MANAGER], "Idempotency-Key": key},
    )
    assert response.status_code == 201
    stored = services.crm.recorder.select_events(UUID(response.json()["customer_id"]))
    assert stored and all(key.encode() not in event.state for event in stored)
