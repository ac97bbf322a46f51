"""The web UI's quality rules over HTTP, for every form and page: field errors in the UI's
language naming the field, Finnish dates and times, error pages instead of JSON, API docs
with their assets served by the app."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.web.i18n import LANGUAGES, TEXTS, field_problem, translate
from crm.application.users import Role
from crm.domain.calendar import HELSINKI
from crm.domain.offering import OfferingTerms
from projections.views.timeline import Timeline
from tests.api.web_client import csrf_of, new_user, page_csrf, sign_in
from tests.factories import register, unique
from tests.pages import fill, pages

ENGLISH_FROM_PYDANTIC = ("Field required", "String should", "Input should", "value is not")


@dataclass(frozen=True)
class BadInput:
    """What a form is sent that it must refuse, as whom, and the text naming the field."""

    role: Role | None
    data: Callable[[], dict[str, str]]
    expected: Callable[[str], str]


def label(key: str) -> Callable[[str], str]:
    return lambda language: translate(language, key)


def problem(field: str, error_type: str) -> Callable[[str], str]:
    return lambda language: field_problem(language, field, error_type)


BAD_INPUT: dict[str, BadInput] = {
    "/ui/login": BadInput(None, lambda: {"name": "n" * 101, "password": "x"}, label("field.name")),
    "/ui/customers/{customer_id}/touchpoints": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"kind": "feedback_given", "score": "11", "next_review_due": ""},
        label("field.score"),
    ),
    "/ui/privacy/requests": BadInput(
        Role.DPO,
        lambda: {"kind": "access", "received_on": "31.2.", "channel": "other"},
        label("request.bad_date"),
    ),
    "/ui/privacy/requests/{request_id}/{action}": BadInput(
        Role.DPO, lambda: {"reason": ""}, label("request.error.extend.reason")
    ),
    "/ui/privacy/restrictions": BadInput(
        Role.DPO, lambda: {"reason": ""}, label("restrict.reason_missing")
    ),
    "/ui/customers/{customer_id}/tasks": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"task_kind": "call", "due_on": "31.2.", "title": "Soita"},
        problem("due_on", "date"),
    ),
    "/ui/customers/{customer_id}/tasks/{task_id}/complete": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"notes": "n" * 5000}, problem("task_id", "not_found")
    ),
    "/ui/customers/{customer_id}/tasks/{task_id}/cancel": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"reason": "r" * 5000}, problem("task_id", "not_found")
    ),
    "/ui/customers/{customer_id}/entries/{version}/retraction": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"action": "correct", "occurred_at": "", "reason": "Väärä aika"},
        problem("occurred_at", "missing"),
    ),
    "/ui/pipeline/{customer_id}/move": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"lead_id": "L-00000000", "move": "lose", "reason": ""},
        problem("reason", "missing"),
    ),
    "/ui/duplicates/merge": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"survivor": "first", "reason": ""},
        label("merge.reason_missing"),
    ),
    "/ui/customers/{customer_id}/merges/{absorbed_id}/undo": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"reason": ""}, label("merge.reason_missing")
    ),
    "/ui/admin/users": BadInput(
        Role.ADMIN, lambda: {"name": "no spaces allowed", "role": "dpo"}, label("users.bad_name")
    ),
    "/ui/segments/builder": BadInput(
        Role.MARKETING,
        lambda: {"action": "save", "name": "", "rule": '{"sector": "ICT"}'},
        label("field.name"),
    ),
    "/ui/segments/{segment_id}/export": BadInput(
        Role.MARKETING, lambda: {"purpose": "spam"}, label("field.purpose")
    ),
    "/ui/imports": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"timezone": "Mars/Olympus"}, label("field.timezone")
    ),
    "/ui/imports/run": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"token": "no-such-upload"}, label("imports.expired")
    ),
    # These forms show their problem under the labelled field (aria-describedby).
    "/ui/customers": BadInput(Role.MARKETING, lambda: {"q": "q" * 201}, label("field.q")),
    "/ui/admin/users/{name}/role": BadInput(
        Role.ADMIN, lambda: {"role": "boss"}, label("users.role_invalid")
    ),
    "/ui/admin/service-tokens": BadInput(
        Role.ADMIN,
        lambda: {"name": "chat", "role": "marketing", "permission": "run_privacy"},
        label("tokens.bad_permissions"),
    ),
    "/ui/customers/new": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"kind": "person", "name": ""}, label("error.required")
    ),
    "/ui/customers/{customer_id}/profile": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"name": "n" * 201}, label("error.too_long")
    ),
    "/ui/customers/{customer_id}/owner": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"account_manager": ""}, label("error.required")
    ),
    "/ui/customers/{customer_id}/affiliations": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"other": f"no-such-{uuid.uuid4().hex[:8]}", "role": "CTO"},
        label("error.no_match"),
    ),
    "/ui/offerings": BadInput(
        Role.MARKETING,
        lambda: {
            "code": f"Q-{uuid.uuid4().hex[:8]}",
            "name_fi": "Laatu",
            "name_en": "Quality",
            "offering_type": "open_training",
            "institution": "TAMK",
            "list_price": "paljon",
        },
        problem("list_price", "decimal_parsing"),
    ),
    "/ui/offerings/{code}/state": BadInput(
        Role.ADMIN, lambda: {"action": "explode"}, label("field.action")
    ),
    "/ui/offerings/{code}": BadInput(
        Role.MARKETING,
        lambda: {
            "name_fi": "Laatu",
            "name_en": "Quality",
            "offering_type": "open_training",
            "institution": "TAMK",
            "list_price": "paljon",
        },
        problem("list_price", "decimal_parsing"),
    ),
    "/ui/customers/{customer_id}/digimentor-roles": BadInput(
        Role.ACCOUNT_MANAGER, lambda: {"other_id": "ei-tunniste"}, label("error.choose")
    ),
    "/ui/finance/invoices": BadInput(
        Role.FINANCE,
        lambda: {
            "customer_id": str(uuid.uuid4()),
            "purchase_id": "P-1",
            "invoice_number": "1",
            "invoice_date": "31.2.2026",
            "due_date": "2026-03-15",
            "amount": "100",
        },
        problem("invoice_date", "date"),
    ),
    "/ui/finance/payments": BadInput(
        Role.FINANCE,
        lambda: {
            "customer_id": str(uuid.uuid4()),
            "invoice_number": "1",
            "action": "pay",
            "on": "2026-03-15",
            "amount": "-100",
        },
        label("field.amount"),
    ),
    "/ui/partner-tiers": BadInput(
        Role.ADMIN,
        lambda: {
            "code": "paid",
            "name_fi": "Maksullinen",
            "name_en": "Paid",
            "annual_fee": "paljon",
        },
        problem("annual_fee", "decimal_parsing"),
    ),
    "/ui/partners/{organisation_id}/review": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"outcome": "continues", "next_review_due": "31.2.2027"},
        problem("next_review_due", "date_parsing"),
    ),
    "/ui/customers/{customer_id}/partner-benefits": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"benefit": "programme_discount", "purchase_id": "P-1", "discount_amount": "x"},
        problem("discount_amount", "decimal_parsing"),
    ),
    "/ui/customers/{customer_id}/programmes": BadInput(
        Role.ACCOUNT_MANAGER,
        lambda: {"action": "explode", "programme": "digi_fellow"},
        label("field.action"),
    ),
}
"""A bad submission for every form of the web UI."""

NO_FORM_INPUT = {
    "/ui/logout": "a button with no fields",
    "/ui/admin/users/{name}/revoke": "a button with no fields",
    "/ui/admin/users/{name}/sessions/{number}/revoke": "a button with no fields",
    "/ui/admin/service-tokens/{number}/revoke": "a button with no fields",
    "/ui/segments/count": "the builder script's live count, answered as JSON",
    "/ui/customers/{customer_id}/affiliations/{other_id}/end": "a button with no fields",
    "/ui/customers/{customer_id}/digimentor-roles/{other_id}/end": "a button with no fields",
}
"""POST pages that take nothing a person types."""


@pytest.fixture(scope="module")
def place(services: Services) -> dict[str, object]:
    """Values for the pages' path parameters: a customer and a segment that exist."""
    segment = services.segment_store.create(unique("Laatu"), {"sector": "ICT"}, None, "test")
    customer_id = register(services.crm, name=unique("Laatu"))
    now = datetime.now(UTC)
    received = services.privacy.receive_request(
        customer_id,
        "access",
        received_at=now,
        channel="other",
        identity_check="not_verified",
        details="Tiedot",
        handled_by="test",
        request_id=uuid.uuid4(),
        now=now,
    )
    return {
        "name": new_user(services, Role.MARKETING),
        "customer_id": customer_id,
        "segment_id": segment.segment_id,
        "task_id": f"no-such-task-{uuid.uuid4().hex[:8]}",
        "absorbed_id": uuid.uuid4(),
        "version": 1,
        "request_id": received.request_id,
        "action": "extend",
        # An offering that exists, so its revise form is what refuses the bad input.
        "code": services.catalogue.add_offering(
            f"Q-{uuid.uuid4().hex[:8]}",
            OfferingTerms("Laatu", "Quality", "open_training", "TAMK", Decimal(10), None),
            "test",
        ).code,
        "organisation_id": customer_id,
    }


