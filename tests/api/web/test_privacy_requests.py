"""The DPO's request pages: receiving is not erasing; completing needs the request to be open."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from api.web import privacy_requests
from crm.application.users import Role
from crm.domain.calendar import HELSINKI
from tests.api.web_client import csrf_of, new_user, sign_in
from tests.factories import register, unique


def request_form(client: TestClient, customer_id: UUID, **fields: str) -> dict[str, str]:
    """The receive form as the customer page hands it out, filled in."""
    page = client.get(f"/ui/customers/{customer_id}").text
    request_id = re.search(r'name="request_id" value="([^"]+)"', page)
    assert request_id, "the page has no request form"
    received = (datetime.now(HELSINKI) - timedelta(days=5)).date().isoformat()
    return {
        "customer_id": str(customer_id), "request_id": request_id.group(1),
        "csrf_token": csrf_of(page), "kind": "erasure", "channel": "email",
        "identity_check": "strong_electronic_id", "received_on": received,
        "details": "Erase me, wrote Erkki", **fields,
    }  # fmt: skip


def test_the_dpo_receives_an_erasure_then_completes_it_and_prints_the_certificate(
    app: FastAPI, services: Services
) -> None:
    name = unique("Erkki Poistettava")
    customer_id = register(services.crm, name=name)
    dpo_name = new_user(services, Role.DPO)
    with sign_in(app, dpo_name) as dpo:
        form = request_form(dpo, customer_id)
        received = dpo.post("/ui/privacy/requests", data=form)
        location = f"/ui/privacy/requests/{form['request_id']}"
        assert received.status_code == 303 and received.headers["location"] == location
        assert not services.crm.get_customer(customer_id).erased  # receiving is not erasing
        again = dpo.post("/ui/privacy/requests", data=form)
        assert again.headers["location"] == location  # one request, not two
        open_page = dpo.get(location).text
        listed = dpo.get("/ui/privacy/requests?status=open").text
        csrf = csrf_of(open_page)
        unconfirmed = dpo.post(f"{location}/complete", data={"csrf_token": csrf})
        done = dpo.post(f"{location}/complete", data={"csrf_token": csrf, "confirm": "yes"})
        certificate = dpo.get(location).text
    assert "Erase me, wrote Erkki" in open_page and 'id="complete-form"' in open_page
    assert location in listed
    assert unconfirmed.status_code == 422 and "Vahvista poisto" in unconfirmed.text
    assert done.status_code == 303
    assert services.crm.get_customer(customer_id).erased
    assert 'id="certificate"' in certificate and dpo_name in certificate
    assert "data-print" in certificate and "WAL" in certificate
    assert name not in certificate and "Erkki" not in certificate
    assert 'id="complete-form"' not in certificate


def test_a_request_form_with_a_future_day_or_no_text_comes_back_naming_the_field(
    app: FastAPI, services: Services
) -> None:
    customer_id = register(services.crm)
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        tomorrow = (datetime.now(HELSINKI) + timedelta(days=2)).date().isoformat()
        future = dpo.post(
            "/ui/privacy/requests", data=request_form(dpo, customer_id, received_on=tomorrow)
        )
        empty = dpo.post("/ui/privacy/requests", data=request_form(dpo, customer_id, details=""))
        bad_day = dpo.post(
            "/ui/privacy/requests", data=request_form(dpo, customer_id, received_on="5.5.")
        )
    assert future.status_code == 422 and "ei voi olla tulevaisuudessa" in future.text
    assert empty.status_code == 422 and "Kirjoita, mitä pyydettiin" in empty.text
    assert bad_day.status_code == 422 and "vvvv-kk-pp" in bad_day.text
    stored = services.privacy.list_requests("all", datetime.now(HELSINKI), 100_000)
    assert all(r.customer_id != customer_id for r in stored)


def test_an_access_request_gives_a_readable_copy_in_finnish_or_english(
    app: FastAPI, services: Services
) -> None:
    name = unique("Aino Tarkastaja")
    customer_id = register(services.crm, name=name)
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        form = request_form(dpo, customer_id, kind="access", details="copy please")
        location = dpo.post("/ui/privacy/requests", data=form).headers["location"]
        finnish = dpo.get(f"{location}/document?language=fi").text
        english = dpo.get(f"{location}/document?language=en").text
    assert name in finnish and "Sinusta tallennetut tiedot" in finnish
    assert name in english and "The data we hold about you" in english


def test_the_dpo_restricts_and_lifts_processing_from_the_customer_page(
    app: FastAPI, services: Services
) -> None:
    customer_id = register(services.crm)
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        page = dpo.get(f"/ui/customers/{customer_id}").text
        form = {"customer_id": str(customer_id), "csrf_token": csrf_of(page)}
        missing = dpo.post("/ui/privacy/restrictions", data=form)
        dpo.post("/ui/privacy/restrictions", data={**form, "reason": "accuracy contested"})
        restricted = dpo.get(f"/ui/customers/{customer_id}").text
        dpo.post("/ui/privacy/restrictions", data={**form, "reason": "checked", "lift": "yes"})
        lifted = dpo.get(f"/ui/customers/{customer_id}").text
    assert missing.status_code == 422 and "Kirjoita peruste" in missing.text
    assert 'id="restricted-badge"' in restricted and "Pura rajoitus" in restricted
    assert 'id="restricted-badge"' not in lifted
    assert not services.crm.get_customer(customer_id).restricted


def test_an_account_manager_can_neither_receive_nor_complete_requests(
    app: FastAPI, services: Services
) -> None:
    customer_id = register(services.crm)
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as am:
        page = am.get(f"/ui/customers/{customer_id}").text
        response = am.post(
            "/ui/privacy/requests",
            data={"customer_id": str(customer_id), "csrf_token": csrf_of(page)},
        )
    assert 'id="request-form"' not in page
    assert response.status_code == 403


def test_a_request_list_cut_at_its_limit_says_so(
    app: FastAPI, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = register(services.crm, name=unique("Lista"))
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        for _ in range(2):
            assert dpo.post("/ui/privacy/requests", data=request_form(dpo, customer_id)).is_redirect
        whole = dpo.get("/ui/privacy/requests?status=all").text
        monkeypatch.setattr(privacy_requests, "LIST_LIMIT", 1)
        cut = dpo.get("/ui/privacy/requests?status=all").text
    assert 'id="requests-cut"' not in whole
    assert "1\u20131 / 1+" in cut and 'id="requests-cut"' in cut
