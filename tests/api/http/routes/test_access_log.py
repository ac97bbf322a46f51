"""The access log over HTTP: filters by customer id or name, user and time; paging; CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.factories import RoleHeaders, register_over_http, unique


def test_a_customer_filter_by_name_lists_that_customers_reads_and_is_never_ignored(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    name = unique("Filtered Person")
    customer_id = register_over_http(client, am, name=name)
    assert client.get(f"/customers/{customer_id}", headers=am).status_code == 200
    wait_until_caught_up(services.projector, services.views.refresh())

    by_name = client.get("/privacy/access-log", params={"customer": name}, headers=dpo).json()
    assert by_name["total"] >= 1
    assert {a["customer_id"] for a in by_name["accesses"]} == {customer_id}

    nobody = client.get(
        "/privacy/access-log", params={"customer": unique("no such name")}, headers=dpo
    ).json()
    assert nobody == {"total": 0, "offset": 0, "limit": 500, "accesses": []}


def test_the_access_log_pages_say_how_many_reads_match_and_filter_by_time(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    for _ in range(3):
        assert client.get(f"/customers/{customer_id}", headers=am).status_code == 200
    first = client.get(
        "/privacy/access-log", params={"customer": customer_id, "limit": 2}, headers=dpo
    ).json()
    second = client.get(
        "/privacy/access-log",
        params={"customer": customer_id, "limit": 2, "offset": 2},
        headers=dpo,
    ).json()
    assert (first["total"], len(first["accesses"])) == (3, 2)
    assert (second["total"], len(second["accesses"])) == (3, 1)
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    none_yet = client.get(
        "/privacy/access-log", params={"customer": customer_id, "start": later}, headers=dpo
    ).json()
    assert none_yet["total"] == 0
    backwards = client.get(
        "/privacy/access-log",
        params={"start": later, "end": datetime.now(UTC).isoformat()},
        headers=dpo,
    )
    assert backwards.status_code == 422
    assert "end" in backwards.text


def test_access_reasons_have_a_code_and_free_text_that_erasure_shreds(
    client: TestClient, services: Services, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    note = unique("call prep for Matti")
    read = client.get(
        f"/customers/{customer_id}",
        params={"reason": note, "reason_code": "customer_service"},
        headers=am,
    )
    assert read.status_code == 200
    bad = client.get(f"/customers/{customer_id}", params={"reason_code": "curious"}, headers=am)
    assert bad.status_code == 422
    assert "reason_code" in bad.text
    with services.pool.connection() as conn:
        stored = conn.execute(
            "SELECT reason, reason_sealed FROM personal_data_access_log WHERE customer_id = %s",
            (UUID(customer_id),),
        ).fetchall()
    assert stored and all(row[0] is None and note.encode() not in row[1] for row in stored)
    listed = client.get("/privacy/access-log", params={"customer": customer_id}, headers=dpo)
    assert [(a["reason_code"], a["reason"]) for a in listed.json()["accesses"]] == [
        ("customer_service", note)
    ]

    erased = client.post(
        "/privacy/erasures",
        json={"customer_id": customer_id, "reason": "GDPR art. 17", "request_id": str(uuid4())},
        headers=dpo,
    )
    assert erased.status_code in (200, 201), erased.text
    after = client.get("/privacy/access-log", params={"customer": customer_id}, headers=dpo)
    rows = after.json()["accesses"]
    assert [(a["reason_code"], a["reason"]) for a in rows if a["user_role"] == "account_manager"]
    assert all(a["reason"] is None for a in rows)


def test_the_access_log_downloads_as_csv_with_formula_cells_neutralised(
    client: TestClient, as_role: RoleHeaders
) -> None:
    am, dpo = as_role[Role.ACCOUNT_MANAGER], as_role[Role.DPO]
    customer_id = register_over_http(client, am)
    client.get(f"/customers/{customer_id}", params={"reason": "=HYPERLINK(1)"}, headers=am)
    response = client.get(
        "/privacy/access-log", params={"customer": customer_id, "format": "csv"}, headers=dpo
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["reason"] for row in rows] == ["'=HYPERLINK(1)"]
    assert rows[0]["customer_id"] == customer_id
