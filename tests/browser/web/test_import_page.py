"""The import page in a real browser, at desktop and phone width: upload a Zoom attendee
report, see what it was recognised as and its first rows (nothing stored yet), import it and
download the row errors."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from tests.browser.conftest import sign_in
from tests.import_files import zoom_attendee_report

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_an_account_manager_previews_and_imports_a_zoom_report(
    page: Page,
    base_url: str,
    people: dict[Role, str],
    services: Services,
    tmp_path: Path,
    screenshots: Path,
    width: int,
) -> None:
    tag = uuid.uuid4().hex[:8]
    attendee, rejoiner, absent = (f"{who}-{tag}@example.fi" for who in ("aino", "eero", "outi"))
    report = zoom_attendee_report(attendee, rejoiner, absent, f"staff-{tag}@tuni.fi")
    report = report.replace(
        b"\r\n\r\nOther Information",
        b'\r\nYes,Vieras,Vieras,,,,,,,,"02/21/2025 08:00:00 AM",approved,'
        b'"03/04/2025 02:00:00 PM","03/04/2025 02:10:00 PM",10,Yes,Finland'
        b"\r\n\r\nOther Information",
    )
    upload = tmp_path / "attendee-report.csv"
    upload.write_bytes(report)

    page.set_viewport_size({"width": width, "height": 860})
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Tuonti").click()
    page.get_by_label("Tiedosto", exact=True).set_input_files(upload)
    page.get_by_role("button", name="Esikatsele").click()

    expect(page.locator("#detected-mapping")).to_contain_text("zoom_webinar_attendees")
    expect(page.locator("#import-preview")).to_contain_text(attendee)
    expect(page.locator("#import-preview")).to_contain_text("843 2219 0712")
    assert services.crm.find_by_email(attendee) is None
    page.screenshot(path=str(screenshots / f"import-preview-{width}.png"), full_page=True)
    scroll = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert scroll <= 0

    page.get_by_role("button", name="Tuo", exact=True).click()
    # The import runs in the background; its page refreshes until it is done.
    expect(page.locator("#import-status")).to_have_text("valmis", timeout=60_000)
    assert services.crm.find_by_email(attendee) is not None
    page.screenshot(path=str(screenshots / f"import-report-{width}.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Lataa rivivirheet (CSV)").click()
    errors = tmp_path / "errors.csv"
    download_info.value.save_as(errors)
    assert errors.read_bytes().startswith(b"\xef\xbb\xbfline;field;reason\r\n")
