"""The web UI through HTTP: sign-in, session cookie, CSRF, the customer page by role, language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap.wiring import Services
from api.cli.main import app as cli
from api.web.templating import local_time
from crm.application.users import Role
from crm.domain.calendar import HELSINKI
from crm.domain.events import TOUCHPOINT_KINDS
from projections.views.directory import CustomerDirectory
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.timeline import COMMON as COMMON_FIELDS
from projections.views.timeline import Timeline
from tests.api.web_client import PASSWORD, csrf_of, new_user, page_csrf, sign_in
from tests.factories import provenance, register, unique
from tests.processes import crm_environment


def person_with_a_call(
    services: Services, name: str, notes: str, topic: str, phone: str | None = None
) -> UUID:
    """A person in ICT with an inbound phone call whose notes are personal free text."""
    customer_id = register(services.crm, name=name, phone=phone, sector="ICT")
    call = services.crm.record_touchpoint(
        customer_id,
        provenance(),
        "phone_call_made",
        {"notes": notes, "direction": "inbound", "topic": topic, "marketing_purpose": None},
    )
    assert services.views.get(Timeline).wait_for(call.position, 5)
    return customer_id


@pytest.fixture(scope="module")
def customer(services: Services) -> UUID:
    """A person with a phone call whose notes are personal free text."""
    return person_with_a_call(services, unique("Liisa"), "Secret plans", "Prices")


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
    assert "2.5.2025 10.30" in shown


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
    from api.bootstrap.settings import Settings

    settings: Settings = services.settings
    name = unique("cli")
    env = crm_environment(settings, run_projections="false")
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
        erasures = dpo.get("/ui/privacy/requests?status=all")
        unknown = dpo.get("/ui/privacy/consents/not-a-customer")
    assert audit.status_code == 200 and "Suostumusauditointi" in audit.text
    assert history.status_code == 200 and "Suostumushistoria" in history.text
    assert erasures.status_code == 200
    assert unknown.status_code == 404


def touch(services: Services, customer_id: UUID, at: datetime, kind: str, **fields: Any) -> int:
    """Record a touchpoint of `kind` with the given own fields; returns its log position."""
    own: dict[str, Any] = {
        f.name: None
        for f in dataclasses.fields(TOUCHPOINT_KINDS[kind])
        if f.name not in COMMON_FIELDS
    }
    own.update(fields)
    recorded = services.crm.record_touchpoint(customer_id, provenance(at), kind, own)
    assert recorded.position is not None
    return recorded.position


def owned(services: Services, manager: str, kind: str = "organisation") -> tuple[UUID, str]:
    name = unique("Omistettu")
    recorded = services.crm.register_customer(
        provenance(datetime.now(UTC) - timedelta(days=800)),
        customer_kind=kind,
        customer_type="private_organisation" if kind == "organisation" else "individual",
        name=name,
        email=f"{unique('o')}@example.fi",
        account_manager=manager,
    )
    return recorded.customer_id, name


def settle(services: Services, position: int) -> None:
    """Wait until every view the pages below read has applied `position`."""
    for view_class in (CustomerDirectory, CustomerIndicators, Funnel):
        assert services.views.get(view_class).wait_for(position, 10)


def section(html: str, table_id: str) -> str:
    """The HTML of one table of a page ('' if the page has no such table)."""
    start = html.find(f'id="{table_id}"')
    return "" if start < 0 else html[start : html.index("</table>", start)]


def test_my_customers_lists_the_managers_open_leads_oldest_first(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    now = datetime.now(UTC)
    mine, mine_name = owned(services, manager, "person")
    theirs, theirs_name = owned(services, unique("other.am"), "person")
    ids = {name: unique(name) for name in ("old", "new", "done", "theirs")}
    for lead, customer_id, days in (
        ("new", mine, 3),
        ("old", mine, 40),
        ("done", mine, 60),
        ("theirs", theirs, 50),
    ):
        touch(
            services,
            customer_id,
            now - timedelta(days=days),
            "lead_captured",
            lead_id=ids[lead],
            source_channel="fair",
            target_group="ICT companies",
        )
    touch(services, mine, now - timedelta(days=30), "lead_qualified", lead_id=ids["old"])
    touch(services, mine, now - timedelta(days=50), "lead_qualified", lead_id=ids["done"])
    position = touch(
        services, mine, now - timedelta(days=20), "lead_converted", lead_id=ids["done"]
    )
    settle(services, position)

    with sign_in(app, manager) as client:
        leads = section(client.get("/ui/my-customers").text, "open-leads")
    assert ids["old"] in leads and ids["new"] in leads
    assert leads.index(ids["old"]) < leads.index(ids["new"])
    assert ids["done"] not in leads and ids["theirs"] not in leads
    assert mine_name in leads and theirs_name not in leads
    row = leads[leads.index(ids["old"]) :]
    assert "hyväksytty" in row.split("</tr>")[0] and "<td>40</td>" in row.split("</tr>")[0]


def test_my_customers_lists_partners_whose_last_review_is_over_eleven_months_old(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    now = datetime.now(UTC)
    overdue, overdue_name = owned(services, manager)
    recent, recent_name = owned(services, manager)
    for customer_id, reviewed_days_ago in ((overdue, 395), (recent, 30)):
        touch(
            services,
            customer_id,
            now - timedelta(days=700),
            "partner_membership_started",
            tier="paid",
        )
        position = touch(
            services, customer_id, now - timedelta(days=reviewed_days_ago), "annual_review_held"
        )
    settle(services, position)

    with sign_in(app, manager) as client:
        reviews = section(client.get("/ui/my-customers").text, "due-reviews")
    assert overdue_name in reviews and recent_name not in reviews
    reviewed = (now - timedelta(days=395)).astimezone(HELSINKI).date()
    due = reviewed.replace(year=reviewed.year + 1)
    assert local_time(reviewed) in reviews and local_time(due) in reviews


ROW = re.compile(r'<tr data-(?:band|stage)="([^"]+)"><td>[^<]*</td><td>(\d+)</td></tr>')


def distributions(client: TestClient) -> dict[str, int]:
    """Band and stage counts as the dashboard shows them in its tables."""
    html = client.get("/ui/dashboard").text
    return {key: int(count) for key, count in ROW.findall(html)}


def test_the_dashboard_counts_customers_per_engagement_band_and_lifecycle_stage(
    app: FastAPI, services: Services
) -> None:
    client = sign_in(app, new_user(services, Role.MARKETING))
    now = datetime.now(UTC) - timedelta(hours=1)
    # Every earlier test's events are applied once this probe's are.
    probe, _ = owned(services, unique("am"))
    settle(services, touch(services, probe, now, "company_visited", topic="Probe"))
    before = distributions(client)
    manager = unique("am")
    owned(services, manager, "person")  # no touchpoints: 0, prospect
    visitor, _ = owned(services, manager)
    touch(services, visitor, now, "company_visited", topic="Needs")  # about 4, prospect
    buyer, _ = owned(services, manager)
    touch(services, buyer, now, "company_visited", topic="Offer")
    touch(
        services,
        buyer,
        now,
        "purchase_made",
        purchase_id="P1",
        offering="AI",
        offering_type="company_training",
        amount=Decimal("900"),
    )  # about 9, customer
    partner, _ = owned(services, manager)
    touch(services, partner, now, "partner_membership_started", tier="paid")
    touch(services, partner, now, "annual_review_held")
    position = touch(services, partner, now, "company_visited", topic="Review")  # about 13
    settle(services, position)

    after = distributions(client)
    assert {key: after[key] - before[key] for key in after} == {
        "0-1": 1,
        "1-5": 1,
        "5-10": 1,
        "10-20": 1,
        "20-50": 0,
        "50+": 0,
        "prospect": 2,
        "lead": 0,
        "customer": 1,
        "repeat_customer": 0,
        "partner": 1,
        "lapsed": 0,
    }
    bands = ("0-1", "1-5", "5-10", "10-20", "20-50", "50+")
    assert sum(after[band] for band in bands) == sum(after.values()) / 2


def test_a_form_sent_twice_is_one_entry_and_its_token_is_stored_only_hashed(
    am: TestClient, customer: UUID, services: Services
) -> None:
    token = unique("form-token")
    form = {
        "kind": "company_visited",
        "topic": "Visit sent twice",
        "occurred_at": "2025-05-03T09:00",
        "institution": "TTY",
        "channel": "company_visit",
        "idempotency_key": token,
        "csrf_token": page_csrf(am),
    }
    before = len(services.crm.recorder.select_events(customer))
    first = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    again = am.post(f"/ui/customers/{customer}/touchpoints", data=form)
    assert (first.status_code, again.status_code) == (303, 303)
    stored = services.crm.recorder.select_events(customer)
    assert len(stored) == before + 1
    assert all(token.encode() not in event.state for event in stored)
