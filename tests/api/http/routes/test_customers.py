"""Customers and touchpoints over HTTP, against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, contact_cast, register_over_http, unique


def test_registered_customer_can_be_read_back(client: TestClient, as_role: RoleHeaders) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(
        client, am, name="Liisa Laine", phone="+358 50 1", sector="ICT"
    )
    response = client.get(f"/customers/{customer_id}", headers=am)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["phone"], body["kind"]) == ("Liisa Laine", "+358 50 1", "person")


def test_registering_a_known_email_returns_the_existing_customer(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    email = f"{unique('same')}@example.fi"
    first = register_over_http(client, am, email=email)
    again = client.post(
        "/customers",
        json={"kind": "person", "customer_type": "individual", "name": "X", "email": email.upper()},
        headers=am,
    )
    assert again.status_code == 200
    assert again.json()["customer_id"] == first


def test_bad_input_is_refused_with_422_naming_the_field(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    cases = [
        ({"kind": "person", "customer_type": "individual"}, "name"),
        ({"kind": "robot", "customer_type": "individual", "name": "R"}, "kind"),
        ({"kind": "person", "customer_type": "individual", "name": "A", "email": "nope"}, "email"),
        (
            {"kind": "person", "customer_type": "public_organisation", "name": "A"},
            "customer_type",
        ),
        ({"kind": "person", "customer_type": "individual", "name": "A", "age": 3}, "age"),
    ]
    for body, field in cases:
        response = client.post("/customers", json=body, headers=am)
        assert response.status_code == 422, (body, response.text)
        assert field in {str(part) for e in response.json()["detail"] for part in e["loc"]}


def test_touchpoint_validation_names_the_field(client: TestClient, as_role: RoleHeaders) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    url = f"/customers/{customer_id}/touchpoints"
    bad = [
        ({"kind": "feedback_given", "score": 11}, "score"),
        (
            {
                "kind": "purchase_made",
                "purchase_id": "P",
                "offering": "o",
                "offering_type": "coaching",
                "amount": "-5",
            },
            "amount",
        ),
        ({"kind": "teleportation"}, "kind"),
        ({"kind": "web_service_visited", "page": "/", "occurred_at": "yesterday"}, "occurred_at"),
        (
            {"kind": "web_service_visited", "page": "/", "occurred_at": "2025-01-01T10:00:00"},
            "occurred_at",
        ),
    ]
    for body, field in bad:
        response = client.post(url, json=body, headers=am)
        assert response.status_code == 422, (body, response.text)
        assert field in {str(part) for e in response.json()["detail"] for part in e["loc"]}


def test_unknown_customer_is_404(client: TestClient, as_role: RoleHeaders) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    missing = uuid.uuid4()
    assert client.get(f"/customers/{missing}", headers=am).status_code == 404
    assert client.get(f"/customers/{missing}/timeline", headers=am).status_code == 404
    response = client.post(
        f"/customers/{missing}/touchpoints",
        json={"kind": "web_service_visited", "page": "/"},
        headers=am,
    )
    assert response.status_code == 404


def test_rule_violations_are_409_with_a_readable_message(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    url = f"/customers/{customer_id}/touchpoints"
    no_consent = client.post(
        url, json={"kind": "newsletter_sent", "newsletter": "Uutiskirje"}, headers=am
    )
    assert no_consent.status_code == 409
    assert "no valid consent for newsletter" in no_consent.json()["detail"]
    bad_lead = client.post(url, json={"kind": "lead_qualified", "lead_id": "L7"}, headers=am)
    assert bad_lead.status_code == 409
    assert (
        bad_lead.json()["detail"] == "The lead was never captured, so it cannot become qualified."
    )


def test_repeated_idempotency_key_returns_first_result_and_stores_one_event(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    headers = {**am, "Idempotency-Key": unique("idem")}
    body = {"kind": "fair_visited", "fair_name": "Studia", "notes": "Kävi osastolla"}
    first = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=headers)
    second = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {**first.json(), "duplicate": True}
    timeline = client.get(
        f"/customers/{customer_id}/timeline",
        params={"after": first.json()["position"], "kind": "fair_visited"},
        headers=am,
    )
    assert len(timeline.json()["entries"]) == 1


def test_search_finds_customers_by_part_of_name_and_by_email(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    surname = unique("Virtanen").replace("-", "")
    email = f"{unique('hae')}@example.fi"
    registered = client.post(
        "/customers",
        json={
            "kind": "person",
            "customer_type": "individual",
            "name": f"Kaisa {surname}",
            "email": email,
        },
        headers=am,
    ).json()
    customer_id, position = registered["customer_id"], registered["position"]
    # Marketing finds a whole address through the blind index, before the directory has it,
    # with the address in the body: an e-mail never travels in a URL.
    by_email = client.post(
        "/customers/search", json={"query": email}, headers=as_role[Role.MARKETING]
    )
    assert [c["id"] for c in by_email.json()["items"]] == [customer_id]
    in_url = client.get("/customers", params={"query": email}, headers=am)
    assert in_url.status_code == 422
    assert in_url.json()["detail"][0]["loc"][-1] == "query"
    # The directory is a projection: `after` waits for it.
    by_name = client.get(
        "/customers", params={"query": surname[2:].lower(), "after": position}, headers=am
    ).json()
    assert [c["id"] for c in by_name["items"]] == [customer_id]
    assert (by_name["total"], by_name["offset"], by_name["limit"]) == (1, 0, 50)


def test_requests_without_a_valid_token_are_401_and_wrong_role_403(
    client: TestClient, as_role: RoleHeaders
) -> None:
    assert client.get(f"/customers/{uuid.uuid4()}").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get(f"/customers/{uuid.uuid4()}", headers=bad).status_code == 401
    body = {"kind": "person", "customer_type": "individual", "name": "M"}
    assert client.post("/customers", json=body, headers=as_role[Role.MARKETING]).status_code == 403


def test_health_reports_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}


def test_openapi_documents_every_touchpoint_kind(client: TestClient) -> None:
    from crm.domain.events import TOUCHPOINT_KINDS

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    documented = {
        schema["properties"]["kind"]["const"]
        for name, schema in schemas.items()
        if name.endswith("In")
        and "kind" in schema.get("properties", {})
        and "const" in schema["properties"]["kind"]
    }
    assert documented == set(TOUCHPOINT_KINDS)


def test_a_search_containing_nul_is_refused_naming_the_query(
    client: TestClient, as_role: RoleHeaders
) -> None:
    response = client.get(
        "/customers", params={"query": "ab\x00c"}, headers=as_role[Role.ACCOUNT_MANAGER]
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query"]


def test_a_json_body_containing_nul_is_refused_and_nothing_is_stored(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    marker = unique("Nul")
    head = services.projector.head()
    response = client.post(
        "/customers",
        content=b'{"kind": "person", "customer_type": "individual", "name": "'
        + marker.encode()
        + b'\\u0000"}',
        headers={**am, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert services.projector.head() == head


def test_marketing_sees_an_email_only_with_a_marketing_consent_and_no_restriction(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    cast = contact_cast(services.crm, datetime.now(UTC))
    wait_until_caught_up(services.projector, services.views.refresh())
    marketing, am = as_role[Role.MARKETING], as_role[Role.ACCOUNT_MANAGER]
    found = client.get("/customers", params={"query": cast.name}, headers=marketing).json()["items"]
    shown = {UUID(r["id"]): (r["email"], r["restricted"], r["contacts_withheld"]) for r in found}
    assert shown == {
        cast.consented: (cast.emails[cast.consented], False, True),  # the phone is held back
        cast.silent: (None, False, True),
        cast.restricted: (None, True, True),
    }
    for customer_id in (cast.consented, cast.silent, cast.restricted):
        body = client.get(f"/customers/{customer_id}", headers=marketing).json()
        assert body["phone"] is None
        assert body["email"] == (
            cast.emails[customer_id] if customer_id == cast.consented else None
        )
        everything = client.get(f"/customers/{customer_id}", headers=am).json()
        assert (everything["email"], everything["phone"]) == (cast.emails[customer_id], cast.phone)
    assert client.get(f"/customers/{cast.restricted}", headers=am).json()["restricted"] is True
