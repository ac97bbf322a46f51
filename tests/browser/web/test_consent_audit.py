"""The DPO pages through the consent audit's violations and downloads every contact, wide and
narrow, in a real browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain import events as ev
from projections.views.timeline import Timeline
from tests.browser.conftest import sign_in
from tests.factories import day, provenance, register

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("CRM_SHOTS_DIR")
"""Set to a directory to keep this flow's screenshots there as well."""


def newsletters_without_consent(services: Services, count: int, first_day: int) -> None:
    """One customer's `count` newsletters, a day apart, sent without consent (old data)."""
    customer = services.crm.get_customer(register(services.crm))
    for n in range(count):
        customer.trigger_event(
            ev.NewsletterSent, **provenance(day(first_day + n)).as_fields(), notes=None,
            newsletter="monthly",
        )  # fmt: skip
    [*_, last] = services.crm.save(customer)
    assert services.views.get(Timeline).wait_for(last.notification.id, 10)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_dpo_pages_through_violations_and_downloads_every_contact(
    page: Page, base_url: str, services: Services, people: dict[Role, str], screenshots: Path,
    width: int,
) -> None:  # fmt: skip
    first_day = 3000 + width
    newsletters_without_consent(services, 53, first_day)
    start, end = day(first_day).date().isoformat(), day(first_day + 60).date().isoformat()
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, base_url, people[Role.DPO])
    page.goto(f"{base_url}/ui/privacy/consent-audit?start={start}&end={end}&purpose=newsletter")

    expect(page.locator("[data-total=violations]")).to_have_text("53")
    expect(page.locator("[data-range]")).to_have_text("1\u201350 / 53")
    shoot(page, screenshots, f"p12b-consent-audit-{width}")
    page.get_by_role("link", name="Seuraavat").click()
    expect(page.locator("[data-range]")).to_have_text("51\u201353 / 53")
    with page.expect_download() as download:
        page.get_by_role("link", name="Lataa kaikki kontaktit (CSV)").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 54
    shoot(page, screenshots, f"p12b-consent-audit-page-2-{width}")


def shoot(page: Page, screenshots: Path, name: str) -> None:
    for folder in [screenshots, *([Path(SHOTS)] if SHOTS else [])]:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
