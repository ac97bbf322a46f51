"""The real service on a free port (uvicorn in a thread) and Debian's Chromium via Playwright."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from api.bootstrap.wiring import Services
from api.http.app import create_app
from crm.application.users import Role
from crm.domain.events import TOUCHPOINT_KINDS
from projections.views.directory import CustomerDirectory
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.timeline import COMMON as COMMON_FIELDS
from projections.views.timeline import Timeline
from tests.factories import START, provenance

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser test password"
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SAVE_SCREENSHOTS = "CRM_SAVE_SCREENSHOTS"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(services: Services) -> Iterator[str]:
    """The whole app served by uvicorn on a free local port, in a background thread."""
    port = free_port()
    config = uvicorn.Config(
        create_app(services=services), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: docs/screenshots/ for the README when CRM_SAVE_SCREENSHOTS=1,
    otherwise a temporary directory (they are still taken, so that code runs)."""
    if os.environ.get(SAVE_SCREENSHOTS) == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOC_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from Debian; a missing browser fails the suite instead of skipping it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run .ci/browser-deps (apt-get install -y chromium) first",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh Finnish-language page in a context of its own, which accepts downloads."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, locale="fi-FI", accept_downloads=True
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def people(services: Services) -> dict[Role, str]:
    """A user per role with `PASSWORD`; the account manager owns the demo customer."""
    suffix = uuid.uuid4().hex[:4]
    names = {
        Role.ACCOUNT_MANAGER: f"anna.am-{suffix}",
        Role.MARKETING: f"mikko.marketing-{suffix}",
        Role.DPO: f"dora.dpo-{suffix}",
        Role.FINANCE: f"fiona.finance-{suffix}",
        Role.ADMIN: f"aino.admin-{suffix}",
    }
    for role, name in names.items():
        services.users.add(name, role, PASSWORD)
    return names


@pytest.fixture(scope="session")
def organisation(services: Services, people: dict[Role, str]) -> UUID:
    """An organisation with a believable journey, owned by the account manager."""
    owner = people[Role.ACCOUNT_MANAGER]
    crm = services.crm
    suffix = uuid.uuid4().hex[:4]
    recorded = crm.register_customer(
        provenance(),
        customer_kind="organisation",
        customer_type="private_organisation",
        name=f"Pirkanmaan Ohjelmistotalo Oy {suffix}",
        email=f"info-{suffix}@ohjelmistotalo.example",
        phone="+358 3 123 4567",
        sector="ICT",
        account_manager=owner,
    )
    customer_id = recorded.customer_id
    journey: list[tuple[str, dict[str, object]]] = [
        ("fair_visited", {"fair_name": "Tampere Tech Fair", "notes": "Interested in AI courses"}),
        (
            "consent_given",
            {"purpose": "email_marketing", "lawful_basis": "consent", "evidence": "form v3"},
        ),
        ("webinar_attended", {"webinar_id": "w-17", "title": "Generative AI at work"}),
        ("company_visited", {"topic": "Team coaching", "notes": "CTO wants an offer by May"}),
        (
            "lead_captured",
            {
                "lead_id": "L-1",
                "source_channel": "fair",
                "target_group": "ICT companies",
                "interest": "coaching",
            },
        ),
        ("lead_qualified", {"lead_id": "L-1"}),
        (
            "purchase_made",
            {
                "purchase_id": "P-1",
                "offering": "AI for software teams",
                "offering_type": "company_training",
                "amount": "12500.00",
                "invoice_reference": "INV-2025-88",
            },
        ),
        ("feedback_given", {"score": 9, "comment": "Very practical", "offering": "AI course"}),
        ("marketing_email_sent", {"purpose": "email_marketing", "campaign": "Autumn courses"}),
        # A partner without an annual review yet: always due on the account manager's page.
        ("partner_membership_started", {"tier": "paid"}),
    ]
    position = recorded.position
    for step, (kind, fields) in enumerate(journey):
        own: dict[str, object] = {
            f.name: None
            for f in dataclasses.fields(TOUCHPOINT_KINDS[kind])
            if f.name not in COMMON_FIELDS
        }
        own.update(fields)
        if own.get("amount") is not None:
            own["amount"] = Decimal(str(own["amount"]))
        at = START + timedelta(days=20 * (step + 1))
        position = crm.record_touchpoint(customer_id, provenance(at), kind, own).position
    assert services.views.get(Timeline).wait_for(position, 10)
    for view_class in (CustomerIndicators, Funnel, CustomerDirectory):
        assert services.views.get(view_class).wait_for(position, 10)
    return customer_id


def sign_in(page: Page, base_url: str, name: str) -> None:
    """Sign in through the form, like a person would."""
    page.goto(f"{base_url}/ui/login")
    page.get_by_label("Käyttäjätunnus").fill(name)
    page.get_by_label("Salasana").fill(PASSWORD)
    # Wait for the answer: a password check may take a moment, and a page opened before
    # it arrives would cancel the sign-in.
    with page.expect_navigation():
        page.get_by_role("button", name="Kirjaudu").first.click()
    page.wait_for_load_state()
