"""Tasks and corrections in a real browser, as an account manager, on a desktop and a phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Browser, Page, expect

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain import events as ev
from projections.views.indicators import CustomerIndicators
from projections.views.tasks import Tasks
from projections.views.timeline import Timeline
from tests.browser.conftest import sign_in
from tests.factories import day, provenance

pytestmark = pytest.mark.browser

FUTURE = datetime(2030, 1, 1, 9, tzinfo=UTC)
SHOTS = Path("/tmp/shots-am13b")
WIDTHS = {"desktop": 1280, "phone": 390}


def customer_with_a_visit_dated_2030(services: Services, owner: str) -> tuple[UUID, int]:
    """A company owned by `owner` whose journey holds a visit dated 2030, recorded before
    touchpoints could not be dated in the future (decided with a clock standing in 2030)."""
    crm = services.crm
    customer_id = crm.register_customer(
        provenance(),
        customer_kind="organisation",
        customer_type="private_organisation",
        name=f"Hervannan Konepaja Oy {uuid.uuid4().hex[:4]}",
        email=None,
        account_manager=owner,
    ).customer_id
    crm.record_touchpoint(
        customer_id, provenance(day(5)), "company_visited", {"topic": "Tarpeet", "notes": None}
    )
    customer = crm.get_customer(customer_id)
    customer.record_touchpoint(
        provenance(FUTURE),
        ev.CompanyVisited,
        {"topic": "Suunniteltu käynti", "notes": None},
        now=FUTURE,
    )
    [*_, last] = crm.save(customer)
    for view in (Timeline, CustomerIndicators, Tasks):
        assert services.views.get(view).wait_for(last.notification.id, 10)
    return customer_id, customer.version


def fits_the_screen(page: Page, selector: str) -> bool:
    """Whether every element matching `selector`, and all inside it, lies within the screen.

    The page's own header and timeline rows are laid out elsewhere; these are the parts the
    task and correction flows add."""
    return bool(
        page.evaluate(
            "s => [...document.querySelectorAll(s)].flatMap(e => [e, ...e.querySelectorAll('*')])"
            ".every(e => e.getBoundingClientRect().right <= window.innerWidth + 1)",
            selector,
        )
    )


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_an_account_manager_plans_and_completes_a_task_and_retracts_a_visit_dated_2030(
    browser: Browser,
    base_url: str,
    people: dict[Role, str],
    services: Services,
    screen: str,
) -> None:
    SHOTS.mkdir(exist_ok=True)
    owner = people[Role.ACCOUNT_MANAGER]
    customer_id, wrong_visit = customer_with_a_visit_dated_2030(services, owner)
    context = browser.new_context(viewport={"width": WIDTHS[screen], "height": 860}, locale="fi-FI")
    page = context.new_page()
    sign_in(page, base_url, owner)

    page.goto(f"{base_url}/ui/customers/{customer_id}")
    last_active = page.locator(".cards li", has_text="Viimeksi aktiivinen")
    expect(last_active).to_contain_text("2030")
    page.get_by_text("Suunnittele tehtävä").click()
    form = page.locator("#plan-form")
    form.get_by_label("Tehtävän laji").select_option("visit")
    due = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    form.get_by_label("Eräpäivä").fill(due)
    form.get_by_label("Otsikko").fill("Käynti tuotantotiloissa")
    form.get_by_role("button", name="Tallenna tehtävä").click()
    expect(page.get_by_role("status")).to_contain_text("Tehtävä tallennettu")
    assert fits_the_screen(page, "#tasks"), "the tasks section is wider than the screen"

    page.goto(f"{base_url}/ui/tasks?window=week")
    task = page.locator(".task", has_text="Käynti tuotantotiloissa")
    expect(task).to_have_count(1)
    expect(page.locator("#tasks-covered")).to_contain_text("Tällä viikolla: 1")
    assert fits_the_screen(page, "main"), "my tasks is wider than the screen"
    page.screenshot(path=str(SHOTS / f"my-tasks-{screen}.png"), full_page=True)
    task.get_by_role("button", name="Tehty").click()
    expect(page.get_by_role("status")).to_contain_text("Tehtävä merkitty tehdyksi")
    expect(page.locator(".task", has_text="Käynti tuotantotiloissa")).to_have_count(0)

    page.goto(f"{base_url}/ui/customers/{customer_id}")
    entry = page.locator("li.entry", has_text="Suunniteltu käynti")
    entry.get_by_text("Korjaa tai peru").click()
    page.screenshot(path=str(SHOTS / f"retraction-form-{screen}.png"), full_page=True)
    assert fits_the_screen(page, ".entry-actions[open]"), "the retraction form is too wide"
    entry.get_by_label("Syy").fill("Tuleva käynti kirjattiin kohtaamisena")
    entry.get_by_role("button", name="Peru merkintä").click()
    expect(page.get_by_role("status").first).to_contain_text("Merkintä peruttu")
    struck = page.locator("li.entry.retracted", has_text="Suunniteltu käynti")
    expect(struck).to_have_count(1)
    expect(struck).to_contain_text("ks. merkintä")
    expect(page.locator(".cards li", has_text="Viimeksi aktiivinen")).not_to_contain_text("2030")
    assert fits_the_screen(page, "li.entry.retracted .retracted-note, #tasks")
    page.screenshot(path=str(SHOTS / f"customer-after-retraction-{screen}.png"), full_page=True)
    journey = services.crm.get_journey(customer_id)
    assert isinstance(journey[-1], ev.EntryRetracted)
    assert journey[-1].retracted_version == wrong_visit
    context.close()
