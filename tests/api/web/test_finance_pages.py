"""The finance page as the finance user: invoice a purchase, record a payment, read the ageing,
revenue and the export, in the UI's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import record, register, unique


def test_finance_invoices_a_purchase_and_records_its_payment_from_the_page(
    app: FastAPI, services: Services
) -> None:
    name = unique("Laskutettava")
    customer = register(services.crm, "organisation", name=name)
    purchase_id = f"P-{uuid.uuid4().hex[:8]}"
    record(
        services.crm, customer, datetime.now(UTC) - timedelta(minutes=5), "purchase_made",
        notes=None, purchase_id=purchase_id, offering="Lean", offering_type="company_training",
        amount=Decimal("1234.50"), invoice_reference=None,
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())
    number = f"W-{uuid.uuid4().hex[:8]}"
    with sign_in(app, new_user(services, Role.FINANCE)) as finance:
        page = finance.get("/ui/finance")
        assert page.status_code == 200 and "Laskuttamattomat ostot" in page.text
        invoiced = finance.post(
            "/ui/finance/invoices",
            data={
                "csrf_token": page_csrf(finance),
                "customer_id": str(customer),
                "purchase_id": purchase_id,
                "invoice_number": number,
                # Long past due: the invoice is the oldest open one, first on the list.
                "invoice_date": "1.1.1995",
                "due_date": "15.1.1995",
                "amount": "1 234,50",
            },
        )
        assert invoiced.status_code == 303, invoiced.text
        shown = finance.get(invoiced.headers["location"] + "&bucket=over_90")
        assert "Lasku kirjattu" in shown.text
        assert number in shown.text and name in shown.text and "1 234.50 €" in shown.text
        paid = finance.post(
            "/ui/finance/payments",
            data={
                "csrf_token": page_csrf(finance),
                "customer_id": str(customer),
                "invoice_number": number,
                "action": "pay",
                "on": "2.2.1995",
                "amount": "2000",
            },
        )
        assert paid.status_code == 409, "more than is open is refused"
        assert "1234.50 EUR" in paid.text
        paid = finance.post(
            "/ui/finance/payments",
            data={
                "csrf_token": page_csrf(finance),
                "customer_id": str(customer),
                "invoice_number": number,
                "action": "pay",
                "on": "2.2.1995",
                "amount": "1234.50",
            },
        )
        assert paid.status_code == 303
        after = finance.get(paid.headers["location"])
        assert "Maksu kirjattu" in after.text and number not in after.text
        finance.cookies.set("crm_lang", "en")
        revenue = finance.get(
            "/ui/finance",
            params={"by": "customer_type", "start": "1995-01-01", "end": "1995-01-01"},
        )
        assert "Revenue by invoice date" in revenue.text
        export = finance.get("/ui/finance/export.csv", params={"start": "1995-01-01",
                                                               "end": "1995-01-01"})  # fmt: skip
        assert export.status_code == 200 and number in export.text and name in export.text
        bad = finance.get("/ui/finance", params={"start": "2026-02-01", "end": "2026-01-01"})
        assert bad.status_code == 422 and "To:" in bad.text


def test_the_dashboard_shows_open_receivables_by_days_late(
    app: FastAPI, services: Services
) -> None:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as am:
        page = am.get("/ui/dashboard")
        assert page.status_code == 200
        assert "Avoimet saatavat erääntymisen mukaan" in page.text
        assert "yli 90 päivää myöhässä" in page.text
