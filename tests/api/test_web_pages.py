"""The web UI through HTTP: sign-in, session cookie, CSRF, the customer page by role, language."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.users import Role
from api.wiring import Services
from projections.timeline import Timeline
from tests.api.web_client import PASSWORD, csrf_of, new_user, page_csrf, sign_in
from tests.factories import provenance, unique


@pytest.fixture(scope="module")
def app(services: Services) -> FastAPI:
    built = create_app(services=services)
    # Clients below are used without a `with` block, which would run the lifespan that sets it.
    built.state.services = services
    return built


@pytest.fixture(scope="module")
def customer(services: Services) -> UUID:
    """A person with a phone call whose notes are personal free text."""
    recorded = services.crm.register_customer(
        provenance(),
        customer_kind="person",
        customer_type="individual",
        name=unique("Liisa"),
        email=f"{unique('l')}@example.fi",
        phone=None,
        sector="ICT",
        account_manager=None,
    )
    call = services.crm.record_touchpoint(
        recorded.customer_id,
        provenance(),
        "phone_call_made",
        {
            "notes": "Secret plans",
            "direction": "inbound",
            "topic": "Prices",
            "marketing_purpose": None,
        },
    )
    assert services.views.get(Timeline).wait_for(call.position, 5)
    return recorded.customer_id


@pytest.fixture
def am(app: FastAPI, services: Services) -> Iterator[TestClient]:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        yield client


def test_signing_in_sets_an_httponly_samesite_session_cookie(
    app: FastAPI, services: Services
) -> None:
    name = new_user(services, Role.DPO)
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/ui/login").text)
    response = client.post(
        "/ui/login", data={"name": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "crm_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https sets Secure


def test_a_wrong_password_is_refused_with_401(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.MARKETING)
    client = TestClient(app, follow_redirects=False)
    token = csrf_of(client.get("/ui/login").text)
    wrong = client.post("/ui/login", data={"name": name, "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401
    assert client.get("/ui/customers").status_code == 401


def test_an_api_token_signs_in_too(app: FastAPI, services: Services) -> None:
    token = services.users.add(unique("tok"), Role.ACCOUNT_MANAGER)
    client = TestClient(app, follow_redirects=False)
    csrf = csrf_of(client.get("/ui/login").text)
    response = client.post("/ui/login", data={"token": token, "csrf_token": csrf})
    assert response.status_code == 303
    assert client.get("/ui/my-customers").status_code == 200


def test_a_form_without_the_sessions_csrf_token_records_nothing(
    am: TestClient, customer: UUID, services: Services
) -> None:
    before = services.views.get(Timeline).count(customer)
    form = {"kind": "company_visited", "topic": "Forged", "csrf_token": "forged"}
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 403
    assert services.views.get(Timeline).count(customer) == before


def test_login_form_needs_its_csrf_token(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.ADMIN)
    client = TestClient(app, follow_redirects=False)
    response = client.post("/ui/login", data={"name": name, "password": PASSWORD})
    assert response.status_code == 403


def test_an_account_manager_records_a_touchpoint_through_the_form(
    am: TestClient, customer: UUID
) -> None:
    page = am.get(f"/ui/customers/{customer}?record_kind=company_visited")
    assert 'id="tp-topic"' in page.text
    form = {
        "kind": "company_visited",
        "topic": "Coaching for the team",
        "occurred_at": "2025-05-02T10:30",
        "institution": "TTY",
        "channel": "company_visit",
        "notes": "Wants an offer",
        "idempotency_key": unique("form"),
        "csrf_token": csrf_of(page.text),
    }
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 303
    shown = am.get(response.headers["location"]).text
    assert "Coaching for the team" in shown and "Wants an offer" in shown
    assert "2.5.2025 10:30" in shown


def test_a_form_missing_a_required_field_is_shown_again_with_422(
    am: TestClient, customer: UUID
) -> None:
    form = {"kind": "company_visited", "csrf_token": page_csrf(am), "notes": "kept"}
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text and "kept" in response.text


def test_a_marketing_contact_without_consent_is_refused_with_409(
    am: TestClient, customer: UUID
) -> None:
    form = {
        "kind": "marketing_email_sent",
        "purpose": "email_marketing",
        "campaign": "Spring",
        "csrf_token": page_csrf(am),
    }
    response = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert response.status_code == 409


def test_marketing_sees_the_profile_but_no_timeline_and_no_notes(
    app: FastAPI, services: Services, customer: UUID
) -> None:
    with sign_in(app, new_user(services, Role.MARKETING)) as client:
        page = client.get(f"/ui/customers/{customer}").text
    assert "ICT" in page
    assert "Secret plans" not in page and 'id="timeline"' not in page and 'id="record"' not in page


def test_the_dpo_reads_the_timeline_with_notes_but_records_nothing(
    app: FastAPI, services: Services, customer: UUID
) -> None:
    with sign_in(app, new_user(services, Role.DPO)) as client:
        page = client.get(f"/ui/customers/{customer}").text
    assert "Secret plans" in page and 'id="record"' not in page


def test_the_timeline_filters_by_kind(am: TestClient, customer: UUID) -> None:
    page = am.get(f"/ui/customers/{customer}?kind=registered").text
    assert "kind-registered" in page and "kind-phone_call_made" not in page


def test_the_language_switch_changes_the_texts(am: TestClient, customer: UUID) -> None:
    assert "Asiakaspolku" in am.get(f"/ui/customers/{customer}").text
    am.get("/ui/language/en?next=/ui")
    page = am.get(f"/ui/customers/{customer}").text
    assert "Timeline" in page and 'lang="en"' in page


def test_a_revoked_users_session_stops_working(app: FastAPI, services: Services) -> None:
    name = new_user(services, Role.ACCOUNT_MANAGER)
    client = sign_in(app, name)
    assert client.get("/ui/my-customers").status_code == 200
    services.users.revoke(name)
    assert client.get("/ui/my-customers").status_code == 401


def test_an_admin_adds_a_user_who_can_then_sign_in(app: FastAPI, services: Services) -> None:
    admin = sign_in(app, new_user(services, Role.ADMIN))
    name = unique("new")
    form = {
        "name": name,
        "role": "dpo",
        "password": "long enough pw",
        "csrf_token": page_csrf(admin),
    }
    response = admin.post("/ui/admin/users", data=form)
    assert response.status_code == 201 and name in response.text
    assert sign_in(app, name, "long enough pw").get("/ui/customers").status_code == 200
    short = {**form, "name": unique("x"), "password": "short"}
    assert admin.post("/ui/admin/users", data=short).status_code == 422


def test_the_cli_adds_a_user_with_a_password(services: Services, app: FastAPI) -> None:
    from api.settings import Settings

    settings: Settings = services.settings
    name = unique("cli")
    env = {
        "CRM_DATABASE_URL": services.database_url,
        "CRM_DATA_DIR": str(settings.data_dir),
        "CRM_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "CRM_BLIND_INDEX_KEY": (
            settings.blind_index_key.get_secret_value() if settings.blind_index_key else ""
        ),
        "CRM_RUN_PROJECTIONS": "false",
    }
    result = CliRunner().invoke(
        cli,
        ["users", "add", name, "--role", "marketing", "--password"],
        input="a fine password\na fine password\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert services.users.authenticate(name, "a fine password") is not None
    assert services.users.authenticate(name, "another one") is None


def test_reading_a_customer_page_is_logged_and_the_dpo_sees_it_in_the_access_log(
    app: FastAPI, services: Services, customer: UUID
) -> None:
    reader = new_user(services, Role.ACCOUNT_MANAGER)
    with sign_in(app, reader) as client:
        assert client.get(f"/ui/customers/{customer}").status_code == 200
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        page = dpo.get(f"/ui/privacy/access-log?customer={customer}").text
    assert reader in page and "GET /ui/customers/{customer_id}" in page


def test_the_dpo_pages_render_audit_history_and_erasures(
    app: FastAPI, services: Services, customer: UUID
) -> None:
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        audit = dpo.get("/ui/privacy/consent-audit?start=2020-01-01&purpose=newsletter")
        history = dpo.get(f"/ui/privacy/consents/{customer}")
        erasures = dpo.get("/ui/privacy/erasures?status=all")
        unknown = dpo.get("/ui/privacy/consents/not-a-customer")
    assert audit.status_code == 200 and "Suostumusauditointi" in audit.text
    assert history.status_code == 200 and "Suostumushistoria" in history.text
    assert erasures.status_code == 200
    assert unknown.status_code == 404
