"""The permission matrix, checked for every role and every endpoint and page the app has.

Routes come from `app.routes`, so an endpoint added later is covered without editing this
file; it must be listed in `api.permissions.ENDPOINT_PERMISSIONS` (or be public) to pass.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.permissions import ENDPOINT_PERMISSIONS, PUBLIC_PATHS, Permission, roles_with
from crm.application.users import Role
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import RoleHeaders
from tests.pages import PARAMETER, endpoints, is_page


def test_the_route_list_sees_every_router(app: FastAPI) -> None:
    paths = {path for _, path, _ in endpoints(app)}
    assert {"/health", "/customers/{customer_id}/timeline", "/ui/customers"} <= paths


def concrete(path: str) -> str:
    """The path with each parameter filled by a value that names nothing that exists."""

    def fill(match: re.Match[str]) -> str:
        return "nobody-" + uuid.uuid4().hex[:6] if match.group(1) == "name" else str(uuid.uuid4())

    return PARAMETER.sub(fill, path)


def declared_permissions(route: APIRoute) -> set[Permission]:
    """The permissions a route's `require()` dependencies declare."""
    found: set[Permission] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        permission = getattr(dependant.call, "permission", None)
        if permission is not None:
            found.add(permission)
        stack.extend(dependant.dependencies)
    return found


@pytest.fixture(scope="module")
def page_clients(app: FastAPI, services: Services) -> Iterator[dict[Role, TestClient]]:
    """A signed-in web client per role."""
    clients = {role: sign_in(app, new_user(services, role)) for role in Role}
    yield clients
    for client in clients.values():
        client.close()


def call(client: TestClient, method: str, path: str, **kwargs: Any) -> int:
    body: dict[str, Any] = (
        {"json": {}} if method in ("POST", "PUT", "PATCH") and not is_page(path) else {}
    )
    return client.request(method, concrete(path), **body, **kwargs).status_code


def test_every_endpoint_and_page_is_public_or_in_the_matrix(app: FastAPI) -> None:
    missing = [
        f"{method} {path}"
        for method, path, _ in endpoints(app)
        if path not in PUBLIC_PATHS and (method, path) not in ENDPOINT_PERMISSIONS
    ]
    assert not missing, f"add these to api.permissions.ENDPOINT_PERMISSIONS: {missing}"


def test_every_api_endpoint_declares_the_permission_the_matrix_lists(app: FastAPI) -> None:
    for method, path, route in endpoints(app):
        if path in PUBLIC_PATHS or is_page(path):
            continue
        declared = declared_permissions(route)
        # Routes with a check of their own are held to the matrix by their answers alone.
        assert not declared or declared == {ENDPOINT_PERMISSIONS[(method, path)]}, (
            f"{method} {path} declares {declared}"
        )


def test_every_api_endpoint_answers_401_without_credentials(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        for method, path, _ in endpoints(app):
            if path in PUBLIC_PATHS or is_page(path):
                continue
            assert call(anonymous, method, path) == 401, f"{method} {path}"
            bad = {"Authorization": "Bearer not-a-token"}
            assert call(anonymous, method, path, headers=bad) == 401, f"{method} {path}"


@pytest.mark.parametrize("role", list(Role))
def test_every_api_endpoint_lets_exactly_the_matrix_roles_through(
    app: FastAPI, role: Role, as_role: RoleHeaders
) -> None:
    with TestClient(app) as client:
        for method, path, _ in endpoints(app):
            if path in PUBLIC_PATHS or is_page(path):
                continue
            status = call(client, method, path, headers=as_role[role])
            if role in roles_with(ENDPOINT_PERMISSIONS[(method, path)]):
                assert status not in (401, 403), f"{role} {method} {path}: {status}"
            else:
                assert status == 403, f"{role} {method} {path}: {status}"


def test_every_page_answers_401_with_the_sign_in_form_without_a_session(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as anonymous:
        for method, path, _ in endpoints(app):
            if path in PUBLIC_PATHS or not is_page(path):
                continue
            response = anonymous.request(method, concrete(path))
            assert response.status_code == 401, f"{method} {path}"
            assert 'action="/ui/login"' in response.text


@pytest.mark.parametrize("role", list(Role))
def test_every_page_lets_exactly_the_matrix_roles_through(
    app: FastAPI, services: Services, page_clients: dict[Role, TestClient], role: Role
) -> None:
    client = page_clients[role]
    for method, path, _ in endpoints(app):
        if path in PUBLIC_PATHS or not is_page(path):
            continue
        if (method, path) == ("POST", "/ui/logout"):
            # Signing out ends the session, so it gets a session of its own.
            client = sign_in(app, new_user(services, role))
        data = {"csrf_token": page_csrf(client)} if method == "POST" else None
        status = client.request(method, concrete(path), data=data).status_code
        if role in roles_with(ENDPOINT_PERMISSIONS[(method, path)]):
            assert status not in (401, 403), f"{role} {method} {path}: {status}"
        else:
            assert status == 403, f"{role} {method} {path}: {status}"
        client = page_clients[role]


def test_public_paths_need_no_credentials(client: TestClient) -> None:
    for path in ("/health", "/openapi.json", "/docs", "/ui/login", "/static/style.css"):
        assert client.get(path).status_code == 200, path


def test_the_matrix_follows_the_issue(app: FastAPI) -> None:
    """Marketing never reads timelines; only admins manage users; AMs record touchpoints."""
    timeline = roles_with(ENDPOINT_PERMISSIONS[("GET", "/customers/{customer_id}/timeline")])
    assert Role.MARKETING not in timeline
    assert Role.ACCOUNT_MANAGER in timeline
    record = ENDPOINT_PERMISSIONS[("POST", "/customers/{customer_id}/touchpoints")]
    assert roles_with(record) == {Role.ACCOUNT_MANAGER}
    assert roles_with(ENDPOINT_PERMISSIONS[("GET", "/ui/admin/users")]) == {Role.ADMIN}
