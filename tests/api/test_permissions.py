"""The permission matrix, checked for every role and every endpoint and page the app has.

Routes come from `app.routes`, so an endpoint added later is covered without editing this
file; it must be listed in `api.permissions.ENDPOINT_PERMISSIONS` (or be public) to pass.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.http.access_log import access_recorder
from api.permissions import ENDPOINT_PERMISSIONS, PUBLIC_PATHS, Permission, roles_with
from crm.adapters.postgres.access_log import AccessFilter
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import RoleHeaders, provenance, record, register, unique
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


# Access logging ---------------------------------------------------------------------------

ACCESS_LOGGED_ROUTES = {
    ("POST", "/customers"),
    ("GET", "/customers"),
    ("POST", "/customers/search"),
    ("GET", "/customers/{customer_id}"),
    ("GET", "/customers/{customer_id}/timeline"),
    ("GET", "/customers/{customer_id}/indicators"),
    ("GET", "/customers/{customer_id}/consents"),
    ("GET", "/customers/{customer_id}/segments"),
    ("GET", "/organisations/{organisation_id}/rollup"),
    ("POST", "/segments/explain"),
    ("GET", "/privacy/exports/{customer_id}"),
    ("GET", "/privacy/consents/{customer_id}"),
    ("GET", "/privacy/consent-audit"),
    ("GET", "/ui/customers"),
    ("POST", "/ui/customers"),
    ("GET", "/ui/customers/{customer_id}"),
    ("POST", "/ui/customers/{customer_id}/touchpoints"),
    ("GET", "/ui/my-customers"),
    ("GET", "/ui/privacy/consents/{customer_id}"),
    ("POST", "/ui/privacy/requests"),
    ("GET", "/ui/privacy/requests"),
    ("GET", "/ui/privacy/requests/{request_id}"),
    ("GET", "/privacy/requests"),
    ("GET", "/privacy/requests/{request_id}"),
    ("GET", "/finance/receivables"),
    ("GET", "/finance/export.csv"),
    ("GET", "/ui/finance"),
    ("GET", "/ui/finance/export.csv"),
    ("GET", "/completions"),
    ("GET", "/completions/transcript.csv"),
    ("GET", "/completions/staff-report.csv"),
    ("GET", "/ui/completions"),
    ("GET", "/ui/completions/report.csv"),
    ("GET", "/ui/completions/report.pdf"),
    ("GET", "/completions/transcript.pdf"),
    ("GET", "/completions/staff-report.pdf"),
    ("GET", "/partners/due-reviews"),
    ("GET", "/partners/{organisation_id}/review"),
    ("GET", "/programmes/{programme}"),
    ("GET", "/ui/partners/{organisation_id}/review"),
    ("GET", "/ui/programmes/{programme}"),
    ("GET", "/digimentors"),
    ("GET", "/ui/digimentors"),
}
"""Routes the issue named as returning personal data: each must stay declared."""


def logs_access(route: APIRoute) -> bool:
    """Whether the route declares access logging (takes an `AccessLogged` parameter)."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is access_recorder:
            return True
        stack.extend(dependant.dependencies)
    return False


OLD_INVOICE_DAY = date(1990, 1, 1)
"""The marked person's invoice's date and due date: older than any other test's."""


@dataclass(frozen=True)
class MarkedWorld:
    """A person whose name, e-mail and consent evidence carry a marker, in an organisation."""

    marker: str
    email: str
    person: UUID
    organisation: UUID
    request: UUID
    page_clients: dict[Role, TestClient]


