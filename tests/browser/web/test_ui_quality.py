"""The web UI's quality rules in Chromium: every page fits a phone's width as every role, chart
text is readable, the keyboard never submits a form by surprise, error pages are pages, and
the API docs work with no internet."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from api.bootstrap.wiring import Services
from api.http.app import create_app
from api.permissions import ENDPOINT_PERMISSIONS, PUBLIC_PATHS, roles_with
from crm.application.imports import Importer, ImportRequest, import_file
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from tests.browser.conftest import sign_in
from tests.factories import register, unique
from tests.pages import fill, pages

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
MIN_CHART_TEXT_PX = 12
NOT_VISITED = {"/ui/language/{language}": "a redirect that sets the language"}
SHOTS = Path(os.environ.get("CRM_UI_SHOTS", "")) if os.environ.get("CRM_UI_SHOTS") else None
"""With CRM_UI_SHOTS=<folder>, every visited page is also saved there as a PNG."""


@pytest.fixture(scope="module")
def every_page(services: Services) -> list[str]:
    """Every GET page of the web UI, from the app's routes."""
    app: FastAPI = create_app(services=services)
    listed = pages(app, "GET")
    assert "/ui/customers/{customer_id}" in listed and "/ui/dashboard" in listed
    # Downloads (CSV) are files, not pages.
    return [path for path in listed if path not in NOT_VISITED and not path.endswith(".csv")]


