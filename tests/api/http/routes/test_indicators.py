"""Indicator, consent ledger, organisation roll-up and report endpoints through HTTP."""

from __future__ import annotations

from uuid import uuid4

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import RoleHeaders, iso_day, record_over_http, register_over_http, unique


def test_indicators_show_revenue_net_of_refunds_and_stage(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-10))
    purchase = {
        "kind": "purchase_made", "purchase_id": "P1", "offering": "AI", "amount": "1000.00",
        "offering_type": "coaching", "occurred_at": iso_day(0),
    }  # fmt: skip
    record_over_http(client, am, customer_id, purchase)
    refund = {
        "kind": "purchase_refunded", "purchase_id": "P1", "amount": "250.00", "reason": "x",
        "occurred_at": iso_day(1),
    }  # fmt: skip
    last = record_over_http(client, am, customer_id, refund)

    response = client.get(
        f"/customers/{customer_id}/indicators",
        params={"after": last, "as_of": iso_day(10)},
        headers=as_role[Role.MARKETING],
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["revenue"] == "750.00"
    assert body["purchase_count"] == 1
    assert body["lifecycle_stage"] == "customer"
    assert body["tenure_days"] == 20
    assert body["rfm"] is not None and 1 <= body["rfm"]["monetary"] <= 5
    assert body["engagement_score"] > 0


def test_unknown_customers_are_404_and_the_admin_role_is_403(
    client: TestClient, as_role: RoleHeaders
) -> None:
    missing = uuid4()
    am = as_role[Role.ACCOUNT_MANAGER]
    assert client.get(f"/customers/{missing}/indicators", headers=am).status_code == 404
    assert client.get(f"/customers/{missing}/consents", headers=am).status_code == 404
    assert client.get(f"/organisations/{missing}/rollup", headers=am).status_code == 404
    admin = as_role[Role.ADMIN]
    assert client.get(f"/customers/{missing}/indicators", headers=admin).status_code == 403
    assert client.get("/reports/funnel", headers=admin).status_code == 403
    marketing = as_role[Role.MARKETING]
    assert client.get(f"/customers/{missing}/consents", headers=marketing).status_code == 403


def test_consent_ledger_shows_state_and_intervals_to_the_dpo(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-10))
    given = {
        "kind": "consent_given", "purpose": "newsletter", "lawful_basis": "consent",
        "evidence": "form v3", "occurred_at": iso_day(0),
    }  # fmt: skip
    record_over_http(client, am, customer_id, given)
    withdrawn = {
        "kind": "consent_withdrawn", "purpose": "newsletter", "evidence": "mail",
        "occurred_at": iso_day(5),
    }  # fmt: skip
    last = record_over_http(client, am, customer_id, withdrawn)

    url = f"/customers/{customer_id}/consents"
    dpo = as_role[Role.DPO]
    body = client.get(url, params={"after": last, "as_of": iso_day(2)}, headers=dpo).json()

    state = {s["purpose"]: s for s in body["state"]}
    assert state["newsletter"]["valid"] is True
    assert state["newsletter"]["evidence"] == "form v3"
    assert state["email_marketing"]["valid"] is False
    [interval] = body["intervals"]
    assert interval["ended_by"] == "withdrawn"
    now = client.get(url, headers=dpo).json()
    assert not any(s["valid"] for s in now["state"])


def test_rollup_and_reports_answer_with_their_figures(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation = client.post(
        "/customers",
        json={
            "kind": "organisation", "customer_type": "public_organisation",
            "name": unique("Org"), "email": f"{unique('o')}@example.fi",
        },
        headers=am,
    ).json()["customer_id"]  # fmt: skip
    group = unique("group")
    lead = {
        "kind": "lead_captured", "lead_id": "L1", "source_channel": "fair",
        "target_group": group, "occurred_at": iso_day(0),
    }  # fmt: skip
    record_over_http(client, am, organisation, lead)
    last = record_over_http(
        client, am, organisation,
        {"kind": "lead_qualified", "lead_id": "L1", "occurred_at": iso_day(1)},
    )  # fmt: skip

    rollup = client.get(f"/organisations/{organisation}/rollup", params={"after": last}, headers=am)
    assert rollup.status_code == 200, rollup.text
    assert rollup.json()["lifecycle_stage"] == "lead"
    assert rollup.json()["people_count"] == 0

    funnel = client.get(
        "/reports/funnel", params={"by": "target_group", "after": last}, headers=am
    ).json()
    [row] = [r for r in funnel["rows"] if r["value"] == group]
    assert (row["leads"], row["qualified"], row["converted"]) == (1, 1, 0)
    bad = client.get("/reports/funnel", params={"by": "colour"}, headers=am)
    assert bad.status_code == 422

    revenue = client.get("/reports/revenue", headers=am)
    assert revenue.status_code == 200
    assert set(revenue.json()) == {"rows", "total_net"}
