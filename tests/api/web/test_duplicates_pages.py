"""The probable-duplicates page: an account manager's own pairs with their evidence, in the
UI's language, and what the list covers."""

from __future__ import annotations

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.views.directory import CustomerDirectory
from tests.api.web_client import new_user, sign_in
from tests.factories import register, unique

WAIT = 10.0


def test_the_page_lists_own_pairs_with_evidence_and_what_it_covers(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    local = unique("sanna.koski").replace("-", ".")
    for email in (f"{local}@tamk.example", f"{local}5@gmail.com"):
        register(services.crm, name="Sanna Koski", email=email, account_manager=manager)
    assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), WAIT)
    with sign_in(app, manager) as client:
        page = client.get("/ui/duplicates")
        assert page.status_code == 200
        assert "sähköpostin alkuosan muunnelma" in page.text
        assert f"{local}5@gmail.com" in page.text
        assert "1\N{EN DASH}1 / 1" in page.text
        client.get("/ui/language/en")
        english = client.get("/ui/duplicates?offset=25").text
        assert "Probable duplicates" in english, english
        assert "0\N{EN DASH}0 / 1" in english, english


def test_roles_that_do_not_merge_are_refused_the_page(app: FastAPI, services: Services) -> None:
    with sign_in(app, new_user(services, Role.MARKETING)) as client:
        assert client.get("/ui/duplicates").status_code == 403
