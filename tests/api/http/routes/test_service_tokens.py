"""Service tokens for integrations: issued once by an administrator, limited to the
permissions given (within the role's), expiring, revocable, with their last use recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.api.web_client import csrf_of, new_user, page_csrf, sign_in
from tests.factories import unique

pytestmark = pytest.mark.postgres
RoleHeaders = dict[Role, dict[str, str]]
TOUCHPOINT = {
    "kind": "webinar_attended",
    "occurred_at": "2024-05-02T10:00:00+03:00",
    "institution": "TAMK",
    "channel": "webinar",
    "webinar_id": "w-1",
    "title": "Johdanto",
}


def issue(client: TestClient, admin: dict[str, str], **body: object) -> dict[str, object]:
    answer = client.post(
        "/service-tokens",
        json={
            "name": unique("web-service"),
            "role": "account_manager",
            "permissions": ["record_touchpoints"],
            **body,
        },
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def a_customer(client: TestClient, am: dict[str, str]) -> str:
    answer = client.post(
        "/customers",
        json={"kind": "person", "customer_type": "individual", "name": unique("Palvelu")},
        headers=am,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["customer_id"])


def test_a_scoped_token_does_what_it_was_given_and_nothing_else_of_its_role(
    client: TestClient, as_role: RoleHeaders
) -> None:
    issued = issue(client, as_role[Role.ADMIN])
    assert len(str(issued["token"])) >= 40 and issued["last_used_at"] is None
    customer_id = a_customer(client, as_role[Role.ACCOUNT_MANAGER])
    recorded = client.post(
        f"/customers/{customer_id}/touchpoints",
        json={**TOUCHPOINT, "idempotency_key": unique("k")},
        headers=bearer(issued["token"]),
    )
    assert recorded.status_code in (200, 201), recorded.text
    read = client.get(f"/customers/{customer_id}", headers=bearer(issued["token"]))
    assert read.status_code == 403, "an account manager may read; this token was not given it"
    assert "service token" in read.json()["detail"]
    listed = client.get("/service-tokens", headers=as_role[Role.ADMIN]).json()
    mine = next(t for t in listed["tokens"] if t["number"] == issued["number"])
    assert mine["last_used_at"] is not None
    assert "token" not in mine, "shown once, never listed"


def test_a_token_may_not_be_given_more_than_its_role_grants(
    client: TestClient, as_role: RoleHeaders
) -> None:
    answer = client.post(
        "/service-tokens",
        json={"name": "chat", "role": "marketing", "permissions": ["run_privacy"]},
        headers=as_role[Role.ADMIN],
    )
    assert answer.status_code == 422
    assert "marketing role does not grant run_privacy" in answer.text


def test_validity_is_bounded(client: TestClient, as_role: RoleHeaders) -> None:
    answer = client.post(
        "/service-tokens",
        json={
            "name": "chat",
            "role": "marketing",
            "permissions": ["read_customers"],
            "valid_days": 731,
        },
        headers=as_role[Role.ADMIN],
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "valid_days"


def test_an_expired_token_is_refused(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    issued, token = services.service_tokens.issue(
        unique("old"),
        Role.MARKETING,
        ["read_customers"],
        datetime.now(UTC) + timedelta(days=1),
        "t",
    )
    with services.pool.connection() as conn:
        conn.execute(
            "UPDATE service_tokens SET expires_at = now() - interval '1 second'"
            " WHERE token_number = %s",
            (issued.number,),
        )
    answer = client.get("/customers", params={"query": "x"}, headers=bearer(token))
    assert answer.status_code == 401


def test_a_revoked_token_is_refused(client: TestClient, as_role: RoleHeaders) -> None:
    issued = issue(client, as_role[Role.ADMIN])
    assert client.get("/tasks", headers=bearer(issued["token"])).status_code == 200
    revoked = client.delete(f"/service-tokens/{issued['number']}", headers=as_role[Role.ADMIN])
    assert revoked.status_code == 204
    # Refused at once in this process, though it had just trusted the token.
    answer = client.get("/tasks", headers=bearer(issued["token"]))
    assert answer.status_code == 401
    again = client.delete(f"/service-tokens/{issued['number']}", headers=as_role[Role.ADMIN])
    assert again.status_code == 404


def test_the_access_log_names_the_service(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    name = unique("chat")
    issued = issue(
        client, as_role[Role.ADMIN], name=name, role="marketing", permissions=["read_customers"]
    )
    customer_id = a_customer(client, as_role[Role.ACCOUNT_MANAGER])
    assert (
        client.get(f"/customers/{customer_id}", headers=bearer(issued["token"])).status_code == 200
    )
    log = client.get(
        "/privacy/access-log", params={"user": f"service:{name}"}, headers=as_role[Role.DPO]
    )
    assert log.status_code == 200 and log.json()["total"] >= 1, log.text


def test_a_service_token_does_not_open_a_web_session(
    app: FastAPI, client: TestClient, as_role: RoleHeaders
) -> None:
    issued = issue(client, as_role[Role.ADMIN])
    browser = TestClient(app, follow_redirects=False)
    csrf = csrf_of(browser.get("/ui/login").text)
    answer = browser.post("/ui/login", data={"token": issued["token"], "csrf_token": csrf})
    assert answer.status_code == 401


def test_an_admin_issues_a_token_on_the_page_and_sees_it_once(
    app: FastAPI, services: Services
) -> None:
    admin = sign_in(app, new_user(services, Role.ADMIN))
    name = unique("email-tool")
    form = {
        "name": name,
        "role": "account_manager",
        "permission": ["record_touchpoints", "read_customers"],
        "valid_days": "90",
        "csrf_token": page_csrf(admin),
    }
    page = admin.post("/ui/admin/service-tokens", data=form)
    assert page.status_code == 201, page.text
    token = page.text.split('<code class="token">')[1].split("</code>")[0]
    assert len(token) >= 40
    listed = admin.get("/ui/admin/service-tokens").text
    assert name in listed and token not in listed
    assert "1\u2013" in listed, "the list says what it covers"
