"""Digimentors over HTTP: naming a person digimentor for their organisation and ending the
role, the list with organisations, owners and last contact (filtered, paged), the refusals,
and the segment condition "is a digimentor"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, provenance, register, unique


def _caught_up(services: Services) -> None:
    wait_until_caught_up(services.projector, services.views.refresh())


def _company(services: Services, owner: str) -> tuple[UUID, list[UUID]]:
    """An organisation owned by `owner` with three people acting for it."""
    organisation = register(
        services.crm, "organisation", name=unique("Digiyritys"), account_manager=owner
    )
    people = [register(services.crm, name=unique(f"Mentori{n}")) for n in range(3)]
    for person in people:
        services.crm.start_affiliation(person, provenance(), organisation, None)
    return organisation, people


def _name(client: TestClient, headers: dict[str, str], person: UUID, org: UUID) -> Any:
    return client.post(
        f"/customers/{person}/digimentor-roles",
        json={"organisation_id": str(org)},
        headers=headers,
    )


def _list(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/digimentors", params=params, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_named_digimentor_is_listed_with_organisation_owner_and_last_contact(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    owner = f"owner-{uuid.uuid4().hex[:8]}"
    organisation, people = _company(services, owner)
    contact = datetime.now(UTC) - timedelta(days=2)
    services.crm.record_touchpoint(
        people[0],
        provenance(contact),
        "event_attended",
        {"notes": None, "event_name": "Digityöpaja", "organiser": "own",
         "event_format": "digimentor_workshop"},
    )  # fmt: skip
    for person in people[:2]:
        response = _name(client, am, person, organisation)
        assert response.status_code == 201, response.text
    after = response.json()["position"]

    found = _list(client, am, organisation=str(organisation), after=after)
    assert found["total"] == 2 and found["offset"] == 0
    rows = {row["person_id"]: row for row in found["digimentors"]}
    assert set(rows) == {str(people[0]), str(people[1])}
    first = rows[str(people[0])]
    assert first["organisation_id"] == str(organisation)
    assert first["organisation_name"].startswith("Digiyritys")
    assert first["person_name"].startswith("Mentori0")
    assert first["owner"] == owner
    assert first["named_by"]
    assert datetime.fromisoformat(first["last_contact"]) == contact
    assert rows[str(people[1])]["last_contact"] is None

    by_owner = _list(client, am, owner=owner)
    assert by_owner["total"] == 2
    assert _list(client, am, owner=f"nobody-{uuid.uuid4().hex}")["total"] == 0
    paged = _list(client, am, owner=owner, limit=1, offset=1)
    assert paged["total"] == 2 and len(paged["digimentors"]) == 1
    assert paged["digimentors"][0]["person_id"] in rows


def test_ending_the_role_or_the_affiliation_takes_the_digimentor_off_the_list(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation, people = _company(services, "owner-x")
    for person in people[:2]:
        assert _name(client, am, person, organisation).status_code == 201
    ended = client.delete(f"/customers/{people[0]}/digimentor-roles/{organisation}", headers=am)
    assert ended.status_code == 200, ended.text
    again = client.delete(f"/customers/{people[0]}/digimentor-roles/{organisation}", headers=am)
    assert again.status_code == 409
    left = client.delete(f"/customers/{people[1]}/affiliations/{organisation}", headers=am)
    assert left.status_code == 200, left.text
    found = _list(client, am, organisation=str(organisation), after=left.json()["position"])
    assert found == {"digimentors": [], "total": 0, "offset": 0}
    kinds = [
        e["kind"]
        for e in client.get(f"/customers/{people[1]}/timeline", headers=am).json()["entries"]
    ]
    assert "digimentor_role_ended" in kinds and "affiliation_ended" in kinds


def test_naming_is_refused_with_409_outside_an_affiliation_and_twice(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    organisation, people = _company(services, "owner-y")
    outsider = register(services.crm, name=unique("Ulkopuolinen"))
    refused = _name(client, am, outsider, organisation)
    assert refused.status_code == 409 and "act for" in refused.text
    assert _name(client, am, people[0], organisation).status_code == 201
    assert _name(client, am, people[0], organisation).status_code == 409
    # An organisation is not a person.
    assert _name(client, am, organisation, organisation).status_code == 409
    assert _name(client, am, uuid.uuid4(), organisation).status_code == 404


def test_bad_input_is_422_naming_the_field(client: TestClient, as_role: RoleHeaders) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    person = uuid.uuid4()
    for body, field in (
        ({"organisation_id": "not-an-id"}, "organisation_id"),
        ({}, "organisation_id"),
        ({"organisation_id": str(uuid.uuid4()), "occurred_at": "2025-01-01T00:00"}, "occurred_at"),
        ({"organisation_id": str(uuid.uuid4()), "extra": 1}, "extra"),
    ):
        response = client.post(f"/customers/{person}/digimentor-roles", json=body, headers=am)
        assert response.status_code == 422, response.text
        assert field in [e["loc"][-1] for e in response.json()["detail"]]
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"organisation": "x"}, "organisation"),
        ({"owner": ""}, "owner"),
    ):
        response = client.get("/digimentors", params=params, headers=am)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["detail"][0]["loc"][-1] == field


def test_the_segment_condition_selects_current_digimentors(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am = as_role[Role.ACCOUNT_MANAGER]
    owner = f"owner-{uuid.uuid4().hex[:8]}"
    organisation, people = _company(services, owner)
    _name(client, am, people[0], organisation)
    _name(client, am, people[1], organisation)
    client.delete(f"/customers/{people[1]}/digimentor-roles/{organisation}", headers=am)
    _caught_up(services)
    marketing = as_role[Role.MARKETING]
    rule = {"all": [{"digimentor": True}, {"organisation": {"field": "account_manager",
            "op": "=", "value": owner}}]}  # fmt: skip
    response = client.post(
        "/segments/preview", json={"rule": rule, "limit": 200}, headers=marketing
    )
    assert response.status_code == 200, response.text
    members = {m["customer_id"] for m in response.json()["members"]}
    assert str(people[0]) in members
    assert not members & {str(people[1]), str(people[2]), str(organisation)}
    explained = client.post(
        "/segments/explain",
        json={"rule": {"not": {"digimentor": True}}, "customer_id": str(people[2])},
        headers=marketing,
    )
    assert explained.status_code == 200, explained.text
    assert explained.json()["member"] is True
    bad = client.post("/segments/preview", json={"rule": {"digimentor": False}}, headers=marketing)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "rule", "digimentor"]