@pytest.fixture(scope="module")
def place(services: Services, organisation: UUID, people: dict[Role, str]) -> dict[str, object]:
    """Real values for every path parameter: a customer, a segment, an erasure request and a
    user."""
    segment = services.segment_store.create(
        unique("Puhelin"), {"sector": "ICT"}, None, people[Role.MARKETING]
    )
    erased = register(services.crm, name=unique("Poistettava"))
    request_id = uuid.uuid4()
    services.privacy.erase_customer(
        erased, people[Role.DPO], "Asiakkaan pyyntö", request_id, datetime.now(UTC)
    )
    imported, _ = import_file(
        Importer(services.crm, services.import_log),
        io.BytesIO(
            b"kind,email,occurred_at,fair_name\n"
            + f"fair_visited,{unique('m')}@example.fi,2025-03-14T10:00:00+02:00,Messut\n".encode()
            + b"fair_visited,,2025-03-14T10:00:00+02:00,Messut\n"
        ),
        ImportRequest(unique("Messut"), people[Role.ACCOUNT_MANAGER], "native"),
    )
    return {
        "customer_id": organisation,
        "organisation_id": organisation,
        "programme": "digi_fellow",
        "segment_id": segment.segment_id,
        "request_id": request_id,
        "name": people[Role.ACCOUNT_MANAGER],
        "import_id": imported.import_id,
        "code": services.catalogue.add_offering(
            f"PUH-{uuid.uuid4().hex[:6]}",
            OfferingTerms(
                "Digitaalinen liiketoiminta",
                "Digital business",
                "open_training",
                "TAMK",
                Decimal(450),
                Decimal(5),
            ),
            people[Role.MARKETING],
        ).code,
    }


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A Finnish-language page 390 px wide, like a phone."""
    context = browser.new_context(viewport=PHONE, locale="fi-FI", device_scale_factor=1)
    yield context.new_page()
    context.close()


def sideways_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    width: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return width


def smallest_chart_text(page: Page) -> float | None:
    """The smallest rendered font size (CSS px on screen) of any text in an SVG chart."""
    size: float | None = page.evaluate(
        """() => {
          const sizes = [...document.querySelectorAll("svg.chart text")].map((text) => {
            const scale = text.getScreenCTM().a;
            return parseFloat(getComputedStyle(text).fontSize) * scale;
          });
          return sizes.length ? Math.min(...sizes) : null;
        }"""
    )
    return size


@pytest.mark.parametrize("role", list(Role))
def test_no_page_scrolls_sideways_at_390_px_and_chart_text_is_at_least_12_px(
    phone: Page,
    base_url: str,
    people: dict[Role, str],
    every_page: list[str],
    place: dict[str, object],
    role: Role,
) -> None:
    visited = ["/ui/login", f"/ui/no-such-page-{uuid.uuid4().hex[:4]}"]
    sign_in(phone, base_url, people[role])
    for path in every_page:
        if path in PUBLIC_PATHS or role not in roles_with(ENDPOINT_PERMISSIONS[("GET", path)]):
            continue
        visited.append(fill(path, place))
    problems = []
    charts = 0
    for address in visited:
        phone.goto(f"{base_url}{address}")
        phone.wait_for_load_state()
        if SHOTS:
            name = address.strip("/").replace("/", "_") or "root"
            phone.screenshot(path=str(SHOTS / f"390-{role.value}-{name}.png"), full_page=True)
        overflow = sideways_overflow(phone)
        if overflow > 0:
            problems.append(f"{address} is {overflow} px wider than the screen")
        smallest = smallest_chart_text(phone)
        if smallest is not None:
            charts += 1
            if smallest < MIN_CHART_TEXT_PX:
                problems.append(f"{address} has chart text of {smallest:.1f} px")
    assert len(visited) > 3
    assert problems == []
    if role in (Role.ACCOUNT_MANAGER, Role.MARKETING, Role.DPO):
        assert charts > 0, "no page with a chart was visited"


def test_chart_text_is_at_least_12_px_on_a_desktop_too(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    for address in ("/ui/dashboard", f"/ui/customers/{organisation}"):
        page.goto(f"{base_url}{address}")
        if SHOTS:
            name = address.strip("/").split("/")[1]
            page.screenshot(path=str(SHOTS / f"1280-account_manager-{name}.png"), full_page=True)
        smallest = smallest_chart_text(page)
        assert smallest is not None and smallest >= MIN_CHART_TEXT_PX, address


def test_pressing_down_on_the_touchpoint_kind_list_submits_nothing(
    page: Page, base_url: str, people: dict[Role, str], organisation: UUID
) -> None:
    sign_in(page, base_url, people[Role.ACCOUNT_MANAGER])
    address = f"{base_url}/ui/customers/{organisation}"
    page.goto(address)
    documents: list[str] = []
    page.on(
        "request",
        lambda request: (
            documents.append(request.url) if request.resource_type == "document" else None
        ),
    )
    kinds = page.get_by_label("Kohtaamisen tyyppi")
    before = kinds.input_value()
    kinds.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    assert kinds.input_value() != before, "the arrow key did not move the choice"
    assert documents == []
    assert page.url == address
    # The button still shows the chosen kind's fields.
    chosen = kinds.input_value()
    page.get_by_role("button", name="Valitse").click()
    page.wait_for_load_state()
    assert f"record_kind={chosen}" in page.url


def test_an_unknown_ui_address_shows_the_error_page_in_finnish(
    page: Page, base_url: str, people: dict[Role, str]
) -> None:
    sign_in(page, base_url, people[Role.DPO])
    response = page.goto(f"{base_url}/ui/ei-tallaista")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text(
        "Sivua ei löytynyt. Tarkista osoite tai palaa etusivulle."
    )
    expect(page.get_by_role("link", name="Etusivulle")).to_be_visible()


def block_the_internet(page: Page, base_url: str, blocked: list[str]) -> None:
    def only_local(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)


def test_swagger_ui_lists_the_operations_with_every_other_host_blocked(
    page: Page, base_url: str
) -> None:
    blocked: list[str] = []
    block_the_internet(page, base_url, blocked)
    page.goto(f"{base_url}/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() > 20
    expect(page.get_by_text("/customers/{customer_id}/timeline").first).to_be_visible()
    assert blocked == []


def test_redoc_lists_the_operations_with_every_other_host_blocked(
    page: Page, base_url: str
) -> None:
    blocked: list[str] = []
    block_the_internet(page, base_url, blocked)
    page.goto(f"{base_url}/redoc")
    expect(page.get_by_role("menuitem", name="customers")).to_be_visible(timeout=90_000)
    expect(page.get_by_role("heading", name="Read Health")).to_be_attached()
    # ReDoc's footer tries its maker's logo and hides it when it cannot load: nothing else.
    assert [url for url in blocked if not url.endswith("/logo-mini.svg")] == []
