"""Tasks, the future-date refusal and corrections over HTTP, for the roles that may and may not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.tasks import due_window
from projections.views.tasks import Tasks
from projections.views.timeline import Timeline
from tests.api.http.routes.test_imports import CSV, fair_csv, journey_kinds
from tests.factories import RoleHeaders, iso_day, record_over_http, register_over_http, unique

WAIT = 10.0


def plan(
    client: TestClient, headers: dict[str, str], customer_id: str, due: date, **more: str
) -> dict[str, object]:
    body = {"task_kind": "call", "due_on": due.isoformat(), "title": "Soita", **more}
    response = client.post(f"/customers/{customer_id}/tasks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    planned: dict[str, object] = response.json()
    return planned


def test_a_touchpoint_dated_in_the_future_is_refused_with_422_saying_to_plan_a_task(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"kind": "company_visited", "topic": "Käynti", "occurred_at": later}
    response = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=am)
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "occurred_at"] and "plan a task" in detail["msg"]
    assert len(services.crm.get_journey(UUID(customer_id))) == 1


def test_an_imported_row_dated_in_the_future_is_a_row_error_naming_occurred_at(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    past, future = f"{unique('past')}@example.fi", f"{unique('future')}@example.fi"
    fair = unique("Studia")
    body = fair_csv([past], fair) + f"Ville;V;{future};{fair};1.1.2030 10:00\n".encode()
    response = client.post(
        "/imports?mapping=fair_visitors",
        content=body,
        headers={**as_role[Role.ACCOUNT_MANAGER], **CSV},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["recorded"] == 1
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "occurred_at")]
    assert "plan a task" in report["errors"][0]["reason"]
    assert journey_kinds(services, past) == ["Registered", "FairVisited"]


def test_my_tasks_lists_the_callers_open_tasks_by_window_and_says_what_the_page_covers(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    owner = unique("owner")
    customer_id = register_over_http(client, am)
    today, week_end = due_window(datetime.now(UTC))
    overdue = plan(client, am, customer_id, today - timedelta(days=3), owner=owner)
    plan(client, am, customer_id, today, owner=owner, title="Tänään")
    last = plan(client, am, customer_id, week_end + timedelta(days=30), owner=owner)
    assert services.views.get(Tasks).wait_for(int(str(last["position"])), WAIT)
    rows, total = services.views.get(Tasks).owned_by(owner, "open", today, week_end, limit=2)
    assert total == 3 and len(rows) == 2
    assert rows[0]["task_id"] == overdue["task_id"]
    # The API lists the caller's own tasks: this caller owns none of these.
    mine = client.get("/tasks", params={"window": "overdue"}, headers=am).json()
    assert overdue["task_id"] not in [t["task_id"] for t in mine["tasks"]]
    assert mine["window"] == "overdue" and mine["offset"] == 0
    refused = client.get("/tasks", params={"window": "someday"}, headers=am)
    assert refused.status_code == 422


def test_completing_a_task_over_http_records_the_call_and_closes_the_task(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    planned = plan(client, am, customer_id, date.today(), title="Soita tarjouksesta")
    task = f"/customers/{customer_id}/tasks/{planned['task_id']}"
    done = client.post(f"{task}/completion", json={"notes": "Sovittu"}, headers=am)
    assert done.status_code == 201, done.text
    again = client.post(f"{task}/completion", json={}, headers=am)
    assert again.status_code == 409
    entries = client.get(
        f"/customers/{customer_id}/timeline",
        params={"after": done.json()["position"]},
        headers=am,
    ).json()["entries"]
    assert [e["kind"] for e in entries][-3:] == [
        "task_planned",
        "phone_call_made",
        "task_completed",
    ]
    assert entries[-2]["details"]["topic"] == "Soita tarjouksesta"
    tasks = services.views.get(Tasks)
    assert tasks.wait_for(done.json()["position"], 30)
    row = tasks.get(__import__("uuid").UUID(customer_id), str(planned["task_id"]))
    assert row is not None and row["state"] == "completed"
    cancelled = plan(client, am, customer_id, date.today())
    response = client.post(
        f"/customers/{customer_id}/tasks/{cancelled['task_id']}/cancellation",
        json={"reason": "Ei tarvetta"},
        headers=am,
    )
    assert response.status_code == 201


def test_planning_refuses_a_bad_kind_and_roles_without_the_permission(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    body = {"task_kind": "lunch", "due_on": "2027-01-01", "title": "x"}
    assert client.post(f"/customers/{customer_id}/tasks", json=body, headers=am).status_code == 422
    body["task_kind"] = "call"
    for role in (Role.MARKETING, Role.DPO, Role.ADMIN):
        response = client.post(f"/customers/{customer_id}/tasks", json=body, headers=as_role[role])
        assert response.status_code == 403, role


def test_an_entry_retracted_over_http_is_marked_on_the_timeline_and_a_purchase_is_refused(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-5))
    record_over_http(client, am, customer_id, {"kind": "company_visited", "topic": "x"})
    visit = 2
    response = client.post(
        f"/customers/{customer_id}/entries/{visit}/retraction",
        json={"reason": "Väärä asiakas"},
        headers=am,
    )
    assert response.status_code == 201, response.text
    after = response.json()["position"]
    entries = client.get(
        f"/customers/{customer_id}/timeline", params={"after": after}, headers=am
    ).json()["entries"]
    marked = {e["version"]: e.get("retracted_in") for e in entries}
    assert marked[visit] == response.json()["version"]
    retraction = entries[-1]
    assert retraction["kind"] == "entry_retracted"
    assert retraction["details"]["reason"] == "Väärä asiakas"
    record_over_http(
        client,
        am,
        customer_id,
        {
            "kind": "purchase_made",
            "purchase_id": unique("P"),
            "offering": "Kurssi",
            "offering_type": "open_training",
            "amount": "100",
            "occurred_at": iso_day(1),
        },
    )
    refused = client.post(
        f"/customers/{customer_id}/entries/4/retraction", json={"reason": "x"}, headers=am
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "version"]
    assert "refund" in refused.json()["detail"][0]["msg"]
    assert services.views.get(Timeline).wait_for(after, WAIT)


def test_a_correction_over_http_records_the_entry_at_the_right_time_and_retracts_the_old(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-5))
    record_over_http(
        client,
        am,
        customer_id,
        {"kind": "company_visited", "topic": "x", "occurred_at": iso_day(3)},
    )
    response = client.post(
        f"/customers/{customer_id}/entries/2/correction",
        json={"reason": "Päivä väärin", "changes": {"occurred_at": "2.3.2025 10:00"}},
        headers=am,
    )
    assert response.status_code == 201, response.text
    entries = client.get(
        f"/customers/{customer_id}/timeline",
        params={"after": response.json()["position"]},
        headers=am,
    ).json()["entries"]
    visits = [e for e in entries if e["kind"] == "company_visited"]
    assert [(e["version"], e["retracted_in"]) for e in visits] == [(3, None), (2, 4)]
    assert visits[0]["occurred_at"].startswith("2025-03-02T08:00")
    unknown = client.post(
        f"/customers/{customer_id}/entries/3/correction",
        json={"reason": "x", "changes": {"shoe_size": 42}},
        headers=am,
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "shoe_size"
