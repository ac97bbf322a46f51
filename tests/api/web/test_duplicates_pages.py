"""The probable-duplicates page: an account manager's own pairs with their evidence, in the
UI's language, and what the list covers."""

from __future__ import annotations

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.views.directory import CustomerDirectory
from tests.api.web_client import new_user, page_csrf, sign_in
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


def test_compare_merge_and_undo_from_the_pages(app: FastAPI, services: Services) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    local = unique("olli.aho").replace("-", ".")
    first = register(
        services.crm, name="Olli Aho", email=f"{local}@firma.fi", account_manager=manager
    )
    second = register(
        services.crm,
        name="Olli Aho",
        email=f"{local}2@gmail.com",
        phone="050 123 4567",
        account_manager=manager,
    )
    assert services.views.get(CustomerDirectory).wait_for(services.projector.head(), WAIT)
    with sign_in(app, manager) as client:
        listing = client.get("/ui/duplicates").text
        assert f"/ui/duplicates/compare?first={min(first, second)}" in listing
        compare = client.get(
            "/ui/duplicates/compare", params={"first": str(first), "second": str(second)}
        )
        assert compare.status_code == 200 and "050 123 4567" in compare.text
        form = {
            "csrf_token": page_csrf(client),
            "first": str(first),
            "second": str(second),
            "survivor": "first",
            "value_phone": "second",
            "reason": "Sama henkilö, työ- ja kotiosoite",
            "idempotency_key": unique("merge"),
        }
        merged = client.post("/ui/duplicates/merge", data=form)
        assert merged.status_code == 303, merged.text
        assert merged.headers["location"] == f"/ui/customers/{first}?msg=merged"
        page = client.get(merged.headers["location"]).text
        assert "Asiakkaat yhdistetty." in page and "Tähän yhdistetyt asiakastiedot" in page
        assert "050 123 4567" in page
        absorbed_page = client.get(f"/ui/customers/{second}").text
        assert "Tämä asiakastieto on yhdistetty asiakkaaseen" in absorbed_page
        undo = client.post(
            f"/ui/customers/{first}/merges/{second}/undo",
            data={"csrf_token": page_csrf(client), "reason": "Eri henkilöt"},
        )
        assert undo.status_code == 303, undo.text
        page = client.get(undo.headers["location"]).text
        assert "Yhdistäminen peruttu." in page and "Tähän yhdistetyt" not in page
        assert services.crm.get_customer(second).merged_into is None
        assert services.crm.get_customer(first).phone is None


def test_an_account_manager_cannot_merge_another_managers_customer_from_the_page(
    app: FastAPI, services: Services
) -> None:
    manager = new_user(services, Role.ACCOUNT_MANAGER)
    mine = register(services.crm, name="Eeva Oja", account_manager=manager)
    theirs = register(services.crm, name="Eeva Oja", account_manager="someone.else")
    with sign_in(app, manager) as client:
        form = {
            "csrf_token": page_csrf(client),
            "first": str(mine),
            "second": str(theirs),
            "survivor": "first",
            "reason": "Sama",
        }
        response = client.post("/ui/duplicates/merge", data=form)
        assert response.status_code == 403
        assert "vain omia asiakkaitaan" in response.text
    assert services.crm.get_customer(theirs).merged_into is None
