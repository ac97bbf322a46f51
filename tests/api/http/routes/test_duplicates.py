"""Probable duplicates over HTTP: an account manager's own pairs, an admin's every pair."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.views.directory import CustomerDirectory
from tests.factories import day, record, register, unique

WAIT = 10.0


def manager_with_token(services: Services) -> tuple[str, dict[str, str]]:
    name = unique("am")
    return name, {"Authorization": f"Bearer {services.users.add(name, Role.ACCOUNT_MANAGER)}"}


def pairs_of(client: TestClient, headers: dict[str, str], limit: int = 200) -> list[dict]:  # type: ignore[type-arg]
    response = client.get("/duplicates", params={"limit": limit}, headers=headers)
    assert response.status_code == 200, response.text
    candidates: list[dict] = response.json()["candidates"]  # type: ignore[type-arg]
    return candidates


def test_an_account_manager_sees_pairs_of_own_customers_with_evidence_and_an_admin_all(
    client: TestClient, services: Services, as_role: dict[Role, dict[str, str]]
) -> None:
    manager, headers = manager_with_token(services)
    local = unique("tapio.virtanen").replace("-", ".")
    work = register(
        services.crm, name="Tapio Virtanen", email=f"{local}@yritys.fi", account_manager=manager
    )
    private = register(
        services.crm, name="Tapio Virtanen", email=f"{local}2@gmail.com", account_manager=manager
    )
    # The same person under another account manager: not the caller's to merge.
    elsewhere = register(services.crm, name="Tapio Virtanen", email=f"{local}@other.fi")
    assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), WAIT)

    mine = {
        frozenset({p["first"]["customer_id"], p["second"]["customer_id"]}): p
        for p in pairs_of(client, headers)
    }
    # Every pair with one of the caller's customers; only the pair of two is theirs to merge.
    assert set(mine) == {
        frozenset({str(work), str(private)}),
        frozenset({str(work), str(elsewhere)}),
        frozenset({str(private), str(elsewhere)}),
    }
    pair = mine[frozenset({str(work), str(private)})]
    assert "email_local_part_variant" in pair["evidence"] and pair["score"] > 0.4
    assert {pair["first"]["name"], pair["second"]["name"]} == {"Tapio Virtanen"}
    assert pair["mergeable"]
    assert not mine[frozenset({str(work), str(elsewhere)})]["mergeable"]
    # One customer's pairs only.
    response = client.get("/duplicates", params={"customer_id": str(private)}, headers=headers)
    assert {
        frozenset({p["first"]["customer_id"], p["second"]["customer_id"]})
        for p in response.json()["candidates"]
    } == {frozenset({str(work), str(private)}), frozenset({str(private), str(elsewhere)})}

    everyone = client.get("/duplicates", params={"limit": 200}, headers=as_role[Role.ADMIN])
    assert everyone.status_code == 200
    body = everyone.json()
    assert body["customers_compared"] >= 3 and body["total"] >= 3
    # An admin pages through every pair; ours are among them.
    found: set[frozenset[str]] = set()
    offset = 0
    while offset < body["total"]:
        page = client.get(
            "/duplicates", params={"limit": 200, "offset": offset}, headers=as_role[Role.ADMIN]
        ).json()
        found |= {
            frozenset({p["first"]["customer_id"], p["second"]["customer_id"]})
            for p in page["candidates"]
        }
        offset += 200
    assert frozenset({str(work), str(elsewhere)}) in found
    admin_pair = client.get(
        "/duplicates", params={"customer_id": str(elsewhere)}, headers=as_role[Role.ADMIN]
    ).json()["candidates"]
    assert all(p["mergeable"] for p in admin_pair) and len(admin_pair) == 2


def test_roles_that_do_not_merge_get_403_and_limits_are_bounded(
    client: TestClient, as_role: dict[Role, dict[str, str]]
) -> None:
    for role in (Role.MARKETING, Role.DPO):
        assert client.get("/duplicates", headers=as_role[role]).status_code == 403
    response = client.get(
        "/duplicates", params={"limit": 201}, headers=as_role[Role.ACCOUNT_MANAGER]
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_the_list_is_logged_as_a_read_of_the_listed_customers(
    client: TestClient, services: Services
) -> None:
    manager, headers = manager_with_token(services)
    phone = "040 " + str(uuid4().int % 10_000_000).zfill(7)
    a = register(services.crm, name=unique("Liisa"), phone=phone, account_manager=manager)
    b = register(services.crm, name=unique("Lisa"), phone=phone, account_manager=manager)
    assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), WAIT)
    [pair] = pairs_of(client, headers)
    assert pair["evidence"] == ["same_phone"]
    logged = services.access_log.list(user_name=manager, limit=10)
    assert {(row.customer_id, row.endpoint) for row in logged} == {
        (a, "GET /duplicates"),
        (b, "GET /duplicates"),
    }


def journey_kinds(
    client: TestClient, headers: dict[str, str], customer_id: UUID, after: int
) -> list[tuple[str, str]]:
    response = client.get(
        f"/customers/{customer_id}/timeline", params={"after": after, "limit": 500}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [(e["customer_id"], e["kind"]) for e in response.json()["entries"]]


def test_a_merge_is_recorded_on_both_streams_and_an_undo_returns_both_as_they_were(
    client: TestClient, services: Services, as_role: dict[Role, dict[str, str]]
) -> None:
    manager, headers = manager_with_token(services)
    local = unique("aino.lehto").replace("-", ".")
    work_email, private_email = f"{local}@yritys.fi", f"{local}2@gmail.com"
    survivor = register(
        services.crm, name="Aino Lehto", email=work_email, phone=None, account_manager=manager
    )
    absorbed = register(
        services.crm,
        name="Aino Lehto",
        email=private_email,
        phone="040 111 2222",
        account_manager=manager,
    )
    record(services.crm, survivor, day(1), "company_visited", topic="Tarpeet")
    record(services.crm, absorbed, day(2), "fair_visited", fair_name="Studia")
    before = services.projector.head()
    timeline_before = journey_kinds(client, headers, survivor, before)

    # Another account manager's customer is not this manager's to merge.
    other = register(services.crm, name="Aino Lehto", email=f"{local}@other.fi")
    refused = client.post(
        f"/customers/{survivor}/merges",
        json={"absorbed_id": str(other), "reason": "sama"},
        headers=headers,
    )
    assert refused.status_code == 403

    merged = client.post(
        f"/customers/{survivor}/merges",
        json={"absorbed_id": str(absorbed), "take_from_absorbed": ["phone"], "reason": "sama"},
        headers=headers,
    )
    assert merged.status_code == 201, merged.text
    position = merged.json()["position"]
    kinds = journey_kinds(client, headers, survivor, position)
    assert (str(absorbed), "fair_visited") in kinds
    assert (str(survivor), "absorbed") in kinds and (str(absorbed), "merged_into") in kinds
    # The absorbed record accepts no new events; either e-mail finds the survivor.
    late = client.post(
        f"/customers/{absorbed}/touchpoints",
        json={"kind": "web_service_visited", "page": "/x"},
        headers=headers,
    )
    assert late.status_code == 409 and str(survivor) in late.json()["detail"]
    for email in (work_email, private_email):
        found = client.post("/customers/search", json={"query": email}, headers=headers).json()
        assert [c["id"] for c in found["items"]] == [str(survivor)]
    profile = client.get(f"/customers/{absorbed}", headers=headers).json()
    assert profile["merged_into"] == str(survivor)
    profile = client.get(f"/customers/{survivor}", headers=headers).json()
    assert profile["merged_records"] == [str(absorbed)]
    # The DPO's export of the person holds both histories, each from its own record.
    export = client.get(f"/privacy/exports/{absorbed}", headers=as_role[Role.DPO]).json()
    assert [r["customer_id"] for r in export["merged_records"]] == [str(survivor)]
    export = client.get(f"/privacy/exports/{survivor}", headers=as_role[Role.DPO]).json()
    [other] = export["merged_records"]
    assert other["customer_id"] == str(absorbed) and other["profile"]["email"] == private_email
    assert "fair_visited" in [e["kind"] for e in other["events"]]
    survivor_now = services.crm.get_customer(survivor)
    assert (survivor_now.email, survivor_now.phone) == (work_email, "040 111 2222")
    # Recorded on the survivor after the merge: stays with it after the undo.
    after_merge = record(services.crm, survivor, day(3), "web_service_visited", page="/k")

    undone = client.post(
        f"/customers/{survivor}/merges/{absorbed}/undo", json={"reason": "eri"}, headers=headers
    )
    assert undone.status_code == 201, undone.text
    kinds = journey_kinds(client, headers, survivor, undone.json()["position"])
    assert all(customer == str(survivor) for customer, _ in kinds)
    assert [
        k for k in kinds if k[1] not in ("absorbed", "merge_undone", "web_service_visited")
    ] == list(timeline_before)
    assert after_merge and (str(survivor), "web_service_visited") in kinds
    assert services.crm.get_customer(survivor).phone is None
    found = client.post("/customers/search", json={"query": private_email}, headers=headers)
    assert [c["id"] for c in found.json()["items"]] == [str(absorbed)]
    again = client.post(
        f"/customers/{absorbed}/touchpoints",
        json={"kind": "web_service_visited", "page": "/x"},
        headers=headers,
    )
    assert again.status_code == 201


def test_merging_refuses_bad_pairs_with_a_clear_answer(
    client: TestClient, services: Services, as_role: dict[Role, dict[str, str]]
) -> None:
    admin = as_role[Role.ADMIN]
    person = register(services.crm)
    organisation = register(services.crm, "organisation")
    cases = [
        ({"absorbed_id": str(person), "reason": "x"}, 409),  # itself
        ({"absorbed_id": str(organisation), "reason": "x"}, 409),  # a person and an organisation
        ({"absorbed_id": str(uuid4()), "reason": "x"}, 404),
        ({"absorbed_id": str(organisation), "reason": ""}, 422),
        ({"absorbed_id": str(organisation), "reason": "x", "take_from_absorbed": ["notes"]}, 422),
    ]
    for body, status in cases:
        response = client.post(f"/customers/{person}/merges", json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
    assert len(services.crm.get_journey(person)) == 1
