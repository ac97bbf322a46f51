"""The offering catalogue over HTTP: maintained by admins and marketing, read by everyone, and
named by code from touchpoints."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from crm.application.users import Role
from tests.factories import RoleHeaders, register_over_http


def new_code() -> str:
    return "T-" + uuid.uuid4().hex[:10].upper()


def offering(code: str, **more: Any) -> dict[str, Any]:
    return {
        "code": code,
        "name_fi": "Projektinhallinta",
        "name_en": "Project management",
        "offering_type": "open_training",
        "institution": "TAMK",
        "list_price": "490.00",
        "credits": "5",
        **more,
    }


def add(client: TestClient, headers: dict[str, str], code: str, **more: Any) -> int:
    response = client.post("/offerings", json=offering(code, **more), headers=headers)
    assert response.status_code == 201, response.text
    position: int = response.json()["position"]
    return position


def test_marketing_adds_an_offering_and_every_role_reads_it(
    client: TestClient, as_role: RoleHeaders
) -> None:
    code = new_code()
    position = add(client, as_role[Role.MARKETING], code.lower())
    for role in Role:
        response = client.get(
            f"/offerings/{code}", params={"after": position}, headers=as_role[role]
        )
        assert response.status_code == 200, (role, response.text)
        read = response.json()
        assert read["code"] == code and read["name_en"] == "Project management"
        assert read["active"] is True and read["credits"] == "5"


def test_a_code_is_added_once(client: TestClient, as_role: RoleHeaders) -> None:
    code = new_code()
    add(client, as_role[Role.ADMIN], code)
    again = client.post("/offerings", json=offering(code), headers=as_role[Role.ADMIN])
    assert again.status_code == 409 and code in again.json()["detail"]


def test_bad_terms_are_refused_naming_the_field(client: TestClient, as_role: RoleHeaders) -> None:
    admin = as_role[Role.ADMIN]
    cases = {
        "offering_type": {"offering_type": "lottery"},
        "list_price": {"list_price": "-1"},
        "credits": {"credits": "0"},
        "code": {"code": "ä ö"},
        "name_fi": {"name_fi": ""},
    }
    for field, change in cases.items():
        body = {**offering(new_code()), **change}
        response = client.post("/offerings", json=body, headers=admin)
        assert response.status_code == 422, (field, response.text)
        assert field in response.json()["detail"][0]["loc"], (field, response.text)


def test_an_account_manager_may_not_add_offerings(client: TestClient, as_role: RoleHeaders) -> None:
    response = client.post(
        "/offerings", json=offering(new_code()), headers=as_role[Role.ACCOUNT_MANAGER]
    )
    assert response.status_code == 403


def test_revise_retire_and_reinstate_are_events_the_list_follows(
    client: TestClient, as_role: RoleHeaders
) -> None:
    admin = as_role[Role.ADMIN]
    code = new_code()
    add(client, admin, code)
    revised = client.put(
        f"/offerings/{code}",
        json={k: v for k, v in offering(code, list_price="550").items() if k != "code"},
        headers=admin,
    )
    assert revised.status_code == 200, revised.text
    retired = client.post(f"/offerings/{code}/retirement", headers=admin)
    assert retired.status_code == 201
    assert client.post(f"/offerings/{code}/retirement", headers=admin).status_code == 409
    position = retired.json()["position"]
    listed = client.get(
        "/offerings", params={"text": code, "state": "retired", "after": position}, headers=admin
    ).json()
    assert listed["total"] == 1
    [row] = listed["offerings"]
    assert row["list_price"] == "550.00" and row["active"] is False
    active = client.get("/offerings", params={"text": code, "state": "active"}, headers=admin)
    assert active.json()["total"] == 0
    back = client.delete(f"/offerings/{code}/retirement", headers=admin)
    assert back.status_code == 200
    read = client.get(
        f"/offerings/{code}", params={"after": back.json()["position"]}, headers=admin
    )
    assert read.json()["active"] is True


def test_an_unknown_offering_is_404(client: TestClient, as_role: RoleHeaders) -> None:
    response = client.get(f"/offerings/{new_code()}", headers=as_role[Role.MARKETING])
    assert response.status_code == 404
    retire = client.post(f"/offerings/{new_code()}/retirement", headers=as_role[Role.ADMIN])
    assert retire.status_code == 404


def test_a_purchase_names_a_catalogue_code_and_an_unknown_code_is_refused(
    client: TestClient, as_role: RoleHeaders
) -> None:
    code = new_code()
    add(client, as_role[Role.ADMIN], code)
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    purchase = {
        "kind": "purchase_made",
        "purchase_id": uuid.uuid4().hex,
        "offering": "projektinhallinta (kevät)",
        "offering_type": "open_training",
        "amount": "490",
    }
    known = client.post(
        f"/customers/{customer_id}/touchpoints",
        json={**purchase, "offering_code": code.lower()},
        headers=am,
    )
    assert known.status_code == 201, known.text
    unknown = client.post(
        f"/customers/{customer_id}/touchpoints",
        json={**purchase, "purchase_id": uuid.uuid4().hex, "offering_code": new_code()},
        headers=am,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "offering_code"]
    legacy = client.post(
        f"/customers/{customer_id}/touchpoints",
        json={**purchase, "purchase_id": uuid.uuid4().hex},
        headers=am,
    )
    assert legacy.status_code == 201, "free text alone is still accepted"


def test_the_mapping_report_matches_legacy_free_text_to_codes_and_names(
    client: TestClient, as_role: RoleHeaders
) -> None:
    code = new_code()
    name_en = f"Legacy course {uuid.uuid4().hex[:6]}"
    add(client, as_role[Role.ADMIN], code, name_en=name_en)
    am = as_role[Role.ACCOUNT_MANAGER]
    customer_id = register_over_http(client, am)
    unmatched = f"Vanha kurssi {uuid.uuid4().hex[:6]}"
    for text in (f"  {name_en.upper()} ", unmatched, unmatched):
        body = {"kind": "purchase_made", "purchase_id": uuid.uuid4().hex, "offering": text,
                "offering_type": "open_training", "amount": "10"}  # fmt: skip
        response = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=am)
        assert response.status_code == 201
    coded = {"kind": "course_completed", "course": f"Koodattu {uuid.uuid4().hex[:6]}",
             "credits": "5", "offering_code": code}  # fmt: skip
    position = client.post(f"/customers/{customer_id}/touchpoints", json=coded, headers=am)
    timeline = client.get(
        f"/customers/{customer_id}/timeline",
        params={"after": position.json()["position"]},
        headers=am,
    )
    assert timeline.status_code == 200, "the timeline holds every entry before the report"
    report = client.get("/offering-mapping", headers=as_role[Role.ADMIN])
    assert report.status_code == 200, report.text
    texts = {t["text"]: t for t in report.json()["texts"]}
    assert texts[name_en.upper()]["code"] == code
    assert texts[unmatched] == {"text": unmatched, "entries": 2, "code": None}
    assert coded["course"] not in texts, "entries naming a code are mapped already"
    assert client.get("/offering-mapping", headers=as_role[Role.MARKETING]).status_code == 403