@pytest.fixture(scope="module")
def marked(app: FastAPI, services: Services, tokens: dict[Role, str]) -> Iterator[MarkedWorld]:
    marker = unique("Zmark")
    email = f"{marker.lower()}@example.fi"
    names = {role: new_user(services, role) for role in Role}
    crm = services.crm
    now = datetime.now(UTC)
    api_manager = services.users.by_token(tokens[Role.ACCOUNT_MANAGER])
    assert api_manager is not None
    # Owned by the account manager with the token, so the pipeline by API has a lead to show.
    organisation = register(
        crm, "organisation", at=now - timedelta(days=3), account_manager=api_manager.name
    )
    person = register(
        crm,
        name=f"Person {marker}",
        email=email,
        account_manager=names[Role.ACCOUNT_MANAGER],
        at=now - timedelta(days=3),
    )
    crm.start_affiliation(person, provenance(now - timedelta(days=2)), organisation, "buyer")
    # The organisation's digimentor, so the digimentor list (by organisation) shows them.
    crm.name_digimentor(person, provenance(now - timedelta(days=2)), organisation)
    consent = {"notes": None, "purpose": "email_marketing", "lawful_basis": "consent"}
    consent["evidence"] = f"form signed by {marker}"
    record(crm, person, now - timedelta(hours=2), "consent_given", **consent)
    # A consent about to reach its validity, so the audit page lists it as expiring.
    expiring = {**consent, "purpose": "newsletter"}
    record(crm, person, now - timedelta(days=24 * 30.4 - 10), "consent_given", **expiring)
    # A marketing contact under that consent, so the consent audit has one to list.
    contact = {"notes": None, "purpose": "email_marketing", "campaign": f"Spring {marker}"}
    record(crm, person, now - timedelta(hours=1, minutes=30), "marketing_email_sent", **contact)
    # A lead of each, so each account manager's pipeline shows one.
    for customer_id in (person, organisation):
        lead = {"notes": None, "lead_id": unique("L"), "source_channel": "fair"}
        lead.update(target_group="ICT", interest=f"Training for {marker}")
        record(crm, customer_id, now - timedelta(hours=3), "lead_captured", **lead)
    # A task of each account manager's (signed in, and by token), so "my tasks" shows one.
    for owner in (names[Role.ACCOUNT_MANAGER], api_manager.name):
        crm.plan_task(
            person,
            provenance(now - timedelta(hours=1)),
            task_kind="call",
            due_on=now.date(),
            owner=owner,
            title=f"Call {marker}",
        )
    # A purchase invoiced long ago and never paid: the oldest open invoice, which the
    # receivables (oldest due first) and the accounting export of its day list.
    purchase = {"notes": None, "purchase_id": f"P-{marker}", "offering": "Lean",
                "offering_type": "company_training", "amount": Decimal(500),
                "invoice_reference": None}  # fmt: skip
    record(crm, person, now - timedelta(hours=3), "purchase_made", **purchase)
    crm.invoice_purchase(
        person, provenance(now - timedelta(hours=2)), purchase_id=f"P-{marker}",
        invoice_number=f"INV-{marker}", invoice_date=OLD_INVOICE_DAY,
        due_date=OLD_INVOICE_DAY, amount=Decimal(500),
    )  # fmt: skip
    # A completion today, so the registry (newest first) lists it.
    record(crm, person, now - timedelta(minutes=30), "course_completed", notes=None,
           course=f"Course {marker}", credits=Decimal(5), grade="4")  # fmt: skip
    # A probable duplicate of the person (one local part on another domain) owned by the
    # account manager signing in with a token, so both managers and the admin list the pair.
    register(
        crm,
        name=f"Person {marker}",
        email=f"{marker.lower()}2@example.org",
        account_manager=api_manager.name,
        at=now - timedelta(days=3),
    )
    # A paid partner since two years, never reviewed (so due a review), in Digi Fellow.
    record(crm, organisation, now - timedelta(days=730), "partner_membership_started",
           tier="paid")  # fmt: skip
    services.partners.join_programme(organisation, provenance(now - timedelta(days=1)),
                                     "digi_fellow")  # fmt: skip
    # The oldest request of all, so lists (oldest first) show it.
    request = services.privacy.receive_request(
        person, "access", received_at=now - timedelta(days=3650), channel="letter",
        identity_check="id_document", details=f"copy for {marker}",
        handled_by=names[Role.DPO], request_id=uuid.uuid4(), now=now,
    )  # fmt: skip
    wait_until_caught_up(services.projector, services.views.refresh())
    clients = {role: sign_in(app, names[role]) for role in Role}
    yield MarkedWorld(marker, email, person, organisation, request.request_id, clients)
    for client in clients.values():
        client.close()


def filled(path: str, world: MarkedWorld) -> str:
    """The path with the marked person, their organisation, or a random id filled in."""
    values = {
        "customer_id": world.person,
        "organisation_id": world.organisation,
        "request_id": world.request,
        "action": "extend",
        "programme": "digi_fellow",
    }
    return PARAMETER.sub(lambda m: str(values.get(m.group(1), uuid.uuid4())), path)


