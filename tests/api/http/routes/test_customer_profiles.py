"""Correcting contact details over HTTP (rectification), against real PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import RoleHeaders, register_over_http, unique


def test_a_corrected_email_moves_the_look_up_and_the_correction_is_on_the_timeline(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    old, new = f"{unique('old')}@example.fi", f"{unique('new')}@example.fi"
    customer_id = register_over_http(client, am, email=old, phone="+358 40 1")
    response = client.patch(
        f"/customers/{customer_id}/profile", json={"email": new, "phone": "+358 40 2"}, headers=am
    )
    assert response.status_code == 200, response.text
    body = client.get(f"/customers/{customer_id}", headers=am).json()
    assert (body["email"], body["phone"]) == (new, "+358 40 2")
    assert body["name"].startswith("Name-"), "fields left out keep their value"
    position = response.json()["position"]
    found_old = client.post(
        "/customers/search", json={"query": old, "after": position}, headers=am
    ).json()["items"]
    found_new = client.post("/customers/search", json={"query": new.upper()}, headers=am).json()[
        "items"
    ]
    assert customer_id not in [c["id"] for c in found_old]
    assert [c["id"] for c in found_new] == [customer_id]
    timeline = client.get(
        f"/customers/{customer_id}/timeline", params={"after": position}, headers=am
    ).json()
    corrections = [e for e in timeline["entries"] if e["kind"] == "profile_corrected"]
    assert len(corrections) == 1
    assert corrections[0]["recorded_by"].startswith("account_manager-")


def test_an_email_of_another_customer_is_refused_naming_the_email(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    taken = f"{unique('taken')}@example.fi"
    register_over_http(client, am, email=taken)
    customer_id = register_over_http(client, am)
    response = client.patch(f"/customers/{customer_id}/profile", json={"email": taken}, headers=am)
    assert response.status_code == 422
    assert "email" in response.text


def test_a_correction_without_any_field_or_with_a_bad_email_is_422(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    url = f"/customers/{customer_id}/profile"
    assert client.patch(url, json={}, headers=am).status_code == 422
    bad = client.patch(url, json={"email": "not an address"}, headers=am)
    assert bad.status_code == 422
    assert "email" in bad.text
    assert client.patch(url, json={"age": 3}, headers=am).status_code == 422


def test_only_roles_that_write_customers_may_correct_a_profile(
    client: TestClient, as_role: RoleHeaders
) -> None:
    customer_id = register_over_http(client, as_role[Role.ACCOUNT_MANAGER])
    for role in (Role.MARKETING, Role.DPO, Role.ADMIN):
        response = client.patch(
            f"/customers/{customer_id}/profile", json={"name": "X"}, headers=as_role[role]
        )
        assert response.status_code == 403, role
