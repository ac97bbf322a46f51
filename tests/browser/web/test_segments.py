"""The segment builder in a real browser: build a segment, watch the live count, export CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm.application.users import Role
from tests.browser.conftest import sign_in
from tests.segment_data import Cast

pytestmark = pytest.mark.browser


def test_marketing_builds_a_segment_sees_the_live_count_and_exports_csv(
    page: Page,
    base_url: str,
    people: dict[Role, str],
    cast: Cast,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    sign_in(page, base_url, people[Role.MARKETING])
    page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Segmentit").click()
    page.get_by_role("link", name="Uusi segmentti").click()
    page.get_by_label("Nimi", exact=True).fill(f"Selain {cast.sector}")
    page.locator("#rule-json summary").click()
    rule = page.get_by_label("Ehdot (JSON)", exact=True)
    rule.fill(json.dumps({"sector": cast.sector}))
    # Every cast member but the restricted and the erased one.
    expect(page.locator("#live-count")).to_have_text("4")
    rule.fill(json.dumps({"all": [{"sector": cast.sector}, {"institution": "TTY"}]}))
    expect(page.locator("#live-count")).to_have_text("1")
    rule.fill(json.dumps({"sector": cast.sector}))
    expect(page.locator("#live-count")).to_have_text("4")
    page.get_by_role("button", name="Laske ja esikatsele").click()
    expect(page.locator("#preview tbody tr")).to_have_count(4)

    page.get_by_label("Selitä asiakkaalle").fill(str(cast.ids["b"]))
    page.get_by_role("button", name="Selitä", exact=True).click()
    expect(page.locator("#explain-conditions li")).to_have_count(1)
    expect(page.get_by_text("kuuluu segmenttiin", exact=True)).to_be_visible()

    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Selain {cast.sector}")
    page.screenshot(path=str(screenshots / "segment-builder.png"), full_page=True)

    page.get_by_label("Markkinoinnin tarkoitus").select_option("email_marketing")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Lataa", exact=True).click()
    target = tmp_path / "segment.csv"
    download_info.value.save_as(target)
    # CSV as Finnish Excel opens it: a byte-order mark and semicolons.
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffcustomer_id;name;email")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert [row["customer_id"] for row in rows] == [str(cast.ids["a"])]
    page.reload()
    expect(page.get_by_role("heading", name="Viennit")).to_be_visible()


def test_an_invalid_rule_shows_its_path_and_no_count(
    page: Page, base_url: str, people: dict[Role, str]
) -> None:
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/segments/new")
    page.locator("#rule-json summary").click()
    rule = page.get_by_label("Ehdot (JSON)", exact=True)
    rule.fill(json.dumps({"all": [{"webinars_attended": {"at_least": 0, "days": 30}}]}))
    expect(page.locator("#live-count")).to_have_text("\u2013")  # an en dash: no count
    page.get_by_role("button", name="Laske ja esikatsele").click()
    expect(page.get_by_role("alert")).to_contain_text("all.0.webinars_attended.at_least")
