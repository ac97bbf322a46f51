"""The segment builder's condition rows in a real browser, at desktop and phone width: build a
rule with an organisation condition without typing JSON, see it round-trip with the JSON form,
preview by name, explain for a customer picked by name, and download the Excel-ready export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from crm.application.users import Role
from tests.browser.conftest import sign_in
from tests.segment_data import Workplaces

pytestmark = pytest.mark.browser


def sideways_scroll(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return width


@pytest.mark.parametrize("width", [1280, 390])
def test_marketing_builds_a_segment_of_people_in_public_organisations_and_exports_for_excel(
    page: Page,
    base_url: str,
    people: dict[Role, str],
    workplaces: Workplaces,
    tmp_path: Path,
    screenshots: Path,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/segments/new")
    builder = page.locator("#rule-builder")
    expect(builder).to_be_visible()
    page.get_by_label("Nimi", exact=True).fill(f"Julkinen {workplaces.sector} {width}")

    # The example rule's first row becomes "sector is ...", the other three go.
    rows = builder.locator(".rule-row")
    expect(rows).to_have_count(4)
    rows.nth(0).get_by_role("combobox", name="Ehto").select_option("sector")
    builder.locator(".rule-row").nth(0).get_by_role("textbox", name="Arvo").fill(workplaces.sector)
    for _ in range(3):
        builder.locator(".rule-row").nth(1).get_by_role("button", name="Poista").click()
    builder.get_by_role("button", name="+ Ehto").first.click()
    builder.locator(".rule-row").nth(1).get_by_role("combobox", name="Ehto").select_option(
        "organisation"
    )
    # The organisation's own condition: customer type is a public organisation (the default).
    inner = builder.locator(".rule-organisation .rule-row")
    expect(inner).to_have_count(1)
    expect(inner.get_by_role("combobox", name="Arvo")).to_have_value("public_organisation")
    expect(page.locator("#live-count")).to_have_text("1")

    expected = {
        "all": [
            {"sector": workplaces.sector},
            {"organisation": {"field": "customer_type", "op": "=", "value": "public_organisation"}},
        ]
    }
    assert json.loads(page.locator("#s-rule").input_value()) == expected
    page.screenshot(path=str(screenshots / f"segment-rows-{width}.png"), full_page=True)
    assert sideways_scroll(page) <= 0

    page.get_by_role("button", name="Laske ja esikatsele").click()
    expect(page.locator("#preview tbody tr")).to_have_count(1)
    expect(page.locator("#preview")).to_contain_text(f"P1 {workplaces.sector}")
    # The page came back with the JSON, and the rows were built from it again.
    expect(page.locator("#rule-builder .rule-organisation")).to_have_count(1)
    assert json.loads(page.locator("#s-rule").input_value()) == expected

    page.get_by_label("Selitä asiakkaalle").fill(f"P1 {workplaces.sector}")
    page.get_by_role("button", name="Selitä", exact=True).click()
    expect(page.get_by_role("heading", name=f"Selitys: P1 {workplaces.sector}")).to_be_visible()
    expect(page.get_by_text("kuuluu segmenttiin", exact=True)).to_be_visible()

    page.get_by_role("button", name="Tallenna").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Julkinen {workplaces.sector}")
    coverage = page.locator('#export-coverage tr[data-purpose="email_marketing"] td')
    expect(coverage).to_have_text(["1", "1", "0", "0", "0"])
    page.get_by_label("Markkinoinnin tarkoitus").select_option("email_marketing")
    page.screenshot(path=str(screenshots / f"segment-export-{width}.png"), full_page=True)
    assert sideways_scroll(page) <= 0
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Lataa", exact=True).click()
    target = tmp_path / "segment.csv"
    download_info.value.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer_id;name;email\r\n")
    rows_out = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row["customer_id"] for row in rows_out] == [str(workplaces.ids["p1"])]

    page.get_by_label("Excel-työkirja (.xlsx) ja yhteenveto").check()
    with page.expect_download() as workbook_info:
        page.get_by_role("button", name="Lataa", exact=True).click()
    assert workbook_info.value.suggested_filename.endswith(".xlsx")


def test_a_rule_the_rows_cannot_show_stays_in_the_json_editor(
    page: Page, base_url: str, people: dict[Role, str]
) -> None:
    sign_in(page, base_url, people[Role.MARKETING])
    page.goto(f"{base_url}/ui/segments/new")
    rule = page.locator("#s-rule")
    page.locator("#rule-json summary").click()
    rule.fill(json.dumps({"not": {"not": {"sector": "ICT"}}}))
    rule.blur()
    expect(page.locator("#builder-note")).to_contain_text("JSON")
    expect(page.locator("#rule-builder .rule-row")).to_have_count(0)
    rule.fill(json.dumps({"any": [{"sector": "ICT"}, {"not": {"institution": "TTY"}}]}))
    rule.blur()
    expect(page.locator("#rule-builder .rule-row")).to_have_count(2)
    expect(page.locator("#rule-builder .rule-row").nth(1).get_by_role("checkbox")).to_be_checked()
