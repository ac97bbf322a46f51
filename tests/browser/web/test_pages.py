"""The web UI in a real browser: every role signs in, reads, records and switches language.

Screenshots of the main pages are taken on every run; with CRM_SAVE_SCREENSHOTS=1 they are
written to docs/screenshots/ for the README, otherwise to a temporary directory.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.browser.conftest import sign_in
from tests.factories import provenance

pytestmark = pytest.mark.browser

START_PAGES = {
    Role.ACCOUNT_MANAGER: "/ui/customers",
    Role.MARKETING: "/ui/customers",
    Role.DPO: "/ui/customers",
    Role.FINANCE: "/ui/finance",
    Role.ADMIN: "/ui/admin/users",
}


def shoot(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_to_its_own_start_page_and_menu(
    page: Page, base_url: str, people: dict[Role, str], role: Role
) -> None:
    sign_in(page, base_url, people[role])
    assert page.url == f"{base_url}{START_PAGES[role]}"
    menu = page.get_by_role("navigation", name="Päävalikko")
    expect(menu.get_by_role("link", name="Omat asiakkaat")).to_have_count(
        1 if role is Role.ACCOUNT_MANAGER else 0
    )
    expect(menu.get_by_role("link", name="Käyttäjät")).to_have_count(1 if role is Role.ADMIN else 0)


def test_the_sign_in_page_refuses_a_wrong_password(
    page: Page, base_url: str, screenshots: Path
) -> None:
    page.goto(f"{base_url}/ui/login")
    shoot(page, screenshots, "login")
    page.get_by_label("Käyttäjätunnus").fill("nobody")
    page.get_by_label("Salasana").fill("wrong password")
    page.get_by_role("button", name="Kirjaudu").first.click()
    expect(page.get_by_role("alert")).to_contain_text("väärä")


def test_an_account_manager_finds_a_customer_and_records_a_touchpoint(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.get_by_label("Nimi, sähköposti tai puhelin").fill("pirkanmaan ohjelmistotalo")
    page.get_by_role("button", name="Hae").click()
    shoot(page, screenshots, "search")
    page.locator(f'a[href="/ui/customers/{organisation}"]').click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Messukäynti")
    cards = page.locator("ul.cards")
    expect(cards).to_contain_text("12 500 €")
    expect(page.locator("figure svg.chart")).to_have_count(1)
    expect(timeline).to_contain_text("CTO wants an offer by May")
    shoot(page, screenshots, "customer")

    # Choosing the kind and pressing Valitse shows its fields (choosing alone submits nothing).
    page.get_by_label("Kohtaamisen tyyppi").select_option("company_visited")
    page.locator("form.kind-choice").get_by_role("button", name="Valitse").click()
    page.wait_for_url("**record_kind=company_visited**")
    form = page.locator("#record-form")
    form.get_by_label("Aihe").fill("Follow-up on the coaching offer")
    form.get_by_label("Ajankohta").fill("2025-06-03T14:15")
    form.get_by_label("Korkeakoulu").select_option("TAMK")
    form.get_by_label("Muistiinpanot").fill("Offer accepted in principle")
    form.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("status")).to_contain_text("Kohtaaminen tallennettu")
    expect(timeline).to_contain_text("Follow-up on the coaching offer")
    expect(timeline).to_contain_text("3.6.2025 14.15")

    page.get_by_label("Tapahtuma", exact=True).select_option("company_visited")
    page.locator("#timeline").get_by_role("button", name="Rajaa").click()
    expect(timeline.locator("li.entry")).to_have_count(2)


def test_marketing_sees_no_timeline_and_no_notes(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/customers/{organisation}")
    expect(page.get_by_role("heading", name="Perustiedot")).to_be_visible()
    expect(page.locator("#timeline")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("CTO wants an offer")
    shoot(page, screenshots, "customer-marketing")
    page.goto(f"{base_url}/ui/admin/users")
    expect(page.get_by_role("alert")).to_contain_text("Roolisi ei salli")


def test_the_language_switch_turns_the_page_english_and_back(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.goto(f"{base_url}/ui/customers/{organisation}")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    assert page.url.startswith(f"{base_url}/ui/customers/{organisation}")
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, screenshots, "customer-en")
    page.get_by_role("link", name="Suomi").click()
    expect(page.get_by_role("heading", name="Asiakaspolku")).to_be_visible()


def test_the_keyboard_reaches_the_skip_link_first_and_it_moves_to_the_content(
    page: Page, base_url: str, people: dict[Role, str]
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.goto(f"{base_url}/ui/my-customers")  # the search page focuses its field instead
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Siirry sisältöön"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_my_customers_lists_the_account_managers_own_customers(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.get_by_role("link", name="Omat asiakkaat").click()
    expect(page.locator(f'a[href="/ui/customers/{organisation}"]')).to_have_count(3)
    # The demo organisation's qualified lead L-1 and its membership without a review yet.
    expect(page.locator("#open-leads")).to_contain_text("L-1")
    expect(page.locator("#open-leads")).to_contain_text("hyväksytty")
    expect(page.locator("#due-reviews")).to_contain_text("ei pidetty")
    shoot(page, screenshots, "my-customers")


def test_an_admin_adds_a_user_and_sees_the_token_once(
    page: Page, base_url: str, people: dict[Role, str], screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.ADMIN])
    adding = page.get_by_role("region", name="Lisää käyttäjä")
    adding.get_by_label("Käyttäjätunnus").fill(f"leena.am-{people[Role.ADMIN][-4:]}")
    adding.get_by_label("Rooli").select_option("account_manager")
    adding.get_by_label("Salasana").fill("a long password")
    adding.get_by_role("button", name="Lisää käyttäjä").click()
    expect(page.get_by_role("status")).to_contain_text("API-tunniste näytetään vain kerran")
    shoot(page, screenshots, "users")


def test_the_dashboard_draws_every_chart_without_script(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.MARKETING])
    page.get_by_role("link", name="Johdon näkymä").click()
    expect(page.locator("svg.chart")).to_have_count(6)
    expect(page.get_by_role("img", name="Avoimet saatavat erääntymisen mukaan (€)")).to_be_visible()
    expect(page.get_by_role("img", name="Aktiivisuuspisteiden jakauma")).to_be_visible()
    expect(page.get_by_role("img", name="Elinkaaren vaiheet")).to_be_visible()
    expect(page.get_by_role("img", name="Myynti korkeakouluittain (EUR, netto)")).to_be_visible()
    shoot(page, screenshots, "dashboard")


def test_the_dpo_audits_consents_and_reads_the_access_log(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID, screenshots: Path
) -> None:
    sign_in(page, base_url, people[Role.DPO])
    page.goto(f"{base_url}/ui/customers/{organisation}")
    page.get_by_role("link", name="Suostumushistoria").click()
    expect(page.locator("main")).to_contain_text("sähköpostimarkkinointi")
    shoot(page, screenshots, "dpo-consent-history")
    menu = page.get_by_role("navigation", name="Päävalikko")
    menu.get_by_role("link", name="Suostumusauditointi").click()
    expect(page.locator(".kpi")).to_contain_text("Tarkistettuja markkinointikontakteja")
    shoot(page, screenshots, "dpo-consent-audit")
    menu.get_by_role("link", name="Käyttöloki").click()
    expect(page.locator("main table")).to_contain_text(people[Role.DPO])
    shoot(page, screenshots, "dpo-access-log")
    menu.get_by_role("link", name="Tietosuojapyynnöt").click()
    expect(page.get_by_role("heading", name="Rekisteröityjen pyynnöt")).to_be_visible()


def test_the_dpo_erases_a_customer_and_sees_the_certificate(
    page: Page, base_url: str, people: dict[Role, str], services: Services, screenshots: Path
) -> None:
    suffix = uuid4().hex[:6]
    name = f"Eeva Poistettava {suffix}"
    customer_id = services.crm.register_customer(
        provenance(),
        customer_kind="person",
        customer_type="individual",
        name=name,
        email=f"eeva-{suffix}@example.fi",
        phone=None,
        sector="ICT",
        account_manager=None,
    ).customer_id
    sign_in(page, base_url, people[Role.DPO])
    page.goto(f"{base_url}/ui/customers/{customer_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    received = page.locator("#privacy-request")
    received.get_by_label("Pyyntö").select_option("erasure")
    received.get_by_label("Saapumistapa").select_option("email")
    received.get_by_label("Henkilöllisyyden tarkistus").select_option("strong_electronic_id")
    received.get_by_label("Mitä pyydettiin").fill("Art. 17 request received by e-mail")
    shoot(page, screenshots, "dpo-request-form")
    received.get_by_role("button", name="Kirjaa pyyntö").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pyyntö: Poisto")
    expect(page.locator("#request-status")).to_have_text("avoin")
    shoot(page, screenshots, "dpo-request-open")
    page.get_by_label("Ymmärrän, ettei poistoa voi perua").check()
    page.get_by_role("button", name="Poista asiakas").click()

    expect(page.locator("#request-status")).to_have_text("hoidettu")
    expect(page.locator("#destroyed")).to_contain_text("tuhottu")
    expect(page.locator("#certificate")).to_contain_text(people[Role.DPO])
    expect(page.locator("main")).not_to_contain_text(name)
    shoot(page, screenshots, "dpo-erasure-certificate")

    page.locator("main").get_by_role("link", name="Henkilötiedot poistettu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henkilötiedot poistettu")
    expect(page.locator("main")).not_to_contain_text(name)
    expect(page.locator("#request-form")).to_have_count(0)
