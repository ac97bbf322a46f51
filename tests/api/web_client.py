"""Signing in to the web UI from tests: users with passwords and CSRF tokens from pages."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page carries in its forms."""
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def new_user(services: Services, role: Role) -> str:
    """A user of the role with `PASSWORD`, under a unique name."""
    name = f"web-{role.value}-{uuid.uuid4().hex[:6]}"
    services.users.add(name, role, PASSWORD)
    return name


def sign_in(app: FastAPI, name: str, password: str = PASSWORD) -> TestClient:
    """A client with a signed-in session (not following redirects)."""
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/ui/login").text)
    response = client.post(
        "/ui/login", data={"name": name, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client


def page_csrf(client: TestClient) -> str:
    """The signed-in session's CSRF token."""
    return csrf_of(client.get("/ui/login").text)
