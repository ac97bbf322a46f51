"""Finance follow-up over HTTP: invoices, payments and credits as events, receivables aged by
days late, revenue by invoice date, and the accounting export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain import events as ev
from tests.factories import RoleHeaders, register_over_http


def purchase(client: TestClient, am: dict[str, str], customer_id: str, amount: str) -> str:
    purchase_id = uuid.uuid4().hex
    body = {
        "kind": "purchase_made",
        "purchase_id": purchase_id,
        "offering": "Lean-koulutus",
        "offering_type": "company_training",
        "amount": amount,
        "institution": "TTY",
    }
    response = client.post(f"/customers/{customer_id}/touchpoints", json=body, headers=am)
    assert response.status_code == 201, response.text
    return purchase_id


def post(client: TestClient, path: str, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_an_invoice_is_paid_in_part_credited_and_aged_and_counted_as_revenue(
    client: TestClient, as_role: RoleHeaders, services: Services
) -> None:
    am, finance = as_role[Role.ACCOUNT_MANAGER], as_role[Role.FINANCE]
    customer_id = register_over_http(client, am)
    bought = purchase(client, am, customer_id, "1000")
    number = f"INV-{uuid.uuid4().hex[:8]}"
    # Dated far back so that no other test's invoice shares the day.
    invoice_day = date(2001, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)
    base = f"/customers/{customer_id}"
    post(client, f"{base}/invoices", finance, purchase_id=bought, invoice_number=number,
         invoice_date=invoice_day.isoformat(),
         due_date=(invoice_day + timedelta(days=14)).isoformat(), amount="1000")  # fmt: skip
    post(client, f"{base}/payments", finance, invoice_number=number,
         paid_on=(invoice_day + timedelta(days=20)).isoformat(), amount="600")  # fmt: skip
    credited = post(client, f"{base}/credits", finance, invoice_number=number,
                    credited_on=(invoice_day + timedelta(days=21)).isoformat(), amount="100",
                    reason="Yksi osallistuja peruutti")  # fmt: skip
    after = credited["position"]

    # 45 days after the due date: 31-60 days late, 300 EUR open.
    as_of = invoice_day + timedelta(days=14 + 45)
    answer = client.get(
        "/finance/receivables",
        params={"as_of": as_of.isoformat(), "bucket": "31_60", "after": after, "limit": 500},
        headers=finance,
    ).json()
    [mine] = [i for i in answer["invoices"] if i["invoice_number"] == number]
    assert mine["open"] == "300" and mine["days_overdue"] == 45 and mine["bucket"] == "31_60"
    assert mine["offering_type"] == "company_training" and mine["institution"] == "TTY"
    assert mine["customer_name"]
    revenue = client.get(
        "/finance/revenue",
        params={"by": "institution", "start": invoice_day.isoformat(),
                "end": invoice_day.isoformat()},
        headers=finance,
    ).json()  # fmt: skip
    assert {"key": "TTY", "revenue": "900", "invoices": 1} in revenue["rows"]

    export = client.get(
        "/finance/export.csv",
        params={"start": invoice_day.isoformat(), "end": invoice_day.isoformat()},
        headers=finance,
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    [row] = [r for r in rows if r["invoice_number"] == number]
    assert (row["amount"], row["credited"], row["paid"], row["open"]) == (
        "1000.00", "100.00", "600.00", "300.00",
    )  # fmt: skip

    # The invoice number is sealed in the stored event, never in clear.
    journey = services.crm.get_journey(UUID(customer_id))
    assert [type(e) for e in journey[-3:]] == [
        ev.PurchaseInvoiced,
        ev.InvoicePaid,
        ev.InvoiceCredited,
    ]
    with services.pool.connection() as conn:
        stored = conn.execute(
            "SELECT count(*) FROM crm_events WHERE originator_id = %s"
            " AND convert_from(state, 'UTF8') LIKE %s",
            (UUID(customer_id), f"%{number}%"),
        ).fetchone()
    assert stored is not None and stored[0] == 0


def test_finance_rules_refuse_what_does_not_fit(client: TestClient, as_role: RoleHeaders) -> None:
    am, finance = as_role[Role.ACCOUNT_MANAGER], as_role[Role.FINANCE]
    customer_id = register_over_http(client, am)
    bought = purchase(client, am, customer_id, "200")
    base = f"/customers/{customer_id}"
    invoice = {"purchase_id": bought, "invoice_number": "A-1", "invoice_date": "2026-01-01",
               "due_date": "2026-01-15", "amount": "200"}  # fmt: skip
    unknown = client.post(f"{base}/invoices", json={**invoice, "purchase_id": "nope"},
                          headers=finance)  # fmt: skip
    assert unknown.status_code == 409
    early = client.post(f"{base}/invoices", json={**invoice, "due_date": "2025-12-01"},
                        headers=finance)  # fmt: skip
    assert early.status_code == 422 and early.json()["detail"][0]["loc"][-1] == "due_date"
    assert client.post(f"{base}/invoices", json=invoice, headers=finance).status_code == 201
    again = client.post(f"{base}/invoices", json=invoice, headers=finance)
    assert again.status_code == 409
    too_much = client.post(f"{base}/payments", json={"invoice_number": "A-1",
                           "paid_on": "2026-01-10", "amount": "250"}, headers=finance)  # fmt: skip
    assert too_much.status_code == 409 and "200" in too_much.json()["detail"]
    negative = client.post(f"{base}/payments", json={"invoice_number": "A-1",
                           "paid_on": "2026-01-10", "amount": "-5"}, headers=finance)  # fmt: skip
    assert negative.status_code == 422
    assert client.post(f"{base}/invoices", json=invoice, headers=am).status_code == 403
    assert client.get("/finance/receivables", headers=am).status_code == 403
    backwards = client.get(
        "/finance/revenue", params={"start": "2026-02-01", "end": "2026-01-01"}, headers=finance
    )
    assert backwards.status_code == 422
