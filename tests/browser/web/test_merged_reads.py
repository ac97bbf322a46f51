"""Merged figures in the browser: after a merge the survivor's customer page, its
organisation's page and a segment show both records' histories, at 1280 and 390 px."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.browser.conftest import sign_in
from tests.factories import day, provenance, purchase, register, unique

pytestmark = pytest.mark.browser
EUROS_0 = re.compile(r"^0\s€$")
EUROS_3500 = re.compile(r"^3\s500\s€$")


def look(page: Page, screenshots: Path, name: str) -> None:
    """A screenshot at 1280 and at 390 px, neither scrolling sideways."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 860})
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)


def test_a_survivors_pages_and_segment_show_both_records_figures(
    browser: Browser,
    base_url: str,
    services: Services,
    people: dict[Role, str],
    screenshots: Path,
) -> None:
    crm = services.crm
    owner = people[Role.ACCOUNT_MANAGER]
    sector = unique("Sektori")
    organisation = register(
        crm, kind="organisation", name=unique("Nokian Koulutus Oy"), account_manager=owner
    )
    survivor = register(crm, name="Tapio Virtanen", sector=sector, account_manager=owner)
    absorbed = register(crm, name="T. Virtanen", sector=sector, account_manager=owner)
    purchase(crm, survivor, day(10), "S-1", "1000")
    purchase(crm, absorbed, day(20), "A-1", "2500")
    crm.start_affiliation(survivor, provenance(day(1)), organisation, "CTO")
    crm.start_affiliation(absorbed, provenance(day(2)), organisation, "CTO")
    crm.merge_customers(
        survivor, absorbed, provenance(day(30)), take_from_absorbed=(), reason="Sama henkilö",
        owner=owner,
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())

    manager = browser.new_context(locale="fi-FI").new_page()
    sign_in(manager, base_url, owner)
    manager.goto(f"{base_url}/ui/customers/{survivor}")
    expect(manager.locator("main")).to_contain_text("3 500 €")
    look(manager, screenshots, "merged-customer")

    manager.goto(f"{base_url}/ui/customers/{organisation}")
    figures = manager.get_by_role("table", name="Organisaation ja sen henkilöiden luvut")
    # The organisation's own, its people's (one person, both records) and both together.
    expect(figures.get_by_role("row").first).to_contain_text("Henkilöt (1)")
    revenue = figures.get_by_role("row", name="Myynti (netto)").get_by_role("cell")
    expect(revenue).to_have_text([EUROS_0, EUROS_3500, EUROS_3500])
    expect(manager.get_by_role("link", name="Tapio Virtanen")).to_have_count(1)
    expect(manager.get_by_role("link", name="T. Virtanen")).to_have_count(0)
    look(manager, screenshots, "merged-organisation")
    manager.context.close()

    marketer = browser.new_context(locale="fi-FI").new_page()
    sign_in(marketer, base_url, people[Role.MARKETING])
    marketer.goto(f"{base_url}/ui/segments/new")
    marketer.locator("#rule-json summary").click()
    rule = {"all": [{"sector": sector}, {"field": "revenue", "op": ">=", "value": 3000}]}
    marketer.get_by_label("Ehdot (JSON)", exact=True).fill(json.dumps(rule))
    expect(marketer.locator("#live-count")).to_have_text("1")
    marketer.get_by_role("button", name="Laske ja esikatsele").click()
    rows = marketer.locator("#preview tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tapio Virtanen")
    expect(rows.first).to_contain_text(str(Decimal("3500")))
    marketer.set_viewport_size({"width": 1280, "height": 860})
    marketer.screenshot(path=str(screenshots / "merged-segment-1280.png"), full_page=True)
    marketer.set_viewport_size({"width": 390, "height": 860})
    assert marketer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    marketer.screenshot(path=str(screenshots / "merged-segment-390.png"), full_page=True)
    marketer.context.close()
