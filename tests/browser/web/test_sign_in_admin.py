"""The administrator's sign-in pages in Chromium: a user's open sign-ins ended from the page,
a service token issued and shown once; and the hardened front as a browser meets it (the
policy blocks nothing the pages use, an e-mail search keeps the address out of the URL)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.bootstrap.wiring import Services
from api.http.sign_in_limits import PER_NAME
from api.web.i18n import translate
from crm.application.users import Role
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import register, unique

pytestmark = pytest.mark.browser


def csp_reports(page: Page) -> list[str]:
    """Console messages of the page's Content-Security-Policy blocking something."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


@pytest.mark.parametrize("width", [1280, 390])
def test_an_admin_ends_one_of_a_users_sign_ins(
    browser: Browser,
    base_url: str,
    services: Services,
    people: dict[Role, str],
    screenshots: Path,
    width: int,
) -> None:
    name = f"kalle-{uuid.uuid4().hex[:6]}"
    services.users.add(name, Role.MARKETING, PASSWORD)
    theirs = browser.new_context(locale="fi-FI").new_page()
    sign_in(theirs, base_url, name)
    theirs.goto(f"{base_url}/ui/segments")
    expect(theirs.get_by_role("heading", level=1)).not_to_have_text("Kirjaudu sisään")

    admin_context = browser.new_context(viewport={"width": width, "height": 860}, locale="fi-FI")
    admin = admin_context.new_page()
    blocked = csp_reports(admin)
    sign_in(admin, base_url, people[Role.ADMIN])
    admin.goto(f"{base_url}/ui/admin/users")
    admin.locator("tr", has_text=name).get_by_role("link", name="Kirjautumiset").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text(name)
    expect(admin.locator("tbody tr")).to_have_count(1)
    admin.screenshot(path=str(screenshots / f"user-sessions-{width}.png"), full_page=True)
    assert admin.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    admin.get_by_role("button", name="Päätä").click()
    expect(admin.get_by_role("status")).to_contain_text("Kirjautuminen päätetty")

    theirs.goto(f"{base_url}/ui/segments")
    expect(theirs.get_by_role("button", name="Kirjaudu").first).to_be_visible()
    assert blocked == []
    theirs.context.close()
    admin_context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_an_admin_issues_a_service_token_shown_once(
    browser: Browser, base_url: str, people: dict[Role, str], screenshots: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 860}, locale="fi-FI")
    page = context.new_page()
    blocked = csp_reports(page)
    sign_in(page, base_url, people[Role.ADMIN])
    page.get_by_role("link", name="Palvelutunnisteet").click()
    name = unique("verkkopalvelu")
    page.get_by_label("Nimi").fill(name)
    page.get_by_label("Rooli", exact=True).select_option("account_manager")
    page.get_by_label("kirjaa kohtaamisia").check()
    page.get_by_role("button", name="Luo tunniste").click()
    token = page.locator("code.token").inner_text()
    assert len(token) >= 40
    expect(page.locator("tr", has_text=name)).to_contain_text("kirjaa kohtaamisia")
    page.screenshot(path=str(screenshots / f"service-tokens-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.reload()
    assert token not in page.content(), "shown once"
    assert blocked == []
    context.close()


def test_a_delayed_sign_in_says_so_in_the_uis_language_and_leads_back_to_the_form(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fi-FI")
    page = context.new_page()
    blocked = csp_reports(page)
    name = unique("arvaaja")
    page.goto(f"{base_url}/ui/login")
    for _ in range(PER_NAME.free + 5):  # until the delay outlasts a round trip
        page.get_by_label("Käyttäjätunnus").fill(name)
        page.get_by_label("Salasana").fill("wrong password")
        with page.expect_navigation():
            page.get_by_role("button", name="Kirjaudu").first.click()
        if translate("fi", "login.too_many") in page.content():
            break
    expect(page.get_by_role("alert")).to_have_text(translate("fi", "login.too_many"))
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=str(screenshots / f"{width}-sign-in-delayed.png"), full_page=True)
    page.get_by_role("link", name=translate("fi", "login.try_again")).click()
    expect(page.get_by_label("Käyttäjätunnus")).to_be_visible()
    assert blocked == []
    context.close()


def test_an_email_search_keeps_the_address_out_of_the_url(
    page: Page, base_url: str, services: Services, people: dict[Role, str]
) -> None:
    email = f"{unique('osoite')}@example.fi"
    register(services.crm, name=unique("Sähköposti"), email=email)
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.goto(f"{base_url}/ui/customers")
    page.get_by_label("Nimi, sähköposti tai puhelin").fill(email)
    page.get_by_role("button", name="Hae").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    assert email not in page.url and "%40" not in page.url


def test_the_segment_builders_live_count_works_under_the_policy(
    page: Page, base_url: str, people: dict[Role, str]
) -> None:
    blocked = csp_reports(page)
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/segments/new")
    page.locator("#rule-json summary").click()
    page.get_by_label("Ehdot (JSON)", exact=True).fill(json.dumps({"sector": "no-such-sector"}))
    expect(page.locator("#live-count")).to_have_text("0")
    assert blocked == []
