"""The DPO's requests over HTTP: received on arrival, open, extended, refused or completed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import RoleHeaders, register_over_http


def receive(
    client: TestClient, dpo: dict[str, str], customer_id: str, kind: str, days_ago: float
) -> Any:
    response = client.post(
        "/privacy/requests",
        json={
            "customer_id": customer_id,
            "kind": kind,
            "received_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
            "channel": "letter",
            "identity_check": "id_document",
            "details": f"{kind} asked by letter from Matti",
        },
        headers=dpo,
    )
    assert response.status_code == 201, response.text
    return response.json()


def statuses(client: TestClient, dpo: dict[str, str], status: str) -> set[str]:
    page = client.get(
        "/privacy/requests", params={"status": status, "limit": 1000}, headers=dpo
    ).json()
    assert page["total"] <= 1000, "the requests of this test may be past the first page"
    return {r["request_id"] for r in page["requests"]}


def test_an_erasure_is_received_stays_open_and_is_completed_later_with_a_certificate(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    request = receive(client, dpo, customer_id, "erasure", days_ago=3)
    assert request["status"] == "open"
    assert request["completed_at"] is None
    assert request["handled_by"] and request["channel"] == "letter"
    received = datetime.fromisoformat(request["received_at"])
    assert datetime.fromisoformat(request["due_at"]) - received >= timedelta(days=28)
    assert client.get(f"/customers/{customer_id}", headers=am).json()["erased"] is False
    assert request["request_id"] in statuses(client, dpo, "open")

    done = client.post(f"/privacy/requests/{request['request_id']}/completion", headers=dpo)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert body["certificate"]["destroyed"]["data_key"] == "destroyed"
    assert body["certificate"]["identity_check"] == "id_document"
    assert "backups" in body["certificate"]
    assert "Matti" not in done.text  # the request's text is shredded with the customer
    assert client.get(f"/customers/{customer_id}", headers=am).json()["erased"] is True
    assert request["request_id"] in statuses(client, dpo, "closed")


def test_deadlines_make_requests_due_soon_or_overdue_and_an_extension_adds_two_months(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    late = receive(client, dpo, register_over_http(client, am), "access", days_ago=40)
    soon = receive(client, dpo, register_over_http(client, am), "objection", days_ago=27)
    assert (late["status"], soon["status"]) == ("overdue", "due_soon")
    assert late["request_id"] in statuses(client, dpo, "overdue")
    assert soon["request_id"] in statuses(client, dpo, "due_soon")
    assert soon["request_id"] not in statuses(client, dpo, "overdue")

    path = f"/privacy/requests/{late['request_id']}/extension"
    assert client.post(path, json={"reason": ""}, headers=dpo).status_code == 422
    extended = client.post(path, json={"reason": "many systems to search"}, headers=dpo).json()
    assert extended["status"] == "open"
    due_before = datetime.fromisoformat(late["due_at"])
    assert datetime.fromisoformat(extended["due_at"]) - due_before >= timedelta(days=59)
    again = client.post(path, json={"reason": "more"}, headers=dpo)
    assert again.status_code == 422
    assert "extended already" in again.text


def test_a_refused_request_keeps_its_reason_and_can_no_longer_be_completed(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    request = receive(client, dpo, customer_id, "erasure", days_ago=1)
    refused = client.post(
        f"/privacy/requests/{request['request_id']}/refusal",
        json={"reason": "invoices must be kept 6 years (Accounting Act)"},
        headers=dpo,
    ).json()
    assert refused["status"] == "refused"
    assert refused["refusal_reason"].startswith("invoices")
    completion = client.post(f"/privacy/requests/{request['request_id']}/completion", headers=dpo)
    assert completion.status_code == 422
    assert client.get(f"/customers/{customer_id}", headers=am).json()["erased"] is False


def test_a_restriction_request_restricts_processing_when_completed(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    request = receive(client, dpo, customer_id, "restriction", days_ago=0.1)
    assert client.get(f"/customers/{customer_id}", headers=am).json()["restricted"] is False
    done = client.post(f"/privacy/requests/{request['request_id']}/completion", headers=dpo)
    assert done.json()["status"] == "completed"
    assert client.get(f"/customers/{customer_id}", headers=am).json()["restricted"] is True


def test_a_request_names_its_bad_field(client: TestClient, as_role: RoleHeaders) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    response = client.post(
        "/privacy/requests",
        json={
            "customer_id": customer_id, "kind": "erasure", "received_at": future,
            "channel": "letter", "identity_check": "id_document", "details": "x",
        },
        headers=dpo,
    )  # fmt: skip
    assert response.status_code == 422
    assert "received_at" in response.text
