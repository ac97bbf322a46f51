"""Consent state read over HTTP: a consent past its validity counts as expired at every read,
whether or not the expiry job has run."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import RoleHeaders, record_over_http, register_over_http, unique

PURPOSE = "email_marketing"


def give_consent(client: TestClient, am: dict[str, str], customer_id: str, at: datetime) -> int:
    body = {
        "kind": "consent_given", "occurred_at": at.isoformat(), "institution": "TAMK",
        "channel": "web_service", "purpose": PURPOSE, "lawful_basis": "consent",
        "evidence": "form v3",
    }  # fmt: skip
    return record_over_http(client, am, customer_id, body)


def send_email(client: TestClient, am: dict[str, str], customer_id: str, at: datetime) -> int:
    body = {
        "kind": "marketing_email_sent", "occurred_at": at.isoformat(), "institution": "TAMK",
        "channel": "email", "purpose": PURPOSE, "campaign": "autumn",
    }  # fmt: skip
    return record_over_http(client, am, customer_id, body)


def consents(client: TestClient, headers: dict[str, str], customer_id: str, after: int) -> Any:
    response = client.get(
        f"/customers/{customer_id}/consents", params={"after": after}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_consent_past_its_validity_counts_as_expired_everywhere_without_the_expiry_job(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo, marketing = (as_role[r] for r in (Role.ACCOUNT_MANAGER, Role.DPO, Role.MARKETING))
    now = datetime.now(UTC)
    sector = unique("expiry")
    old = register_over_http(client, am, sector=sector)
    recent = register_over_http(client, am, sector=sector)
    give_consent(client, am, old, now - timedelta(days=800))
    give_consent(client, am, recent, now - timedelta(days=30))
    # The expiry job never ran: the write side refuses the contact all the same.
    late = {
        "kind": "marketing_email_sent", "occurred_at": (now - timedelta(days=10)).isoformat(),
        "institution": "TAMK", "channel": "email", "purpose": PURPOSE, "campaign": "autumn",
    }  # fmt: skip
    refused = client.post(f"/customers/{old}/touchpoints", json=late, headers=am)
    assert refused.status_code == 409, refused.text
    position = send_email(client, am, recent, now - timedelta(days=10))

    ledger = consents(client, am, old, position)
    [state] = [s for s in ledger["state"] if s["purpose"] == PURPOSE]
    assert state["valid"] is False
    [interval] = ledger["intervals"]
    assert interval["ended_by"] == "expired" and interval["valid_to"] is not None
    fresh = consents(client, am, recent, position)
    assert [s["valid"] for s in fresh["state"] if s["purpose"] == PURPOSE] == [True]

    profile = client.get(f"/customers/{old}", headers=am).json()
    assert profile["consents"] == {PURPOSE: False}

    as_dpo = client.get(f"/privacy/consents/{old}", headers=dpo).json()
    [dpo_state] = [c for c in as_dpo["consents"] if c["purpose"] == PURPOSE]
    assert (dpo_state["granted"], dpo_state["change"]) == (False, "consent_expired")

    rule = {"all": [{"sector": sector}, {"consent": PURPOSE}]}
    preview = client.post(
        "/segments/preview",
        params={"after": position},
        json={"rule": rule, "limit": 50},
        headers=marketing,
    )
    assert preview.status_code == 200, preview.text
    assert [m["customer_id"] for m in preview.json()["members"]] == [recent]

    segment = client.post(
        "/segments", json={"name": unique("Expiry"), "rule": {"sector": sector}}, headers=marketing
    ).json()
    exported = client.post(
        f"/segments/{segment['segment_id']}/exports", json={"purpose": PURPOSE}, headers=marketing
    )
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["customer_id"] for row in rows] == [recent]


def test_an_erased_customer_has_no_consent_state_in_the_api(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    give_consent(client, am, customer_id, datetime.now(UTC) - timedelta(days=5))
    assert client.get(f"/customers/{customer_id}", headers=am).json()["consents"] == {PURPOSE: True}
    erased = client.post(
        "/privacy/erasures", json={"customer_id": customer_id, "reason": "art. 17"}, headers=dpo
    )
    assert erased.status_code == 201, erased.text

    profile = client.get(f"/customers/{customer_id}", headers=am).json()
    assert profile["erased"] is True and profile["consents"] == {}