@pytest.fixture(scope="module")
def clients(app: FastAPI, services: Services) -> Iterator[dict[Role | None, TestClient]]:
    signed_in: dict[Role | None, TestClient] = {
        role: sign_in(app, new_user(services, role)) for role in Role
    }
    signed_in[None] = TestClient(app, follow_redirects=False)
    yield signed_in
    for client in signed_in.values():
        client.close()


def in_language(client: TestClient, language: str) -> TestClient:
    client.cookies.set("crm_lang", language)
    return client


def test_every_form_of_the_ui_has_a_bad_input_case(app: FastAPI) -> None:
    assert set(pages(app, "POST")) == set(BAD_INPUT) | set(NO_FORM_INPUT)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", sorted(BAD_INPUT))
def test_every_form_refuses_bad_input_naming_the_field_in_the_uis_language(
    clients: dict[Role | None, TestClient], place: dict[str, object], path: str, language: str
) -> None:
    case = BAD_INPUT[path]
    client = in_language(clients[case.role], language)
    token = csrf_of(client.get("/ui/login").text) if case.role is None else page_csrf(client)
    data = {"csrf_token": token, **case.data()}
    if path in ("/ui/privacy/requests", "/ui/privacy/restrictions"):
        data["customer_id"] = str(place["customer_id"])
    response = client.post(fill(path, place), data=data)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert case.expected(language) in response.text
    assert not [phrase for phrase in ENGLISH_FROM_PYDANTIC if phrase in response.text]
    other = LANGUAGES[1 - LANGUAGES.index(language)]
    if case.expected(other) != case.expected(language):
        assert case.expected(other) not in response.text


