"""A partner's yearly review in a real browser, as the account manager, on a desktop and a
phone: find the partner among those due a review, read what it and its people bought,
attended, used and recommended since, record the review, and see it leave the list."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.bootstrap.wiring import Services
from api.cli.demo_data import PARTNER_TIERS
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from crm.domain.partner_tier import PartnerTierExistsError
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.timeline import Timeline
from tests.browser.conftest import sign_in
from tests.factories import provenance

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def a_partner_due_a_review(services: Services, owner: str) -> tuple[str, str]:
    """A paid partner of 14 months, never reviewed, with a purchase, a discount on it and a
    person who attended a webinar and recommended a training; its name and id."""
    crm, partners = services.crm, services.partners
    for code, terms in PARTNER_TIERS.items():
        try:
            services.views.get(PartnerTiers).wait_for(
                partners.add_tier(code, terms, "test").position, 10
            )
        except PartnerTierExistsError:
            continue
    now = datetime.now(UTC)
    name = f"Kumppani Oy {uuid.uuid4().hex[:6]}"
    organisation = crm.register_customer(
        provenance(now - timedelta(days=430)), customer_kind="organisation",
        customer_type="private_organisation", name=name, email=None, account_manager=owner,
    ).customer_id  # fmt: skip
    person = crm.register_customer(
        provenance(now - timedelta(days=420)), customer_kind="person",
        customer_type="individual", name=f"Pirjo Partneri {uuid.uuid4().hex[:4]}", email=None,
    ).customer_id  # fmt: skip
    crm.start_affiliation(person, provenance(now - timedelta(days=410)), organisation, "HR")
    record = crm.record_touchpoint
    record(organisation, provenance(now - timedelta(days=425)), "partner_membership_started",
           {"notes": None, "tier": "paid"})  # fmt: skip
    record(organisation, provenance(now - timedelta(days=100)), "purchase_made",
           {"notes": None, "purchase_id": "KP-1", "offering": "Johtamisen valmennus",
            "offering_type": "company_training", "amount": Decimal("6400"),
            "invoice_reference": None})  # fmt: skip
    partners.use_benefit(organisation, provenance(now - timedelta(days=99)),
                         benefit="programme_discount", purchase_id="KP-1",
                         discount_amount=Decimal("960"))  # fmt: skip
    record(person, provenance(now - timedelta(days=60)), "webinar_attended",
           {"notes": None, "webinar_id": "W1", "title": "Tekoäly johtamisessa"})  # fmt: skip
    record(person, provenance(now - timedelta(days=30)), "recommendation_given",
           {"notes": None, "offering": "Johtamisen valmennus"})  # fmt: skip
    # In Digi Fellow since ten months, with a workshop of the programme attended.
    workshop = f"DF-{uuid.uuid4().hex[:6].upper()}"
    services.catalogue.add_offering(
        workshop,
        OfferingTerms("Digi Fellow -työpaja", "Digi Fellow workshop", "company_training",
                      "joint", Decimal(0), None),
        "test",
    )  # fmt: skip
    partners.join_programme(organisation, provenance(now - timedelta(days=300)), "digi_fellow")
    last = record(organisation, provenance(now - timedelta(days=20)), "event_attended",
                  {"notes": None, "event_name": "Työpaja", "organiser": "own",
                   "event_format": "event", "offering_code": workshop,
                   "programme": "digi_fellow"})  # fmt: skip
    for view in (Partners, Timeline):
        assert services.views.get(view).wait_for(last.position, 10)
    return name, str(organisation)


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_the_account_manager_reviews_a_partner_due_a_review(
    browser: Browser,
    base_url: str,
    people: dict[Role, str],
    services: Services,
    screenshots: Path,
    screen: str,
) -> None:
    name, organisation = a_partner_due_a_review(services, people[Role.ACCOUNT_MANAGER])
    context = browser.new_context(viewport={"width": WIDTHS[screen], "height": 900}, locale="fi-FI")
    page = context.new_page()
    try:
        sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
        page.goto(f"{base_url}/ui/my-customers")
        due = page.locator("#due-reviews tr", has_text=name)
        expect(due).to_have_count(1)
        expect(page.locator("#reviews-range")).to_contain_text("/")
        assert no_sideways_scroll(page), f"{screen}: my customers scrolls sideways"
        page.screenshot(path=str(screenshots / f"partner-due-{screen}.png"), full_page=True)

        due.get_by_role("link", name="Vuositarkastus").click()
        expect(
            page.get_by_role("heading", name=f"Vuositarkastus ja vuosihuolto: {name}")
        ).to_be_visible()
        totals = page.locator("#review-totals")
        expect(totals.locator("tr", has_text="Ostot")).to_contain_text("6\u00a0400,00\u00a0€")
        expect(totals.locator("tr", has_text="Käytetyt edut")).to_contain_text("960,00\u00a0€")
        expect(totals.locator("tr", has_text="Osallistumiset")).to_contain_text("2")
        expect(totals.locator("tr", has_text="Suositukset")).to_contain_text("1")
        expect(page.locator("#review-covers")).to_contain_text("1 henkilöä")
        expect(page.locator("#review-entries tbody tr")).to_have_count(5)
        assert no_sideways_scroll(page), f"{screen}: the review page scrolls sideways"
        page.screenshot(path=str(screenshots / f"partner-review-{screen}.png"), full_page=True)

        # A date that does not exist is refused, naming the field, in Finnish.
        form = page.locator("#review-form")
        form.get_by_label("Tarkastuksen tulos").select_option("continues")
        form.get_by_label("Seuraava vuositarkastus").fill("31.2.2027")
        form.get_by_role("button", name="Kirjaa vuositarkastus").click()
        expect(page.locator("#rv-next_review_due-error")).to_contain_text("Seuraava vuositarkastus")
        next_review = date.today() + timedelta(days=365)
        form = page.locator("#review-form")
        form.get_by_label("Seuraava vuositarkastus").fill(next_review.strftime("%-d.%-m.%Y"))
        form.get_by_label("Muistiinpanot").fill("Jatketaan, kohdennettu koulutus syksyllä.")
        form.get_by_role("button", name="Kirjaa vuositarkastus").click()
        expect(page.get_by_role("status")).to_contain_text("Vuositarkastus kirjattu")
        expect(page.locator("dl.facts")).to_contain_text("kumppanuus jatkuu")
        expect(page.locator("dl.facts")).to_contain_text(next_review.strftime("%-d.%-m.%Y"))
        assert no_sideways_scroll(page), f"{screen}: the recorded review scrolls sideways"
        page.screenshot(path=str(screenshots / f"partner-reviewed-{screen}.png"), full_page=True)

        page.goto(f"{base_url}/ui/my-customers")
        expect(page.locator("#due-reviews tr", has_text=name)).to_have_count(0)
        page.goto(f"{base_url}/ui/customers/{organisation}#partner")
        expect(page.locator("#partner")).to_contain_text("alennus koulutusohjelmista \u00d7 1")
        assert no_sideways_scroll(page), f"{screen}: the partner section scrolls sideways"
        page.locator("#partner").screenshot(path=str(screenshots / f"partner-card-{screen}.png"))

        # The tiers and the programme, from the menu.
        page.goto(f"{base_url}/ui/partner-tiers")
        expect(page.get_by_role("heading", name="Kumppani (maksullinen)")).to_be_visible()
        assert no_sideways_scroll(page), f"{screen}: the tiers page scrolls sideways"
        page.screenshot(path=str(screenshots / f"partner-tiers-{screen}.png"), full_page=True)
        page.goto(f"{base_url}/ui/programmes/digi_fellow")
        expect(page.get_by_role("heading", name="Digi Fellow", exact=True)).to_be_visible()
        event = page.locator("#programme-events tr", has_text=name)
        expect(event).to_contain_text("Digi Fellow -työpaja")
        expect(page.locator("#programme-members")).to_contain_text(name)
        assert no_sideways_scroll(page), f"{screen}: the programme page scrolls sideways"
        page.screenshot(path=str(screenshots / f"digi-fellow-{screen}.png"), full_page=True)
    finally:
        context.close()
