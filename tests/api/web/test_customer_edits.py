"""Creating and editing customers through the pages: duplicates, corrections, owners, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations
from projections.views.timeline import Timeline
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import provenance, purchase, register, unique


@pytest.fixture
def am(app: FastAPI, services: Services) -> Iterator[TestClient]:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        yield client


def caught_up(services: Services) -> None:
    """Wait until the views the pages read have applied every event so far."""
    head = services.crm.recorder.max_notification_id()
    for view in (CustomerDirectory, Organisations, CustomerIndicators, Timeline):
        assert services.views.get(view).wait_for(head, 10)


def post(client: TestClient, url: str, **fields: Any) -> Any:
    return client.post(url, data={"csrf_token": page_csrf(client), **fields})


def test_a_person_created_from_the_page_opens_with_a_saved_notice(
    am: TestClient, services: Services
) -> None:
    name = unique("Maija Messut")
    response = post(am, "/ui/customers/new", kind="person", name=name, phone="+358 40 9")
    assert response.status_code == 303, response.text
    page = am.get(response.headers["location"])
    assert name in page.text
    assert "Asiakas tallennettu." in page.text
    customer_id = UUID(response.headers["location"].split("/")[-1].split("?")[0])
    assert services.crm.get_customer(customer_id).phone == "+358 40 9"


def test_a_known_email_is_shown_with_a_link_and_nothing_is_created(
    am: TestClient, services: Services
) -> None:
    email = f"{unique('known')}@example.fi"
    existing = register(services.crm, email=email, name=unique("Known Person"))
    response = post(am, "/ui/customers/new", kind="person", name="Someone Else", email=email)
    assert response.status_code == 409
    assert f"/ui/customers/{existing}" in response.text
    assert "confirmed" not in response.text, "a known e-mail cannot be created again"
    assert services.crm.find_by_email(email) == existing


def test_a_close_name_warns_and_the_user_may_continue(am: TestClient, services: Services) -> None:
    name = unique("Virtanen Oy")
    existing = register(services.crm, "organisation", name=name)
    caught_up(services)
    fields = {"kind": "organisation", "customer_type": "private_organisation", "name": name}
    warned = post(am, "/ui/customers/new", **fields, idempotency_key=unique("k"))
    assert warned.status_code == 409
    assert f"/ui/customers/{existing}" in warned.text
    created = post(am, "/ui/customers/new", **fields, confirmed="yes", idempotency_key=unique("k"))
    assert created.status_code == 303
    assert str(existing) not in created.headers["location"]


def test_an_organisation_without_a_type_or_a_name_is_refused_naming_the_fields(
    am: TestClient,
) -> None:
    response = post(am, "/ui/customers/new", kind="organisation", customer_type="robot", name="")
    assert response.status_code == 422
    assert 'id="nc-name-error"' in response.text
    assert 'id="nc-type-error"' in response.text


def test_a_corrected_email_shows_on_the_page_and_the_timeline_with_who_made_it(
    am: TestClient, services: Services
) -> None:
    old, new = f"{unique('old')}@example.fi", f"{unique('new')}@example.fi"
    customer_id = register(services.crm, email=old)
    url = f"/ui/customers/{customer_id}"
    response = post(am, f"{url}/profile", email=new, name="", phone="")
    assert response.status_code == 303
    page = am.get(response.headers["location"]).text
    assert new in page
    assert "Yhteystiedot korjattu." in page
    assert "Tietoja korjattu" in page, "the correction is on the timeline"
    assert services.crm.find_by_email(old) is None
    assert services.crm.find_by_email(new) == customer_id
    other = register(services.crm, email=f"{unique('other')}@example.fi")
    refused = post(am, f"/ui/customers/{other}/profile", email=new)
    assert refused.status_code == 422
    assert 'id="pf-email-error"' in refused.text


def test_the_owner_is_assigned_from_the_customer_page(am: TestClient, services: Services) -> None:
    customer_id = register(services.crm)
    owner = unique("anna")
    response = post(am, f"/ui/customers/{customer_id}/owner", account_manager=owner)
    assert response.status_code == 303
    assert services.crm.get_customer(customer_id).account_manager == owner
    assert owner in am.get(f"/ui/customers/{customer_id}").text
    empty = post(am, f"/ui/customers/{customer_id}/owner", account_manager="")
    assert empty.status_code == 422


def test_roles_are_added_and_ended_from_either_side_and_the_organisation_page_adds_up(
    am: TestClient, services: Services
) -> None:
    org_name = unique("Tampereen Teräs Oy")
    organisation = register(services.crm, "organisation", name=org_name)
    person_name = unique("Pekka Putki")
    person = register(services.crm, name=person_name)
    purchase(services.crm, person, provenance().occurred_at, unique("P"), "1800")
    caught_up(services)
    added = post(am, f"/ui/customers/{person}/affiliations", other=org_name, role="CTO")
    assert added.status_code == 303, added.text
    person_page = am.get(f"/ui/customers/{person}").text
    assert f'href="/ui/customers/{organisation}">{org_name}</a> · CTO' in person_page
    shown_text = re.sub(r"<[^>]+>", "", person_page)
    assert str(organisation) not in shown_text, "the employer is shown by name, never by id"
    org_page = am.get(f"/ui/customers/{organisation}").text
    assert f'href="/ui/customers/{person}">{person_name}</a> · CTO' in org_page
    assert "1 800 €" in org_page
    rollup = services.views.get(Organisations).rollup(
        organisation,
        services.views.get(CustomerIndicators),
        services.views.get(MergeMap),
        provenance().occurred_at,
    )
    assert rollup is not None and rollup["people"]["revenue"] == Decimal(1800)
    ended = post(am, f"/ui/customers/{organisation}/affiliations/{person}/end")
    assert ended.status_code == 303
    assert person_name not in am.get(f"/ui/customers/{organisation}").text
    assert services.crm.get_customer(person).affiliations == {}
    again = post(am, f"/ui/customers/{organisation}/affiliations", other=person_name, role="CEO")
    assert again.status_code == 303
    assert "CEO" in am.get(f"/ui/customers/{person}").text


def test_a_name_that_matches_several_organisations_asks_which(
    am: TestClient, services: Services
) -> None:
    stem = unique("Kaksoset")
    for suffix in ("Oy", "Ab"):
        register(services.crm, "organisation", name=f"{stem} {suffix}")
    person = register(services.crm)
    caught_up(services)
    response = post(am, f"/ui/customers/{person}/affiliations", other=stem)
    assert response.status_code == 422
    assert response.text.count('name="other_id"') == 2
    none = post(am, f"/ui/customers/{person}/affiliations", other=unique("Nobody"))
    assert none.status_code == 422
    assert "Ei osumia" in none.text