def test_every_problem_text_exists_in_finnish_and_english_and_names_the_field() -> None:
    problems = {key: texts for key, texts in TEXTS.items() if key.startswith("problem.")}
    assert len(problems) > 10
    for key, (finnish, english) in problems.items():
        assert finnish.startswith("{field}: ") and english.startswith("{field}: "), key
        assert finnish != english, key


def test_a_bad_score_is_named_by_its_label_in_finnish(
    clients: dict[Role | None, TestClient], place: dict[str, object]
) -> None:
    client = in_language(clients[Role.ACCOUNT_MANAGER], "fi")
    response = client.post(
        f"/ui/customers/{place['customer_id']}/touchpoints",
        data={"csrf_token": page_csrf(client), "kind": "feedback_given", "score": "11"},
    )
    assert response.status_code == 422
    assert "Arvosana (0-10): enintään 10." in response.text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("1.12.2025 14.30", "1.12.2025 14.30"), ("2025-12-01T14:30", "1.12.2025 14.30")],
)
def test_the_touchpoint_form_takes_finnish_and_iso_times_as_finnish_time(
    clients: dict[Role | None, TestClient], services: Services, typed: str, shown: str
) -> None:
    customer_id = register(services.crm, name=unique("Aika"))
    client = in_language(clients[Role.ACCOUNT_MANAGER], "fi")
    response = client.post(
        f"/ui/customers/{customer_id}/touchpoints",
        data={
            "csrf_token": page_csrf(client),
            "kind": "phone_call_made",
            "occurred_at": typed,
            "direction": "inbound",
            "topic": "Hinnat",
        },
    )
    assert response.status_code == 303, response.text
    rows, _ = services.views.get(Timeline).page(customer_id, limit=10, include_personal=False)
    calls = [row for row in rows if row["kind"] == "phone_call_made"]
    assert calls[0]["occurred_at"] == datetime(2025, 12, 1, 14, 30, tzinfo=HELSINKI)
    assert shown in client.get(f"/ui/customers/{customer_id}").text


