"""The finance page in a real browser, as the finance user, on a desktop and a phone: invoice a
purchase, find it among the open receivables and record its payment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from projections.views.offerings import Offerings
from projections.views.receivables import Receivables
from tests.browser.conftest import sign_in
from tests.factories import provenance

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def no_sideways_scroll(page: object) -> bool:
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_finance_invoices_a_purchase_and_records_the_payment(
    browser: Browser,
    base_url: str,
    people: dict[Role, str],
    services: Services,
    screenshots: Path,
    screen: str,
) -> None:
    crm = services.crm
    name = f"Laskutus Oy {uuid.uuid4().hex[:6]}"
    customer_id = crm.register_customer(
        provenance(),
        customer_kind="organisation",
        customer_type="private_organisation",
        name=name,
        email=None,
    ).customer_id
    recorded = crm.record_touchpoint(
        customer_id,
        provenance(datetime.now(UTC) - timedelta(minutes=1)),
        "purchase_made",
        {"notes": None, "purchase_id": f"P-{uuid.uuid4().hex[:6]}", "offering": "Lean",
         "offering_type": "company_training", "amount": Decimal("4800"),
         "invoice_reference": None},
    )  # fmt: skip
    assert services.views.get(Receivables).wait_for(recorded.position, 10)
    offering = f"SHOT-{uuid.uuid4().hex[:6].upper()}"
    added = services.catalogue.add_offering(
        offering,
        OfferingTerms("Esihenkilövalmennus", "Supervisor coaching", "coaching", "TAMK",
                      Decimal("2400"), None),
        "test",
    )  # fmt: skip
    assert services.views.get(Offerings).wait_for(added.position, 10)
    number = f"B-{uuid.uuid4().hex[:6]}"
    context = browser.new_context(viewport={"width": WIDTHS[screen], "height": 900}, locale="fi-FI")
    page = context.new_page()
    try:
        sign_in(page, base_url, people[Role.FINANCE])
        page.get_by_role("link", name="Laskutus ja saatavat").first.click()
        expect(page.get_by_role("heading", name="Laskuttamattomat ostot")).to_be_visible()
        card = page.locator("li.card", has_text=name)
        expect(card).to_have_count(1)
        assert no_sideways_scroll(page), f"{screen}: the finance page scrolls sideways"
        card.get_by_label("Laskun numero").fill(number)
        card.get_by_label("Laskun päivä").fill("1995-03-01")
        card.get_by_label("Eräpäivä").fill("1995-03-15")
        card.get_by_role("button", name="Laskuta").click()
        expect(page.get_by_role("status")).to_contain_text("Lasku kirjattu")
        page.get_by_role("link", name="yli 90 päivää myöhässä").click()
        invoice = page.locator("li.card", has_text=number)
        expect(invoice).to_contain_text(name)
        expect(invoice).to_contain_text("4 800.00 €")
        page.screenshot(path=str(screenshots / f"finance-{screen}.png"), full_page=False)
        assert no_sideways_scroll(page), f"{screen}: the open invoices scroll sideways"
        invoice.get_by_role("button", name="Kirjaa maksu").click()
        expect(page.get_by_role("status")).to_contain_text("Maksu kirjattu")
        expect(page.locator("li.card", has_text=number)).to_have_count(0)
        # The catalogue is open to every role; finance reads it without the maintenance forms.
        page.get_by_role("link", name="Tuotteet ja palvelut").first.click()
        expect(page.get_by_role("heading", name="Tuote- ja palveluluettelo")).to_be_visible()
        expect(page.locator("#offering-form")).to_have_count(0)
        expect(page.get_by_role("row", name=offering)).to_contain_text("Esihenkilövalmennus")
        page.screenshot(path=str(screenshots / f"offerings-{screen}.png"), full_page=False)
        assert no_sideways_scroll(page), f"{screen}: the catalogue scrolls sideways"
    finally:
        context.close()
