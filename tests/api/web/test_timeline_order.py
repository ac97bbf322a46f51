"""The customer page's timeline: newest first, the saved entry on top, quick call and meeting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.views.timeline import Timeline
from tests.api.web_client import csrf_of, new_user, sign_in
from tests.factories import provenance, register, unique


@pytest.fixture
def am(app: FastAPI, services: Services) -> Iterator[TestClient]:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        yield client


@pytest.fixture
def customer(services: Services) -> UUID:
    """A person with forty calls over forty days: more than a page of timeline."""
    customer_id = register(
        services.crm, name=unique("Timo"), at=datetime.now(UTC) - timedelta(days=50)
    )
    now = datetime.now(UTC)
    position = 0
    for day in range(40):
        recorded = services.crm.record_touchpoint(
            customer_id,
            provenance(now - timedelta(days=40 - day)),
            "phone_call_made",
            {
                "notes": None,
                "direction": "inbound",
                "topic": f"call-{day:02d}",
                "marketing_purpose": None,
            },
        )
        position = recorded.position or position
    assert services.views.get(Timeline).wait_for(position, 10)
    return customer_id


def topics(page: str) -> list[str]:
    return re.findall(r"call-\d\d|quick-[\w-]+", page.split('id="timeline"')[1])


def test_the_timeline_shows_the_newest_entries_first_and_oldest_first_on_request(
    am: TestClient, customer: UUID
) -> None:
    newest = topics(am.get(f"/ui/customers/{customer}").text)
    assert newest[:2] == ["call-39", "call-38"] and "call-00" not in newest
    oldest = am.get(f"/ui/customers/{customer}?order=oldest")
    assert topics(oldest.text)[:2] == ["call-00", "call-01"]
    # The next page continues in the chosen order.
    cursor = re.search(r'rel="next" href="([^"]+)"', oldest.text)
    assert cursor is not None and "order=oldest" in cursor.group(1)
    following = topics(am.get(cursor.group(1).replace("&amp;", "&")).text)
    assert following[0] == "call-24"  # the registration took a place on the first page


def test_a_saved_entry_is_marked_at_the_top_with_the_notice_beside_it(
    am: TestClient, customer: UUID
) -> None:
    page = am.get(f"/ui/customers/{customer}")
    form = {
        "kind": "company_visited",
        "topic": "quick-old-visit",
        # Dated before every call: in date order it would sit on the last page.
        "occurred_at": "1.1.2020 10.00",
        "idempotency_key": unique("form"),
        "csrf_token": csrf_of(page.text),
    }
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("#timeline") and "entry=" in location
    shown = am.get(location).text
    timeline = shown.split('id="timeline"')[1]
    assert topics(shown)[0] == "quick-old-visit"
    assert "just-saved" in timeline and "Kohtaaminen tallennettu." in timeline
    assert "Kohtaaminen tallennettu." not in shown.split('id="timeline"')[0]


def test_quick_forms_log_a_call_and_a_meeting_dated_now(
    am: TestClient, customer: UUID, services: Services
) -> None:
    page = am.get(f"/ui/customers/{customer}").text
    for kind in ("phone_call_made", "company_visited"):
        form = page.split(f'id="quick-{kind}"')[1].split("</form>")[0]
        assert f'name="kind" value="{kind}"' in form
        now_value = re.search(r'name="occurred_at" type="datetime-local" value="([^"]+)"', form)
        assert now_value is not None
        data = {
            "kind": kind,
            "topic": f"quick-{kind}",
            "occurred_at": now_value.group(1),
            "direction": "outbound",
            "idempotency_key": re.findall(r'name="idempotency_key" value="([^"]+)"', form)[0],
            "csrf_token": csrf_of(page),
        }
        if kind == "company_visited":
            del data["direction"]
        response = am.post(f"/ui/customers/{customer}/touchpoints", data=data)
        assert response.status_code == 303
    shown = am.get(f"/ui/customers/{customer}").text
    assert topics(shown)[:2] == ["quick-company_visited", "quick-phone_call_made"]


def test_a_quick_call_without_a_topic_names_the_field(am: TestClient, customer: UUID) -> None:
    page = am.get(f"/ui/customers/{customer}").text
    data = {"kind": "phone_call_made", "direction": "inbound", "csrf_token": csrf_of(page)}
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=data)
    assert response.status_code == 422
    assert 'id="tp-topic-error"' in response.text
