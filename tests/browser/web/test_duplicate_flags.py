"""Probable duplicates flagged on an import report and a customer page, in a real browser, as
an account manager on a desktop and a phone."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import register

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def letters() -> str:
    return "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:10])


def test_an_account_manager_follows_an_import_reports_flag_to_the_comparison(
    browser: Browser, base_url: str, services: Services, screenshots: Path
) -> None:
    manager = f"anna.am-flags-{uuid.uuid4().hex[:4]}"
    token = services.users.add(manager, Role.ACCOUNT_MANAGER, PASSWORD)
    for label, width in WIDTHS.items():
        local = f"{letters()}.{letters()}"
        existing = register(
            services.crm, name="Maija Meikäläinen", email=f"{local}@yritys.fi",
            account_manager=manager,
        )  # fmt: skip
        body = (
            "Etunimi;Sukunimi;Sähköposti;Messut;Käyntiaika;Lisätiedot\n"
            f"Maija;Meikäläinen;{local}2@gmail.com;Studia;14.3.2025 10:00;Kiinnostunut\n"
            f"Ville;Virta;{letters()}@example.fi;Studia;14.3.2025 10:05;\n"
        )
        context = browser.new_context(viewport={"width": width, "height": 860}, locale="fi-FI")
        page = context.new_page()
        uploaded = page.request.post(
            f"{base_url}/imports?mapping=fair_visitors&source=studia.csv",
            data=body.encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        )
        assert uploaded.status == 201, uploaded.text()
        import_id = uploaded.json()["import_id"]
        wait_until_caught_up(services.projector, services.views.refresh())

        sign_in(page, base_url, manager)
        page.goto(f"{base_url}/ui/imports/{import_id}")
        flags = page.locator("#duplicate-flags")
        expect(flags.get_by_role("heading", name="Mahdolliset kaksoiskappaleet")).to_be_visible()
        expect(page.locator("#flags-covered")).to_contain_text("tarkistettu asiakkaita 2 / 2")
        expect(flags).to_contain_text("sähköpostin alkuosan muunnelma")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"flags-import-{label}.png"), full_page=True)

        flags.get_by_role("link", name="Vertaa ja yhdistä").first.click()
        expect(page.get_by_role("heading", name="Vertaa ja yhdistä asiakkaat")).to_be_visible()
        expect(page.locator("main")).to_contain_text(f"{local}2@gmail.com")

        page.goto(f"{base_url}/ui/customers/{existing}")
        flags = page.locator("#duplicate-flags")
        expect(flags).to_contain_text("Maija Meikäläinen")
        expect(flags.get_by_role("link", name="Vertaa ja yhdistä")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(screenshots / f"flags-customer-{label}.png"), full_page=False)
        context.close()
