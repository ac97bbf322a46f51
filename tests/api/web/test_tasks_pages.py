"""Task and correction pages as an account manager: plan, complete, cancel, my tasks, retract,
and the future-date refusal on the record form, in the UI's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain import events as ev
from projections.views.tasks import Tasks
from projections.views.timeline import Timeline
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import provenance, register, unique

WAIT = 10.0


@pytest.fixture
def am(app: FastAPI, services: Services) -> Iterator[TestClient]:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        yield client


@pytest.fixture
def customer(services: Services) -> UUID:
    return register(services.crm, name=unique("Oona"))


def test_a_touchpoint_form_dated_in_the_future_is_refused_with_422_in_finnish(
    am: TestClient, customer: UUID, services: Services
) -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "kind": "company_visited",
        "topic": "Suunniteltu käynti",
        "occurred_at": later,
        "institution": "TTY",
        "channel": "company_visit",
        "csrf_token": page_csrf(am),
    }
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 422
    assert 'id="tp-occurred_at-error"' in response.text
    assert "suunnittele tuleva tehtävänä" in response.text
    assert len(services.crm.get_journey(customer)) == 1


def test_an_account_manager_plans_a_task_sees_it_in_my_tasks_and_completes_it(
    am: TestClient, customer: UUID, services: Services
) -> None:
    page = am.get(f"/ui/customers/{customer}")
    assert 'id="plan-form"' in page.text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%d.%m.%Y")
    form = {
        "task_kind": "visit",
        "due_on": tomorrow,
        "title": "Käynti tehtaalla",
        "owner": "",
        "idempotency_key": unique("plan"),
        "csrf_token": page_csrf(am),
    }
    planned = am.post(f"/ui/customers/{customer}/tasks", data=form)
    assert planned.status_code == 303, planned.text
    shown = am.get(planned.headers["location"]).text
    assert "Käynti tehtaalla" in shown and "Tehtävä tallennettu." in shown

    mine = am.get("/ui/tasks").text
    assert "Käynti tehtaalla" in mine and "Kaikki avoimet: 1\u20131 / 1" in mine
    assert "Myöhässä: 0\u20130 / 0" in am.get("/ui/tasks?window=overdue").text
    [task] = services.views.get(Tasks).of_customer(customer)
    done = am.post(
        f"/ui/customers/{customer}/tasks/{task['task_id']}/complete",
        data={"notes": "Tilaus tulossa", "next": "/ui/tasks", "csrf_token": page_csrf(am)},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/ui/tasks?")
    visit = services.crm.get_journey(customer)[-2]
    assert isinstance(visit, ev.CompanyVisited) and visit.notes == "Tilaus tulossa"
    assert "Ei avoimia tehtäviä." in am.get("/ui/tasks").text


def test_a_task_form_with_a_date_that_is_not_a_date_is_refused_with_422(
    am: TestClient, customer: UUID
) -> None:
    form = {"task_kind": "call", "due_on": "ensi viikolla", "title": "x"}
    response = am.post(
        f"/ui/customers/{customer}/tasks", data={**form, "csrf_token": page_csrf(am)}
    )
    assert response.status_code == 422 and "Eräpäivä" in response.text


def test_an_entry_retracted_from_the_timeline_is_shown_struck_out_with_the_retraction(
    am: TestClient, customer: UUID, services: Services
) -> None:
    visit = services.crm.record_touchpoint(
        customer, provenance(), "company_visited", {"topic": "Väärä", "notes": None}
    )
    assert services.views.get(Timeline).wait_for(visit.position, WAIT)
    page = am.get(f"/ui/customers/{customer}").text
    assert f'action="/ui/customers/{customer}/entries/{visit.version}/retraction"' in page
    response = am.post(
        f"/ui/customers/{customer}/entries/{visit.version}/retraction",
        data={"reason": "Kirjattu väärälle", "action": "retract", "csrf_token": page_csrf(am)},
    )
    assert response.status_code == 303
    shown = am.get(response.headers["location"]).text
    assert "entry kind-company_visited retracted" in shown
    assert "Merkintä peruttu" in shown and "Kirjattu väärälle" in shown


def test_retracting_a_purchase_from_the_page_is_refused_with_422_saying_to_refund(
    am: TestClient, customer: UUID, services: Services
) -> None:
    bought = services.crm.record_touchpoint(
        customer,
        provenance(),
        "purchase_made",
        {
            "purchase_id": unique("P"),
            "offering": "Kurssi",
            "offering_type": "open_training",
            "amount": Decimal("120"),
            "invoice_reference": None,
            "notes": None,
        },
    )
    response = am.post(
        f"/ui/customers/{customer}/entries/{bought.version}/retraction",
        data={"reason": "Väärin", "action": "retract", "csrf_token": page_csrf(am)},
    )
    assert response.status_code == 422
    assert "hyvityksellä" in response.text


def test_a_page_past_the_end_of_my_tasks_says_it_shows_none_of_them(am: TestClient) -> None:
    page = am.get("/ui/tasks", params={"window": "open", "offset": 100_000})
    assert page.status_code == 200
    covered = page.text.split('id="tasks-covered">', 1)[1].split("</p>", 1)[0]
    assert ": 0\u20130 / " in covered
