"""The DPO's privacy routes over HTTP, against real PostgreSQL."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import HTTP_START, RoleHeaders, iso_day, register_over_http, unique


def touch(client: TestClient, headers: dict[str, str], customer_id: str, **body: Any) -> Any:
    return client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=headers)


def consent(client: TestClient, am: dict[str, str], customer_id: str, days: int) -> None:
    response = touch(
        client, am, customer_id, kind="consent_given", occurred_at=iso_day(days),
        institution="TAMK", channel="web_service", purpose="email_marketing",
        lawful_basis="consent", evidence="form v3",
    )  # fmt: skip
    assert response.status_code == 201, response.text


def email(client: TestClient, am: dict[str, str], customer_id: str, days: int) -> Any:
    return touch(
        client, am, customer_id, kind="marketing_email_sent", occurred_at=iso_day(days),
        institution="TAMK", channel="email", purpose="email_marketing", campaign="spring",
    )  # fmt: skip


def test_dpo_erases_a_customer_and_gets_a_certificate_without_personal_data(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    name = unique("Erasable")
    customer_id = register_over_http(client, am, name=name, phone="+358 40 999")
    response = client.post(
        "/privacy/erasures", json={"customer_id": customer_id, "reason": "art. 17"}, headers=dpo
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["completed_at"] and not body["overdue"]
    assert body["certificate"]["destroyed"]["data_key"] == "destroyed"
    assert all(body["projections_purged"].values()) and body["projections_purged"]
    assert name not in response.text
    again = client.post(
        "/privacy/erasures",
        json={"customer_id": customer_id, "reason": "art. 17", "request_id": body["request_id"]},
        headers=dpo,
    )
    assert again.status_code == 200 and again.json()["certificate"] == body["certificate"]
    read = client.get(f"/privacy/erasures/{body['request_id']}", headers=dpo)
    assert read.status_code == 200 and read.json()["certificate"] == body["certificate"]
    profile = client.get(f"/customers/{customer_id}", headers=am).json()
    assert profile["erased"] and profile["name"] is None and profile["phone"] is None
    timeline = client.get(f"/customers/{customer_id}/timeline", headers=am).json()
    assert name not in str(timeline)


def test_only_the_dpo_may_use_privacy_routes(client: TestClient, as_role: RoleHeaders) -> None:
    customer_id = register_over_http(client, as_role[Role.ACCOUNT_MANAGER])
    for role in (Role.ACCOUNT_MANAGER, Role.MARKETING, Role.ADMIN):
        headers = as_role[role]
        erase = client.post(
            "/privacy/erasures", json={"customer_id": customer_id, "reason": "x"}, headers=headers
        )
        assert erase.status_code == 403
        assert client.get(f"/privacy/exports/{customer_id}", headers=headers).status_code == 403
        assert client.get("/privacy/access-log", headers=headers).status_code == 403
    assert client.get("/privacy/consent-audit").status_code == 401


def test_erasure_of_an_unknown_customer_is_404_and_bad_input_is_422(
    client: TestClient, as_role: RoleHeaders
) -> None:
    dpo = as_role[Role.DPO]
    missing = client.post(
        "/privacy/erasures", json={"customer_id": str(uuid.uuid4()), "reason": "x"}, headers=dpo
    )
    assert missing.status_code == 404
    bad = client.post("/privacy/erasures", json={"customer_id": "nope", "reason": ""}, headers=dpo)
    assert bad.status_code == 422
    assert {tuple(d["loc"])[-1] for d in bad.json()["detail"]} == {"customer_id", "reason"}
    assert client.get(f"/privacy/erasures/{uuid.uuid4()}", headers=dpo).status_code == 404


def test_reads_of_personal_data_are_logged_and_listed_per_customer_and_user(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    assert client.get(f"/customers/{customer_id}?reason=call+prep", headers=am).status_code == 200
    timeline = client.get(
        f"/customers/{customer_id}/timeline", headers={**am, "X-Access-Reason": "review"}
    )
    assert timeline.status_code == 200
    log = client.get(f"/privacy/access-log?customer_id={customer_id}", headers=dpo).json()[
        "accesses"
    ]
    endpoints = {(e["endpoint"], e["reason"]) for e in log}
    assert ("GET /customers/{customer_id}", "call prep") in endpoints
    assert ("GET /customers/{customer_id}/timeline", "review") in endpoints
    user_name = log[0]["user_name"]
    by_user = client.get(f"/privacy/access-log?user={user_name}", headers=dpo).json()["accesses"]
    assert {e["customer_id"] for e in by_user} >= {customer_id}
    assert all(e["user_name"] == user_name for e in by_user)


def test_export_holds_events_consents_and_access_log_as_json_and_csv(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    name = unique("Exported")
    customer_id = register_over_http(client, am, name=name)
    consent(client, am, customer_id, 0)
    client.get(f"/customers/{customer_id}", headers=am)
    export = client.get(f"/privacy/exports/{customer_id}?reason=art15", headers=dpo)
    assert export.status_code == 200
    document = export.json()
    assert document["profile"]["name"] == name
    assert [e["kind"] for e in document["events"]] == ["registered", "consent_given"]
    assert document["consents"][0]["evidence"] == "form v3"
    assert {"GET /customers/{customer_id}", "GET /privacy/exports/{customer_id}"} <= {
        a["endpoint"] for a in document["access_log"]
    }
    bundle = client.get(f"/privacy/exports/{customer_id}?format=csv", headers=dpo)
    assert bundle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert {"profile.csv", "events.csv", "consents.csv", "access_log.csv"} <= set(
            archive.namelist()
        )
        assert name in archive.read("profile.csv").decode()
    assert client.get(f"/privacy/exports/{uuid.uuid4()}", headers=dpo).status_code == 404


def test_restricted_customer_gets_no_marketing_until_the_restriction_is_lifted(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    consent(client, am, customer_id, 0)
    restrict = client.post(
        "/privacy/restrictions",
        json={"customer_id": customer_id, "reason": "accuracy contested"},
        headers=dpo,
    )
    assert restrict.status_code == 201, restrict.text
    assert email(client, am, customer_id, 5).status_code == 409
    twice = client.post(
        "/privacy/restrictions", json={"customer_id": customer_id, "reason": "x"}, headers=dpo
    )
    assert twice.status_code == 409
    lifted = client.delete(f"/privacy/restrictions/{customer_id}?reason=verified", headers=dpo)
    assert lifted.status_code == 200
    assert email(client, am, customer_id, 6).status_code == 201


def test_consents_as_of_any_date_show_the_change_in_force_with_evidence(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    consent(client, am, customer_id, 10)
    withdrawn = touch(
        client, am, customer_id, kind="consent_withdrawn", occurred_at=iso_day(20),
        institution="TAMK", channel="email", purpose="email_marketing", evidence="reply mail",
    )  # fmt: skip
    assert withdrawn.status_code == 201
    path = f"/privacy/consents/{customer_id}"
    before = client.get(path, params={"as_of": iso_day(5)}, headers=dpo).json()
    assert before["consents"] == []
    during = client.get(path, params={"as_of": iso_day(15)}, headers=dpo).json()["consents"][0]
    assert (during["granted"], during["evidence"]) == (True, "form v3")
    after = client.get(path, params={"as_of": iso_day(25)}, headers=dpo).json()["consents"][0]
    assert (after["granted"], after["change"]) == (False, "consent_withdrawn")


def test_consent_audit_finds_a_contact_left_uncovered_by_a_late_recorded_withdrawal(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    consent(client, am, customer_id, 100)
    assert email(client, am, customer_id, 110).status_code == 201
    assert email(client, am, customer_id, 130).status_code == 201
    # The withdrawal letter dated day 120 reaches the register only now.
    late = touch(
        client, am, customer_id, kind="consent_withdrawn", occurred_at=iso_day(120),
        institution="TAMK", channel="other", purpose="email_marketing", evidence="letter",
    )  # fmt: skip
    assert late.status_code == 201
    audit = client.get(
        "/privacy/consent-audit",
        params={"from": iso_day(100), "to": iso_day(140), "purpose": "email_marketing"},
        headers=dpo,
    )
    assert audit.status_code == 200, audit.text
    body = audit.json()
    mine = [v for v in body["violations"] if v["customer_id"] == customer_id]
    assert len(mine) == 1
    assert mine[0]["occurred_at"].startswith((HTTP_START + timedelta(days=130)).date().isoformat())
    assert mine[0]["violation"] == "no valid consent"
    assert any(
        c["customer_id"] == customer_id and c["evidence"] == "form v3" for c in body["consents"]
    )
    assert {(c["purpose"], c["change"]) for c in body["changes"]} >= {
        ("email_marketing", "given"),
        ("email_marketing", "withdrawn"),
    }
    bad = client.get("/privacy/consent-audit", params={"purpose": "telepathy"}, headers=dpo)
    assert bad.status_code == 422


def test_overdue_erasure_requests_are_listed(client: TestClient, as_role: RoleHeaders) -> None:
    response = client.get("/privacy/erasures?status=overdue", headers=as_role[Role.DPO])
    assert response.status_code == 200
    page = response.json()
    assert all(r["overdue"] for r in page["requests"])
    assert page["total"] >= len(page["requests"]) and page["offset"] == 0


def test_the_audit_says_how_many_consents_its_cut_sections_hold(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    for _ in range(3):
        consent(client, am, register_over_http(client, am, name=unique("Cut")), 300)
    window = {"from": iso_day(299), "to": iso_day(301), "purpose": "email_marketing"}
    audit = client.get("/privacy/consent-audit", params={**window, "limit": 2}, headers=dpo)
    assert audit.status_code == 200, audit.text
    body = audit.json()
    assert len(body["consents"]) == 2
    assert body["consents_total"] >= 3
    assert body["expiring_total"] >= len(body["expiring"])
