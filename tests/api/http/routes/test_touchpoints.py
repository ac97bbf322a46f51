"""The timeline endpoint: order, filters, paging, as-of and read-your-writes."""

from __future__ import annotations

import json
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.http.routes.touchpoints import timeline_page_json
from api.http.schemas import TimelineEntryOut, TimelinePageOut
from crm.application.users import Role
from projections.views.timeline import Timeline
from tests.factories import (
    RoleHeaders,
    every_touchpoint,
    iso_day,
    record_over_http,
    register_over_http,
)


def test_timeline_is_chronological_by_business_time_and_filters(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-10))
    # Recorded out of order: business time decides the order shown.
    record_over_http(
        client,
        am,
        customer_id,
        {"kind": "web_service_visited", "page": "/b", "occurred_at": iso_day(5)},
    )
    record_over_http(
        client,
        am,
        customer_id,
        {
            "kind": "fair_visited",
            "fair_name": "Studia",
            "occurred_at": iso_day(1),
            "institution": "TTY",
        },
    )
    last = record_over_http(
        client,
        am,
        customer_id,
        {"kind": "web_service_visited", "page": "/c", "occurred_at": iso_day(9)},
    )
    url = f"/customers/{customer_id}/timeline"

    everything = client.get(url, params={"after": last}, headers=am).json()["entries"]
    assert [e["kind"] for e in everything] == [
        "registered",
        "fair_visited",
        "web_service_visited",
        "web_service_visited",
    ]
    assert [e["details"].get("page") for e in everything[2:]] == ["/b", "/c"]

    visits = client.get(url, params={"kind": "web_service_visited"}, headers=am).json()["entries"]
    assert [e["details"]["page"] for e in visits] == ["/b", "/c"]
    tty = client.get(url, params={"institution": "TTY"}, headers=am).json()["entries"]
    assert [e["kind"] for e in tty] == ["fair_visited"]
    window = client.get(url, params={"start": iso_day(2), "end": iso_day(9)}, headers=am).json()[
        "entries"
    ]
    assert [e["details"]["page"] for e in window] == ["/b"]


def test_timeline_pages_by_cursor_without_gaps_or_repeats(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-1))
    last = 0
    for day in range(11):
        last = record_over_http(
            client,
            am,
            customer_id,
            {"kind": "web_service_visited", "page": f"/{day}", "occurred_at": iso_day(day)},
        )
    url = f"/customers/{customer_id}/timeline"
    for order, expected in (("oldest", list(range(1, 13))), ("newest", list(range(12, 0, -1)))):
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {
                "limit": 4,
                "after": last,
                "order": order,
                **({"cursor": cursor} if cursor else {}),
            }
            page = client.get(url, params=params, headers=am).json()
            seen.extend(e["version"] for e in page["entries"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
    assert client.get(url, params={"cursor": "garbage!"}, headers=am).status_code == 422


def test_as_of_shows_the_journey_as_it_stood_then(client: TestClient, as_role: RoleHeaders) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-5))
    last = record_over_http(
        client,
        am,
        customer_id,
        {"kind": "fair_visited", "fair_name": "Later", "occurred_at": iso_day(30)},
    )
    url = f"/customers/{customer_id}/timeline"
    then = client.get(url, params={"as_of": iso_day(0), "after": last}, headers=am).json()[
        "entries"
    ]
    assert [e["kind"] for e in then] == ["registered"]


def test_timeline_rejects_unknown_kinds_and_inverted_ranges(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    url = f"/customers/{customer_id}/timeline"
    unknown = client.get(url, params={"kind": "dancing"}, headers=am)
    assert unknown.status_code == 422 and "kind" in unknown.text
    inverted = client.get(url, params={"start": iso_day(5), "end": iso_day(1)}, headers=am)
    assert inverted.status_code == 422 and "end" in inverted.text


def test_waiting_for_a_position_never_handed_out_is_a_client_error(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    response = client.get(
        f"/customers/{customer_id}/timeline", params={"after": 10**12}, headers=am
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "after"


def test_text_with_tabs_newlines_and_backslashes_reaches_the_timeline_unchanged(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    awkward = 'tab\there\nnew line\r\\N back\\slash "quoted" ä€'
    last = record_over_http(
        client,
        am,
        customer_id,
        {"kind": "chat_conversation_held", "topic": "x\\ty", "notes": awkward},
    )
    entries = client.get(
        f"/customers/{customer_id}/timeline",
        params={"after": last, "kind": "chat_conversation_held"},
        headers=am,
    ).json()["entries"]
    assert entries[0]["details"]["notes"] == awkward
    assert entries[0]["details"]["topic"] == "x\\ty"


def test_the_timeline_json_is_what_the_documented_model_gives(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    """The page is encoded straight from the view's rows; it must match `TimelinePageOut`."""
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am, occurred_at=iso_day(-30))
    last = 0
    for day, (kind, fields) in enumerate(every_touchpoint()):
        body = {"kind": kind, **fields, "occurred_at": iso_day(-29 + day)}
        content = json.dumps(body, default=str)  # amounts are Decimals
        response = client.post(
            f"/customers/{customer_id}/touchpoints",
            content=content,
            headers={**am, "Content-Type": "application/json"},
        )
        if response.status_code == 201:  # some kinds need an earlier one (a purchase to refund)
            last = int(response.json()["position"])
    services.views.get(Timeline).wait_for(last, 10)
    rows, next_cursor = services.views.get(Timeline).page(UUID(customer_id), limit=20)
    assert len(rows) == 20 and next_cursor is not None

    modelled = TimelinePageOut(
        entries=[
            TimelineEntryOut(
                **{key: row[key] for key in TimelineEntryOut.model_fields if key != "details"},
                details={**row["details"], **(row["personal"] or {})},
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
    assert timeline_page_json(rows, next_cursor) == modelled.model_dump_json().encode()
