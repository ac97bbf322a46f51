"""Digimentors on the pages: naming a person digimentor from the person's or the
organisation's page, ending the role, the refusals, and the list for account managers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import provenance, register, unique


@pytest.fixture
def am(app: FastAPI, services: Services) -> Iterator[TestClient]:
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as client:
        yield client


def post(client: TestClient, url: str, **fields: Any) -> Any:
    return client.post(url, data={"csrf_token": page_csrf(client), **fields})


def company(services: Services, owner: str) -> tuple[UUID, UUID, str]:
    organisation = register(
        services.crm, "organisation", name=unique("Mentorointi Oy"), account_manager=owner
    )
    name = unique("Diana Digimentori")
    person = register(services.crm, name=name)
    services.crm.start_affiliation(person, provenance(), organisation, "IT-päällikkö")
    wait_until_caught_up(services.projector, services.views.refresh())
    return organisation, person, name


def test_an_account_manager_names_a_digimentor_and_finds_them_in_the_list(
    am: TestClient, services: Services
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:8]}"
    services.users.add(owner, Role.ACCOUNT_MANAGER, None)
    organisation, person, name = company(services, owner)
    page = am.get(f"/ui/customers/{person}")
    assert "Nimeä digimentoriksi" in page.text
    named = post(am, f"/ui/customers/{person}/digimentor-roles", other_id=str(organisation))
    assert named.status_code == 303, named.text
    shown = am.get(named.headers["location"])
    assert "Nimetty digimentoriksi." in shown.text
    assert "Päätä digimentorin rooli" in shown.text
    organisation_page = am.get(f"/ui/customers/{organisation}").text
    assert 'class="badge on">Digimentori<' in organisation_page
    assert f'href="/ui/digimentors?organisation={organisation}"' in organisation_page

    listed = am.get("/ui/digimentors", params={"organisation": str(organisation)})
    assert listed.status_code == 200
    assert name in listed.text and "1\u20131 / 1" in listed.text
    assert owner in listed.text
    by_owner = am.get("/ui/digimentors", params={"owner": owner})
    assert name in by_owner.text
    nobody = am.get("/ui/digimentors", params={"owner": "ei-ketään"})
    assert nobody.status_code == 200 and name not in nobody.text
    assert "Ei digimentoreita" in nobody.text
    assert am.get("/ui/digimentors", params={"organisation": "x"}).status_code == 404

    ended = post(am, f"/ui/customers/{organisation}/digimentor-roles/{person}/end")
    assert ended.status_code == 303, ended.text
    assert "Digimentorin rooli päätetty." in am.get(ended.headers["location"]).text
    after = am.get("/ui/digimentors", params={"organisation": str(organisation)})
    assert name not in after.text and "Ei digimentoreita" in after.text


def test_refusals_are_pages_in_the_ui_language_naming_what_is_wrong(
    am: TestClient, services: Services
) -> None:
    organisation, person, _ = company(services, "x")
    outsider = register(services.crm, name=unique("Ulkopuolinen"))
    refused = post(am, f"/ui/customers/{outsider}/digimentor-roles", other_id=str(organisation))
    assert refused.status_code == 409
    assert "ei toimi tässä organisaatiossa" in refused.text
    unpicked = post(am, f"/ui/customers/{person}/digimentor-roles", other_id="ei-tunniste")
    assert unpicked.status_code == 422
    missing = post(am, f"/ui/customers/{uuid.uuid4()}/digimentor-roles", other_id=str(person))
    assert missing.status_code == 404
    never = post(am, f"/ui/customers/{person}/digimentor-roles/{organisation}/end")
    assert never.status_code == 409
    assert "ei ole tämän organisaation digimentori" in never.text


def test_marketing_reads_the_list_but_gets_no_buttons_and_finance_is_refused(
    app: FastAPI, services: Services
) -> None:
    organisation, person, _ = company(services, "x")
    services.crm.name_digimentor(person, provenance(), organisation)
    wait_until_caught_up(services.projector, services.views.refresh())
    with sign_in(app, new_user(services, Role.MARKETING)) as marketing:
        listed = marketing.get("/ui/digimentors", params={"organisation": str(organisation)})
        assert listed.status_code == 200 and "1\u20131 / 1" in listed.text
        page = marketing.get(f"/ui/customers/{person}")
        assert "Digimentori" in page.text and "Päätä digimentorin rooli" not in page.text
    with sign_in(app, new_user(services, Role.FINANCE)) as finance:
        assert finance.get("/ui/digimentors").status_code == 403