def test_the_next_review_date_takes_a_finnish_date_and_is_a_date_input(
    clients: dict[Role | None, TestClient], services: Services
) -> None:
    customer_id = register(services.crm, "organisation", name=unique("Kumppani Oy"))
    client = in_language(clients[Role.ACCOUNT_MANAGER], "fi")
    started = client.post(
        f"/ui/customers/{customer_id}/touchpoints",
        data={
            "csrf_token": page_csrf(client),
            "kind": "partner_membership_started",
            "tier": "paid",
        },
    )
    assert started.status_code == 303, started.text
    form = client.get(f"/ui/customers/{customer_id}?record_kind=annual_review_held").text
    assert 'name="next_review_due" type="date"' in form
    response = client.post(
        f"/ui/customers/{customer_id}/touchpoints",
        data={
            "csrf_token": page_csrf(client),
            "kind": "annual_review_held",
            "next_review_due": "1.12.2027",
        },
    )
    assert response.status_code == 303, response.text
    shown = client.get(f"/ui/customers/{customer_id}").text
    assert "<dt>Seuraava vuositarkastus</dt><dd>1.12.2027</dd>" in shown


def test_a_date_that_is_no_date_is_refused_naming_the_field(
    clients: dict[Role | None, TestClient], services: Services
) -> None:
    customer_id = register(services.crm, name=unique("Aika"))
    client = in_language(clients[Role.ACCOUNT_MANAGER], "en")
    response = client.post(
        f"/ui/customers/{customer_id}/touchpoints",
        data={"csrf_token": page_csrf(client), "kind": "phone_call_made", "occurred_at": "31.2."},
    )
    assert response.status_code == 422
    assert "When it happened: write a time such as 1.12.2027 14.30" in response.text


def test_a_consent_refusal_gives_the_moment_in_finnish_time(
    clients: dict[Role | None, TestClient], services: Services
) -> None:
    customer_id = register(services.crm, name=unique("Suostumus"))
    client = in_language(clients[Role.ACCOUNT_MANAGER], "fi")
    response = client.post(
        f"/ui/customers/{customer_id}/touchpoints",
        data={
            "csrf_token": page_csrf(client),
            "kind": "marketing_email_sent",
            # 23.30 in Helsinki in June is 20.30 UTC.
            "occurred_at": "2.6.2025 23.30",
            "purpose": "email_marketing",
            "campaign": "Kevät",
        },
    )
    assert response.status_code == 409
    assert "sähköpostimarkkinointi" in response.text and "2.6.2025 23.30" in response.text
    assert "20.30" not in response.text and "20:30" not in response.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_ui_address_answers_an_html_404_in_the_uis_language(
    clients: dict[Role | None, TestClient], language: str
) -> None:
    for role in (Role.ACCOUNT_MANAGER, None):
        client = in_language(clients[role], language)
        response = client.get(f"/ui/no-such-page-{uuid.uuid4().hex[:6]}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert translate(language, "error.page_not_found") in response.text
        assert f'<html lang="{language}">' in response.text


def test_a_wrong_method_on_a_page_answers_an_html_405(
    clients: dict[Role | None, TestClient],
) -> None:
    response = in_language(clients[Role.ACCOUNT_MANAGER], "en").delete("/ui/customers")
    assert response.status_code == 405
    assert translate("en", "error.method") in response.text
    assert "GET" in response.headers["allow"]


def test_api_paths_keep_answering_json(client: TestClient) -> None:
    missing = client.get("/no-such-endpoint")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}


def test_an_unknown_customer_page_answers_the_html_404(
    clients: dict[Role | None, TestClient],
) -> None:
    client = in_language(clients[Role.DPO], "fi")
    response = client.get(f"/ui/customers/{UUID(int=0)}")
    assert response.status_code == 404
    assert translate("fi", "error.not_found") in response.text


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_their_assets_from_the_app_only(client: TestClient, path: str) -> None:
    page = client.get(path).text
    assert "cdn." not in page and "fonts.googleapis" not in page
    assets = [part.split('"')[0] for part in page.split('="/docs/assets/')[1:]]
    assert assets
    for asset in assets:
        fetched = client.get(f"/docs/assets/{asset}")
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 1000, asset
