"""The offering catalogue page: marketing adds and retires offerings, everyone reads the list."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from crm.domain.offering import OfferingTerms
from projections.views.offerings import Offerings
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import register, unique


def test_marketing_adds_and_retires_an_offering_and_finance_reads_it(
    app: FastAPI, services: Services
) -> None:
    code = f"WEB-{uuid.uuid4().hex[:8].upper()}"
    with sign_in(app, new_user(services, Role.MARKETING)) as marketing:
        added = marketing.post(
            "/ui/offerings",
            data={
                "csrf_token": page_csrf(marketing),
                "code": code.lower(),
                "name_fi": "Tekoälyn perusteet",
                "name_en": "AI basics",
                "offering_type": "open_training",
                "institution": "TTY",
                "list_price": "1 290,50",
                "credits": "5",
            },
        )
        assert added.status_code == 303, added.text
        shown = marketing.get(added.headers["location"])
        assert "Tuote lisätty luetteloon" in shown.text
        assert code in shown.text and "1 290.50 €" in shown.text
        again = marketing.post(
            "/ui/offerings",
            data={"csrf_token": page_csrf(marketing), "code": code, "name_fi": "x",
                  "name_en": "x", "offering_type": "coaching", "institution": "TTY",
                  "list_price": "1"},
        )  # fmt: skip
        assert again.status_code == 409 and code in again.text
        retired = marketing.post(
            f"/ui/offerings/{code}/state",
            data={"csrf_token": page_csrf(marketing), "action": "retire"},
        )
        assert retired.status_code == 303
        assert "poistettu myynnistä" in marketing.get(retired.headers["location"]).text
    with sign_in(app, new_user(services, Role.FINANCE)) as finance:
        finance.cookies.set("crm_lang", "en")
        page = finance.get("/ui/offerings", params={"text": code, "state": "retired"})
        assert page.status_code == 200
        assert "AI basics" in page.text and "1\u20131 / 1" in page.text
        assert 'id="offering-form"' not in page.text, "finance reads but does not maintain"
        assert "Retire" not in page.text and "Reinstate" not in page.text


def test_the_record_form_offers_the_catalogue_codes(app: FastAPI, services: Services) -> None:
    code = f"FORM-{uuid.uuid4().hex[:8].upper()}"
    terms = OfferingTerms(
        "Uravalmennus", "Career coaching", "coaching", "joint", Decimal(900), None
    )
    added = services.catalogue.add_offering(code, terms, "test")
    assert services.views.get(Offerings).wait_for(added.position, 10)
    customer = register(services.crm, name=unique("Ostaja"))
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as am:
        page = am.get(f"/ui/customers/{customer}", params={"record_kind": "purchase_made"})
        assert page.status_code == 200
        assert 'list="tp-offering_code-codes"' in page.text
        assert f'<option value="{code}">Uravalmennus</option>' in page.text


def test_marketing_revises_an_offering_on_its_page_and_bad_input_names_the_field(
    app: FastAPI, services: Services
) -> None:
    code = f"REV-{uuid.uuid4().hex[:8].upper()}"
    terms = OfferingTerms("Johtaminen", "Leadership", "open_training", "TAMK", Decimal(300), None)
    services.catalogue.add_offering(code, terms, "test")
    with sign_in(app, new_user(services, Role.MARKETING)) as marketing:
        listed = marketing.get("/ui/offerings", params={"text": code})
        assert f'href="/ui/offerings/{code}/edit"' in listed.text
        page = marketing.get(f"/ui/offerings/{code.lower()}/edit")
        assert page.status_code == 200
        assert 'value="Johtaminen"' in page.text and 'value="300.00"' in page.text
        form = {"csrf_token": page_csrf(marketing), "name_fi": "Johtaminen 2.0",
                "name_en": "Leadership 2.0", "offering_type": "company_training",
                "institution": "TaY", "list_price": "450,5", "credits": "3"}  # fmt: skip
        bad = marketing.post(f"/ui/offerings/{code}", data={**form, "list_price": "paljon"})
        assert bad.status_code == 422
        assert 'id="oe-list_price-error"' in bad.text and 'value="paljon"' in bad.text
        revised = marketing.post(f"/ui/offerings/{code}", data=form)
        assert revised.status_code == 303, revised.text
        shown = marketing.get(revised.headers["location"])
        assert "Tuotteen tiedot päivitetty" in shown.text and "Johtaminen 2.0" in shown.text
        assert marketing.post("/ui/offerings/NOPE-404", data=form).status_code == 404
        assert marketing.get("/ui/offerings/NOPE-404/edit").status_code == 404
    offering = services.catalogue.get_offering(code)
    assert offering.terms is not None
    assert (offering.terms.name_en, offering.terms.list_price, offering.terms.credits) == (
        "Leadership 2.0",
        Decimal("450.50"),
        Decimal(3),
    )
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as am:
        assert am.get(f"/ui/offerings/{code}/edit").status_code == 403
        assert f'href="/ui/offerings/{code}/edit"' not in am.get("/ui/offerings").text
