"""Unsubscribes and bounces from the e-mail tool, as an uploaded export and a signed webhook."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.bootstrap.wiring import Services
from api.http.signatures import signature
from crm.application.users import Role
from tests.factories import RoleHeaders, record, register

SECRET = "webhook-secret-for-tests"


def consenting_person(services: Services, days_ago: int = 30) -> tuple[uuid.UUID, str]:
    email = f"news-{uuid.uuid4().hex[:8]}@example.fi"
    at = datetime.now(UTC) - timedelta(days=days_ago)
    customer = register(services.crm, email=email, at=at)
    record(services.crm, customer, at + timedelta(hours=1), "consent_given",
           purpose="newsletter", lawful_basis="consent", evidence="form")  # fmt: skip
    return customer, email


def kinds(services: Services, customer: uuid.UUID) -> list[str]:
    return [type(event).__name__ for event in services.crm.get_journey(customer)]


def test_an_uploaded_export_withdraws_consent_on_unsubscribe_and_notes_a_bounce(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    leaver, leaver_email = consenting_person(services)
    bouncer, bouncer_email = consenting_person(services)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%d.%m.%Y %H:%M")
    # As a Finnish Excel saves it: Windows-1252, semicolons; an unknown address, a soft
    # bounce and a row with no address.
    text = (
        "Email Address;Event;Time;List;Reason\r\n"
        f"{leaver_email.upper()};Unsubscribe;{yesterday};Uutiskirje;liian usein\r\n"
        f"{bouncer_email};hard_bounce;{yesterday};Uutiskirje;550 mailbox unavailable\r\n"
        f"nobody-{uuid.uuid4().hex[:6]}@example.fi;unsubscribed;{yesterday};Uutiskirje;\r\n"
        f"{bouncer_email};soft bounce;{yesterday};Uutiskirje;mailbox full\r\n"
        f";unsubscribed;{yesterday};Uutiskirje;ä\r\n"
    ).encode("cp1252")
    marketing = as_role[Role.MARKETING]
    response = client.post("/mail-feedback/files", content=text, headers=marketing)
    assert response.status_code == 200, response.text
    report = response.json()
    assert {k: report[k] for k in ("entries", "unsubscribed", "bounced", "consents_withdrawn",
                                   "ignored", "unknown", "invalid")} == {
        "entries": 5, "unsubscribed": 1, "bounced": 1, "consents_withdrawn": 1,
        "ignored": 1, "unknown": 1, "invalid": 1,
    }  # fmt: skip
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(4, "email"), (6, "email")], (
        report
    )
    assert kinds(services, leaver)[-2:] == ["NewsletterUnsubscribed", "ConsentWithdrawn"]
    assert not services.crm.get_customer(leaver).has_consent("newsletter", datetime.now(UTC))
    assert kinds(services, bouncer)[-1] == "NewsletterUnsubscribed"
    assert services.crm.get_customer(bouncer).has_consent("newsletter", datetime.now(UTC))

    again = client.post("/mail-feedback/files", content=text, headers=marketing).json()
    assert (again["duplicates"], again["unsubscribed"], again["consents_withdrawn"]) == (2, 0, 0)
    assert kinds(services, leaver)[-2:] == ["NewsletterUnsubscribed", "ConsentWithdrawn"]

    no_kind = client.post(
        "/mail-feedback/files", content=b"email\n" + leaver_email.encode(), headers=marketing
    ).json()
    assert no_kind["errors"] == [{"line": 2, "field": "kind", "reason": no_kind["errors"][0][
        "reason"]}] and "required" in no_kind["errors"][0]["reason"]  # fmt: skip
    refused = client.post("/mail-feedback/files", content=text, headers=as_role[Role.DPO])
    assert refused.status_code == 403


@pytest.fixture
def webhook_secret(services: Services, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(services.settings, "mail_webhook_secret", SecretStr(SECRET))
    return SECRET.encode()


def signed(secret: bytes, body: bytes, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "X-Signature-Timestamp": timestamp,
        "X-Signature": signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def test_a_signed_webhook_records_an_unsubscribe_once_and_refuses_forgeries_and_replays(
    client: TestClient, services: Services, webhook_secret: bytes
) -> None:
    customer, email = consenting_person(services)
    event = {"email": email, "type": "unsubscribed", "list": "Uutiskirje",
             "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}  # fmt: skip
    body = json.dumps({"events": [event]}).encode()

    answer = client.post(
        "/mail-feedback/webhook", content=body, headers=signed(webhook_secret, body)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["consents_withdrawn"] == 1
    assert not services.crm.get_customer(customer).has_consent("newsletter", datetime.now(UTC))
    withdrawal = services.crm.get_journey(customer)[-1]
    assert type(withdrawal).__name__ == "ConsentWithdrawn"
    assert withdrawal.recorded_by == "mail-tool-webhook"

    again = client.post(
        "/mail-feedback/webhook", content=body, headers=signed(webhook_secret, body)
    )
    assert again.json()["duplicates"] == 1 and again.json()["consents_withdrawn"] == 0

    forged = signed(b"another secret", body)
    old = signed(webhook_secret, body, at=time.time() - 3600)
    tampered = signed(webhook_secret, body)
    for headers, content in ((forged, body), (old, body), (tampered, body + b" "), ({}, body)):
        refused = client.post("/mail-feedback/webhook", content=content, headers=headers)
        assert refused.status_code == 401, refused.text
    bad = json.dumps({"events": [{**event, "type": "opened"}]}).encode()
    invalid = client.post(
        "/mail-feedback/webhook", content=bad, headers=signed(webhook_secret, bad)
    )
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "events", 0, "type"]


def test_the_webhook_is_off_without_a_secret(client: TestClient, services: Services) -> None:
    assert services.settings.mail_webhook_secret is None
    body = b'{"events": []}'
    answer = client.post("/mail-feedback/webhook", content=body, headers=signed(b"x", body))
    assert answer.status_code == 404
