"""Probable duplicates in a real browser, as an account manager, on a desktop and a phone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.views.directory import CustomerDirectory
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import register

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def test_an_account_manager_reads_the_pairs_with_their_evidence_on_a_desktop_and_a_phone(
    browser: Browser, base_url: str, services: Services, screenshots: Path
) -> None:
    manager = f"anna.am-dup-{uuid.uuid4().hex[:4]}"
    services.users.add(manager, Role.ACCOUNT_MANAGER, PASSWORD)
    # Letters only: a suffix of digits would be dropped from the e-mail stem, and the stem
    # "tapiovirtanen" would pair this customer with every other test's Tapio Virtanen.
    local = "tapio.virtanen." + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:6])
    # A number of this test's own: other tests' customers must not share it.
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    for email, phone in (
        (f"{local}@hervannan-konepaja.fi", f"+358 40 {digits}"),
        (f"{local}2@gmail.com", f"040 {digits}"),
    ):
        register(
            services.crm, name="Tapio Virtanen", email=email, phone=phone, account_manager=manager
        )
    assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), 10)
    for label, width in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": 860}, locale="fi-FI")
        page = context.new_page()
        sign_in(page, base_url, manager)
        page.get_by_role("link", name="Kaksoiskappaleet").first.click()
        expect(page.get_by_role("heading", name="Todennäköiset kaksoiskappaleet")).to_be_visible()
        expect(page.locator("#duplicates-covered")).to_contain_text("1\N{EN DASH}1 / 1")
        card = page.locator(".duplicate").first
        expect(card).to_contain_text("sama puhelinnumero")
        expect(card).to_contain_text("sähköpostin alkuosan muunnelma")
        expect(card).to_contain_text(f"{local}2@gmail.com")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"duplicates-{label}.png"), full_page=True)
        context.close()


def test_an_account_manager_compares_merges_and_undoes_on_a_desktop_and_a_phone(
    browser: Browser, base_url: str, services: Services, screenshots: Path
) -> None:
    manager = f"anna.am-merge-{uuid.uuid4().hex[:4]}"
    services.users.add(manager, Role.ACCOUNT_MANAGER, PASSWORD)
    for label, width in WIDTHS.items():
        local = f"liisa.koski.{uuid.uuid4().hex[:6]}"
        first = register(
            services.crm, name="Liisa Koski", email=f"{local}@tamk.example", account_manager=manager
        )
        second = register(
            services.crm,
            name="Liisa Koski",
            email=f"{local}2@gmail.com",
            phone="050 765 4321",
            account_manager=manager,
        )
        assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), 10)
        context = browser.new_context(viewport={"width": width, "height": 860}, locale="fi-FI")
        page = context.new_page()
        sign_in(page, base_url, manager)
        page.goto(f"{base_url}/ui/duplicates?customer={first}")
        page.get_by_role("link", name="Vertaa ja yhdistä").first.click()
        expect(page.get_by_role("heading", name="Vertaa ja yhdistä asiakkaat")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"merge-compare-{label}.png"), full_page=True)
        # The survivor keeps its own e-mail and takes the other's phone number (chosen by
        # default where the survivor has none).
        phone = page.locator("fieldset.merge-field").filter(has_text="Puhelin")
        expect(phone.get_by_label("050 765 4321")).to_be_checked()
        page.get_by_label("Perustelu").fill("Sama henkilö: työ- ja kotiosoite")
        page.get_by_role("button", name="Yhdistä asiakkaat").click()
        expect(page.get_by_role("status")).to_contain_text("Asiakkaat yhdistetty.")
        expect(page.locator("#merged-records")).to_contain_text("Liisa Koski")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"merge-survivor-{label}.png"), full_page=True)
        # The pair is listed in id order; the first listed survives by default.
        survivor, absorbed = sorted([first, second])
        assert services.crm.get_customer(absorbed).merged_into == survivor
        assert services.crm.get_customer(survivor).phone == "050 765 4321"
        page.locator("#merged-records").get_by_label("Perustelu").fill("Eri henkilöt")
        page.get_by_role("button", name="Peru yhdistäminen").click()
        expect(page.get_by_role("status")).to_contain_text("Yhdistäminen peruttu.")
        expect(page.locator("#merged-records")).to_have_count(0)
        assert services.crm.get_customer(absorbed).merged_into is None
        context.close()
