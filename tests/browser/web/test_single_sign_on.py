"""Signing in through a real OpenID Connect provider on 127.0.0.1 in Chromium, for each role:
the sign-in page's button, the provider's own form, back on the role's start page; and
signing out through the provider."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, expect
from pydantic import SecretStr

from api.bootstrap.wiring import Services
from api.http.app import create_app
from crm.application.users import Role
from tests.browser.conftest import free_port
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider, set_claims

pytestmark = pytest.mark.browser
START_HEADING = {
    Role.ACCOUNT_MANAGER: "Asiakashaku",
    Role.MARKETING: "Asiakashaku",
    Role.DPO: "Asiakashaku",
    Role.ADMIN: "Käyttäjät",
    Role.FINANCE: "Laskutus ja saatavat",
}
ROLE_MENU_ENTRY = {
    Role.ACCOUNT_MANAGER: "Omat asiakkaat",
    Role.MARKETING: "Segmentit",
    Role.DPO: "Suostumusauditointi",
    Role.ADMIN: "Palvelutunnisteet",
    Role.FINANCE: "Laskutus ja saatavat",
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture(scope="module")
def sso_url(services: Services, issuer: str) -> Iterator[str]:
    """The app with single sign-on configured, served by uvicorn on a free local port."""
    settings = services.settings.model_copy(
        update={
            "oidc_issuer": issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
        }
    )
    app = create_app(services=dataclasses.replace(services, settings=settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_through_the_provider_in_a_browser(
    browser: Browser, sso_url: str, issuer: str, screenshots: Path, role: Role
) -> None:
    sub = uuid.uuid4().hex
    set_claims(issuer, sub, preferred_username=f"sso-{sub[:6]}@tuni.fi", roles=[role.value])
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="fi-FI")
    page = context.new_page()
    page.goto(f"{sso_url}/ui/login")
    if role == Role.ACCOUNT_MANAGER:
        page.screenshot(path=str(screenshots / "login-sso.png"), full_page=True)
    page.get_by_role("link", name="Kirjaudu organisaation tunnuksella").click()
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(START_HEADING[role])
    assert page.url.startswith(sso_url)
    expect(page.get_by_role("link", name=ROLE_MENU_ENTRY[role])).to_be_visible()
    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.wait_for_url(f"{issuer}/oauth2/end_session**")
    page.goto(f"{sso_url}/ui")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kirjaudu sisään")
    context.close()
