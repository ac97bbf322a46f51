"""An account manager's day in a real browser, on a desktop and a phone: a quick call that
lands marked at the top of a newest-first timeline, a lead captured and moved through the
pipeline to a picked purchase, search without accents and by domain, and paged lists."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.browser.conftest import sign_in
from tests.factories import provenance

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}
SHOTS = Path("/tmp/shots-am-day")


def customer_with_history(services: Services, owner: str) -> tuple[UUID, str, str]:
    """A person owned by `owner` with a month of calls and a purchase; returns the id, the
    name (with Finnish letters) and the purchase id."""
    crm = services.crm
    suffix = uuid.uuid4().hex[:6]
    name = f"Yrjö Hämäläinen {suffix}"
    now = datetime.now(UTC)
    customer_id = crm.register_customer(
        provenance(now - timedelta(days=60)),
        customer_kind="person",
        customer_type="individual",
        name=name,
        email=f"yrjo.{suffix}@hamalaiset-{suffix}.example",
        phone="+358 40 765 4321",
        account_manager=owner,
    ).customer_id
    for day in range(30):
        crm.record_touchpoint(
            customer_id,
            provenance(now - timedelta(days=50 - day)),
            "phone_call_made",
            {"notes": None, "direction": "inbound", "topic": f"Vanha puhelu {day}",
             "marketing_purpose": None},
        )  # fmt: skip
    purchase_id = f"P-{suffix}"
    crm.record_touchpoint(
        customer_id,
        provenance(now - timedelta(days=2)),
        "purchase_made",
        {"notes": None, "purchase_id": purchase_id, "offering": "Esihenkilökoulutus",
         "offering_type": "company_training", "amount": Decimal("2400"),
         "invoice_reference": None},
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())
    return customer_id, name, purchase_id


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_an_account_manager_logs_a_call_works_a_lead_and_finds_customers(
    browser: Browser, base_url: str, people: dict[Role, str], services: Services, screen: str
) -> None:
    SHOTS.mkdir(exist_ok=True)
    owner = people[Role.ACCOUNT_MANAGER]
    customer_id, name, purchase_id = customer_with_history(services, owner)
    context = browser.new_context(viewport={"width": WIDTHS[screen], "height": 860}, locale="fi-FI")
    page = context.new_page()
    sign_in(page, base_url, owner)

    # A quick call: the page comes back at the timeline, the notice and the entry in view.
    page.goto(f"{base_url}/ui/customers/{customer_id}")
    quick = page.locator("#quick-phone_call_made")
    quick.get_by_label("Aihe").fill("Soitto tarjouksesta")
    quick.get_by_role("button", name="Kirjaa puhelu").click()
    notice = page.locator("#timeline .notice")
    expect(notice).to_contain_text("Kohtaaminen tallennettu")
    expect(notice).to_be_in_viewport()
    first = page.locator("ol.timeline li.entry").first
    expect(first).to_have_class("entry kind-phone_call_made just-saved")
    expect(first).to_contain_text("Soitto tarjouksesta")
    expect(first).to_be_in_viewport()
    assert no_sideways_scroll(page), "the customer page scrolls sideways"
    page.screenshot(path=str(SHOTS / f"saved-call-{screen}.png"))

    # Oldest first is one click away.
    page.get_by_role("link", name="Näytä vanhin ensin").click()
    expect(page.locator("ol.timeline li.entry").first).to_contain_text("Rekisteröity")

    # A new lead from the customer page, with an id the system chooses.
    page.goto(f"{base_url}/ui/customers/{customer_id}")
    lead_form = page.locator("#quick-lead_captured")
    lead_form.get_by_label("Lähdekanava").select_option("fair")
    lead_form.get_by_label("Kohderyhmä").fill("Esihenkilöt")
    lead_form.get_by_label("Kiinnostus").fill("Valmennus kahdeksalle")
    lead_form.get_by_role("button", name="Lisää liidi").click()
    expect(page.locator("#timeline .notice")).to_contain_text("Kohtaaminen tallennettu")

    page.goto(f"{base_url}/ui/pipeline")
    card = page.locator(".lead-card", has_text=name)
    expect(card).to_contain_text("Valmennus kahdeksalle")
    expect(page.locator("#pipeline-range")).to_be_visible()
    assert no_sideways_scroll(page), "the pipeline scrolls sideways"
    page.screenshot(path=str(SHOTS / f"pipeline-{screen}.png"), full_page=True)
    card.get_by_role("button", name="Hyväksy").click()
    expect(page.get_by_role("status")).to_contain_text("Liidi hyväksytty")

    page.goto(f"{base_url}/ui/pipeline?stage=qualified")
    card = page.locator(".lead-card", has_text=name)
    card.get_by_label("Kauppa").select_option(purchase_id)
    card.get_by_role("button", name="Kaupaksi").click()
    expect(page.get_by_role("status")).to_contain_text("Liidi kirjattu kaupaksi")
    page.goto(f"{base_url}/ui/pipeline?stage=converted")
    converted = page.locator(".lead-card", has_text=name)
    converted.get_by_role("link", name=purchase_id).click()
    expect(page.locator("li.entry.just-saved")).to_contain_text("Esihenkilökoulutus")

    # Search without the accents, and by part of the e-mail's domain.
    bare = name.replace("ö", "o").replace("ä", "a").lower()
    for query in (bare, f"hamalaiset-{name.split()[-1]}"):
        page.goto(f"{base_url}/ui/customers")
        page.get_by_label("Nimi, sähköposti tai puhelin").fill(query)
        page.get_by_role("button", name="Hae").click()
        expect(page.locator("#search-range")).to_contain_text("1\u20131 / 1")
        expect(page.locator("table.list")).to_contain_text(name)
    assert no_sideways_scroll(page), "the search page scrolls sideways"

    page.goto(f"{base_url}/ui/my-customers")
    expect(page.locator("#owned-range")).to_contain_text("/")
    assert no_sideways_scroll(page), "my customers scrolls sideways"
    page.screenshot(path=str(SHOTS / f"my-customers-{screen}.png"), full_page=True)
    context.close()
