"""A merged person's consent over HTTP and on the DPO's page: the survivor's state and ledger
read both records' changes, each with its own record's evidence; an undo returns each to its
own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.api.web_client import new_user, sign_in
from tests.factories import RoleHeaders, record_over_http, register_over_http, unique

PURPOSE = "email_marketing"
NOW = datetime.now(UTC)


def consent(at: datetime, evidence: str) -> dict[str, Any]:
    return {
        "kind": "consent_given", "occurred_at": at.isoformat(), "institution": "TAMK",
        "channel": "web_service", "purpose": PURPOSE, "lawful_basis": "consent",
        "evidence": evidence,
    }  # fmt: skip


def ledger(client: TestClient, headers: dict[str, str], customer_id: str, after: int) -> Any:
    response = client.get(
        f"/customers/{customer_id}/consents", params={"after": after}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def valid(body: Any) -> bool:
    [state] = [s for s in body["state"] if s["purpose"] == PURPOSE]
    return bool(state["valid"])


def dpo_state(client: TestClient, dpo: dict[str, str], customer_id: str) -> Any:
    response = client.get(f"/privacy/consents/{customer_id}", headers=dpo)
    assert response.status_code == 200, response.text
    return [c for c in response.json()["consents"] if c["purpose"] == PURPOSE]


def test_the_survivors_consent_reads_the_absorbed_records_grant_with_its_evidence(
    client: TestClient, services: Services, as_role: RoleHeaders, app: FastAPI
) -> None:
    am, dpo, admin = (as_role[r] for r in (Role.ACCOUNT_MANAGER, Role.DPO, Role.ADMIN))
    survivor = register_over_http(client, am, name="Tapio Virtanen")
    absorbed = register_over_http(client, am, name="T. Virtanen", phone=None)
    evidence = unique("form A")
    position = record_over_http(client, am, absorbed, consent(NOW - timedelta(days=30), evidence))
    assert not valid(ledger(client, am, survivor, position))
    assert dpo_state(client, dpo, survivor) == []

    merged = client.post(
        f"/customers/{survivor}/merges",
        json={"absorbed_id": absorbed, "reason": "sama henkilö"},
        headers=admin,
    )
    assert merged.status_code == 201, merged.text
    body = ledger(client, am, survivor, merged.json()["position"])
    assert valid(body)
    [interval] = body["intervals"]
    assert (interval["record_id"], interval["evidence"]) == (absorbed, evidence)
    [state] = dpo_state(client, dpo, survivor)
    assert (state["granted"], state["record_id"], state["evidence"]) == (True, absorbed, evidence)
    # The read of the survivor's consents shows the absorbed record's evidence: logged for both.
    log = client.get("/privacy/access-log", params={"customer_id": absorbed}, headers=dpo)
    assert log.status_code == 200, log.text
    assert any("consents" in a["endpoint"] for a in log.json()["accesses"])

    with sign_in(app, new_user(services, Role.DPO)) as page:
        shown = page.get(f"/ui/privacy/consents/{survivor}")
    assert shown.status_code == 200, shown.text
    assert 'id="merged-consents"' in shown.text and evidence in shown.text
    assert f'href="/ui/privacy/consents/{absorbed}"' in shown.text

    undone = client.post(
        f"/customers/{survivor}/merges/{absorbed}/undo", json={"reason": "eri"}, headers=admin
    )
    assert undone.status_code == 201, undone.text
    after = undone.json()["position"]
    assert not valid(ledger(client, am, survivor, after))
    assert valid(ledger(client, am, absorbed, after))
    assert dpo_state(client, dpo, survivor) == []
    assert UUID(ledger(client, am, absorbed, after)["intervals"][0]["record_id"]) == UUID(absorbed)