def request_for(
    method: str, path: str, world: MarkedWorld, client: TestClient
) -> dict[str, Any] | None:
    """How to call the route so that it returns the marked person, or None to skip it."""
    day_ago = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    queries: dict[tuple[str, str], dict[str, str]] = {
        ("GET", "/customers"): {"query": world.marker},
        ("GET", "/ui/customers"): {"q": world.marker},
        ("GET", "/ui/privacy/access-log"): {"customer": world.marker},
        ("GET", "/privacy/consent-audit"): {"from": day_ago},
        ("GET", "/privacy/requests"): {"status": "all"},
        ("GET", "/privacy/erasures"): {"status": "all"},
        ("GET", "/ui/privacy/requests"): {"status": "all"},
        ("GET", "/finance/export.csv"): {
            "start": str(OLD_INVOICE_DAY),
            "end": str(OLD_INVOICE_DAY),
        },
        ("GET", "/completions/transcript.csv"): {"person": str(world.person)},
        ("GET", "/completions/staff-report.csv"): {"organisation": str(world.organisation)},
        ("GET", "/ui/completions/report.csv"): {"person": str(world.person)},
        ("GET", "/ui/completions/report.pdf"): {"person": str(world.person)},
        ("GET", "/completions/transcript.pdf"): {"person": str(world.person)},
        ("GET", "/completions/staff-report.pdf"): {"organisation": str(world.organisation)},
        ("GET", "/ui/finance/export.csv"): {
            "start": str(OLD_INVOICE_DAY),
            "end": str(OLD_INVOICE_DAY),
        },
        ("GET", "/duplicates"): {"customer_id": str(world.person)},
        ("GET", "/digimentors"): {"organisation": str(world.organisation)},
        ("GET", "/ui/digimentors"): {"organisation": str(world.organisation)},
        ("GET", "/ui/duplicates"): {"customer": str(world.person)},
        ("GET", "/ui/duplicates/compare"): {
            "first": str(world.person),
            "second": str(world.organisation),
        },
    }
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/customers"): {
            "kind": "person",
            "customer_type": "individual",
            "name": "Somebody else",
            "email": world.email,
        },
        ("POST", "/customers/search"): {"query": world.email},
        ("POST", "/segments/explain"): {
            "rule": {"sector": "ICT"},
            "customer_id": str(world.person),
        },
    }
    forms: dict[tuple[str, str], dict[str, str]] = {
        ("POST", "/ui/customers"): {"q": world.email},
        ("POST", "/ui/customers/{customer_id}/touchpoints"): {"kind": ""},
        ("POST", "/ui/privacy/requests"): {"customer_id": str(world.person)},
        ("POST", "/ui/privacy/restrictions"): {"customer_id": str(world.person)},
        ("POST", "/ui/privacy/requests/{request_id}/{action}"): {"reason": ""},
        ("POST", "/ui/pipeline/{customer_id}/move"): {"move": ""},
        ("POST", "/ui/segments/builder"): {
            "rule": '{"consent": "email_marketing"}',
            "action": "explain",
            "customer": world.marker,
        },
    }
    key = (method, path)
    if key in forms:
        return {"data": {**forms[key], "csrf_token": page_csrf(client)}}
    if key in bodies:
        return {"json": bodies[key]}
    if method != "GET":
        return None
    return {"params": queries.get(key, {})}


def logged_rows(services: Services, world: MarkedWorld, endpoint: str, role: Role) -> int:
    page = services.access_log.page(
        AccessFilter(customer_ids=[world.person, world.organisation]), limit=10_000
    )
    return sum(a.endpoint == endpoint and a.user_role == role.value for a in page.accesses)


def test_the_routes_the_issue_named_declare_access_logging(app: FastAPI) -> None:
    declared = {(method, path) for method, path, route in endpoints(app) if logs_access(route)}
    assert declared >= ACCESS_LOGGED_ROUTES, ACCESS_LOGGED_ROUTES - declared


@pytest.mark.parametrize("role", list(Role))
def test_every_route_returning_personal_data_declares_it_and_logs_each_read_for_the_role(
    app: FastAPI, services: Services, as_role: RoleHeaders, marked: MarkedWorld, role: Role
) -> None:
    """Declared routes leave a log row per role they let through; undeclared routes never
    return the marked person's name, e-mail or consent evidence."""
    api = TestClient(app)
    checked = 0
    for method, path, route in endpoints(app):
        if path in PUBLIC_PATHS or role not in roles_with(ENDPOINT_PERMISSIONS[(method, path)]):
            continue
        client = marked.page_clients[role] if is_page(path) else api
        headers = {} if is_page(path) else as_role[role]
        how = request_for(method, path, marked, client)
        if how is None or (method, path) == ("POST", "/ui/logout"):
            continue
        endpoint = f"{method} {path}"
        before = logged_rows(services, marked, endpoint, role)
        response = client.request(method, filled(path, marked), headers=headers, **how)
        assert response.status_code < 500, f"{role} {endpoint}: {response.status_code}"
        if logs_access(route):
            checked += 1
            after = logged_rows(services, marked, endpoint, role)
            assert after > before, f"{role} {endpoint} ({response.status_code}) logged nothing"
        else:
            text = response.text.lower()
            for secret in (marked.marker.lower(), marked.email):
                assert secret not in text, f"{role} {endpoint} returns personal data undeclared"
    assert checked or role is Role.ADMIN
