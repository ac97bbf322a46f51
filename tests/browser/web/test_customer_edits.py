"""An account manager creates, corrects and links customers in a real browser, wide and narrow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.browser.conftest import sign_in
from tests.factories import register, unique

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("CRM_SHOTS_DIR")
"""Set to a directory to keep this flow's screenshots there as well."""


def shoot(page: Page, screenshots: Path, name: str) -> None:
    for folder in [screenshots, *([Path(SHOTS)] if SHOTS else [])]:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def assert_fits(page: Page, selector: str) -> None:
    """The section is no wider than the screen (the layout's own width is checked apart)."""
    width = page.evaluate("document.documentElement.clientWidth")
    right = page.evaluate(
        f"Math.max(...[...document.querySelectorAll('{selector} *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= width, (selector, right, width)


@pytest.mark.parametrize("width", [1280, 390])
def test_an_account_manager_creates_a_person_corrects_them_and_links_an_organisation(
    page: Page,
    base_url: str,
    services: Services,
    people: dict[Role, str],
    screenshots: Path,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 860})
    org_name = unique("Näsin Konepaja Oy")
    register(services.crm, "organisation", name=org_name)
    name = unique("Ville Vierailija")
    known = register(services.crm, name=name)
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])

    page.get_by_role("link", name="Uusi asiakas").click()
    page.get_by_label("Nimi", exact=True).fill(name)
    page.get_by_label("Puhelin").fill("+358 40 111")
    page.get_by_role("button", name="Tallenna asiakas").click()
    warning = page.get_by_role("alert").filter(has_text="Samanniminen")
    expect(warning.locator(f'a[href="/ui/customers/{known}"]')).to_have_count(1)
    assert_fits(page, "#new-customer-form")
    shoot(page, screenshots, f"am13a-duplicate-{width}")
    page.get_by_label("Tämä on eri asiakas").check()
    page.get_by_role("button", name="Tallenna asiakas").click()
    expect(page.get_by_role("status")).to_have_text("Asiakas tallennettu.")
    assert str(known) not in page.url

    page.get_by_text("Korjaa yhteystietoja").click()
    email = f"{unique('ville')}@example.fi"
    page.get_by_label("Sähköposti").first.fill(email)
    page.get_by_role("button", name="Tallenna korjaus").click()
    expect(page.get_by_role("status")).to_have_text("Yhteystiedot korjattu.")
    expect(page.locator("#profile-heading + dl")).to_contain_text(email)
    expect(page.locator("#timeline")).to_contain_text("Tietoja korjattu")

    page.get_by_label("Lisää organisaatioon").fill(org_name)
    page.get_by_label("Rooli").fill("Hankintapäällikkö")
    page.get_by_role("button", name="Lisää rooli").click()
    expect(page.get_by_role("status")).to_have_text("Rooli lisätty.")
    relations = page.locator("#relations")
    expect(relations).to_contain_text(f"{org_name} · Hankintapäällikkö")
    assert_fits(page, "#relations")
    shoot(page, screenshots, f"am13a-person-{width}")

    relations.get_by_role("link", name=org_name).click()
    people_list = page.locator("#relations")
    expect(people_list).to_contain_text("Hankintapäällikkö")
    expect(people_list).to_contain_text("1\u20131 / 1")
    assert_fits(page, "#relations")
    shoot(page, screenshots, f"am13a-organisation-{width}")
    people_list.get_by_role("button", name="Päätä rooli").click()
    expect(page.get_by_role("status")).to_have_text("Rooli päätetty.")
    expect(page.locator("#relations")).to_contain_text("0\u20130 / 0")
