"""Digimentors in a real browser, wide and narrow: an account manager names a person the
digimentor of their organisation and finds them in the digimentor list; marketing finds them
with the segment condition "is a digimentor"."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.browser.conftest import sign_in
from tests.factories import provenance, register, unique

pytestmark = pytest.mark.browser


def sideways_scroll(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return width


@pytest.mark.parametrize("width", [1280, 390])
def test_a_digimentor_named_on_the_person_page_is_in_the_list_and_in_a_segment(
    page: Page,
    base_url: str,
    services: Services,
    people: dict[Role, str],
    screenshots: Path,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 860})
    owner = people[Role.ACCOUNT_MANAGER]
    sector = f"Digi{uuid.uuid4().hex[:6]}"
    org_name = unique("Hervannan Mekatroniikka Oy")
    organisation = register(
        services.crm, "organisation", name=org_name, account_manager=owner, sector=sector
    )
    name, colleague = unique("Dina Digimentori"), unique("Kalle Kollega")
    person = register(services.crm, name=name, sector=sector)
    other = register(services.crm, name=colleague, sector=sector)
    for someone in (person, other):
        services.crm.start_affiliation(someone, provenance(), organisation, "Kehityspäällikkö")
    services.crm.record_touchpoint(
        person,
        provenance(),
        "event_attended",
        {"notes": None, "event_name": "Digimentorien kevättyöpaja", "organiser": "own",
         "event_format": "digimentor_workshop"},
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())

    sign_in(page, base_url, owner)
    page.goto(f"{base_url}/ui/customers/{person}")
    relations = page.locator("#relations")
    relations.get_by_role("button", name=f"Nimeä digimentoriksi: {org_name}").click()
    expect(page.get_by_role("status")).to_have_text("Nimetty digimentoriksi.")
    expect(page.locator("#relations")).to_contain_text("Digimentori")
    expect(page.locator("#timeline")).to_contain_text("Nimettiin digimentoriksi")
    page.locator("#relations").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"digimentor-named-{width}.png"), full_page=True)
    assert sideways_scroll(page) <= 0

    page.goto(f"{base_url}/ui")
    menu = page.get_by_role("navigation", name="Päävalikko")
    if not menu.get_by_role("link", name="Digimentorit").is_visible():
        page.goto(f"{base_url}/ui/digimentors")
    else:
        menu.get_by_role("link", name="Digimentorit").click()
    page.get_by_label("Organisaation vastuuhenkilö").select_option(owner)
    page.get_by_role("button", name="Rajaa").click()
    table = page.locator("#digimentor-list")
    row = table.locator("tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(org_name)
    expect(row).to_contain_text(owner)
    expect(table).not_to_contain_text(colleague)
    expect(page.locator("#digimentors-range")).to_contain_text("/")
    page.screenshot(path=str(screenshots / f"digimentor-list-{width}.png"), full_page=True)
    assert sideways_scroll(page) <= 0

    page.get_by_role("button", name="Kirjaudu ulos").click()
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/segments/new")
    builder = page.locator("#rule-builder")
    expect(builder).to_be_visible()
    rows = builder.locator(".rule-row")
    rows.nth(0).get_by_role("combobox", name="Ehto").select_option("sector")
    builder.locator(".rule-row").nth(0).get_by_role("textbox", name="Arvo").fill(sector)
    while builder.locator(".rule-row").count() > 1:
        builder.locator(".rule-row").nth(1).get_by_role("button", name="Poista").click()
    builder.get_by_role("button", name="+ Ehto").first.click()
    builder.locator(".rule-row").nth(1).get_by_role("combobox", name="Ehto").select_option(
        "digimentor"
    )
    assert json.loads(page.locator("#s-rule").input_value()) == {
        "all": [{"sector": sector}, {"digimentor": True}]
    }
    expect(page.locator("#live-count")).to_have_text("1")
    page.get_by_role("button", name="Laske ja esikatsele").click()
    expect(page.locator("#preview tbody tr")).to_have_count(1)
    expect(page.locator("#preview")).to_contain_text(name)
    expect(page.locator("#preview")).not_to_contain_text(colleague)
    page.screenshot(path=str(screenshots / f"digimentor-segment-{width}.png"), full_page=True)
    assert sideways_scroll(page) <= 0
