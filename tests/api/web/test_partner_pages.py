"""The partner network's pages: an admin revises a tier, an account manager records a benefit
(refused in the page's language when the tier lacks it) and Digi Fellow membership, and the
programme page lists the member and the event it took part in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from api.cli.demo_data import PARTNER_TIERS
from crm.application.users import Role
from crm.domain.partner_tier import PartnerTierExistsError
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from tests.api.web_client import new_user, page_csrf, sign_in
from tests.factories import record, register, unique


def tiers(services: Services) -> None:
    for code, terms in PARTNER_TIERS.items():
        try:
            recorded = services.partners.add_tier(code, terms, "test")
        except PartnerTierExistsError:
            recorded = services.partners.revise_tier(code, terms, "test")
        services.views.get(PartnerTiers).wait_for(recorded.position, 10)


def organisation_in_tier(services: Services, tier: str) -> UUID:
    organisation = register(services.crm, "organisation", name=unique("Kumppani Oy"))
    record(services.crm, organisation, datetime.now(UTC) - timedelta(days=500),
           "partner_membership_started", tier=tier)  # fmt: skip
    return organisation


def test_an_admin_revises_a_tier_on_the_page_and_everyone_reads_it(
    app: FastAPI, services: Services
) -> None:
    tiers(services)
    with sign_in(app, new_user(services, Role.ADMIN)) as admin:
        saved = admin.post(
            "/ui/partner-tiers",
            data={"csrf_token": page_csrf(admin), "code": "free",
                  "name_fi": "Kumppani (maksuton)", "name_en": "Partner (free)",
                  "annual_fee": "0", "benefits": ["partner_search", "visibility"]},
        )  # fmt: skip
        assert saved.status_code == 303, saved.text
    try:
        with sign_in(app, new_user(services, Role.FINANCE)) as finance:
            page = finance.get("/ui/partner-tiers")
            assert page.status_code == 200
            assert "Kumppani (maksuton)" in page.text and "näkyvyys" in page.text
            assert 'id="tier-form"' not in page.text  # only admins maintain the tiers
    finally:
        tiers(services)


def test_a_benefit_the_tier_lacks_is_refused_on_the_page_in_its_language(
    app: FastAPI, services: Services
) -> None:
    tiers(services)
    organisation = organisation_in_tier(services, "free")
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as manager:
        for language, text in (("fi", "Tason maksuton etuihin ei kuulunut näkyvyys"),
                               ("en", "The free tier did not include visibility")):  # fmt: skip
            manager.cookies.set("crm_lang", language)
            refused = manager.post(
                f"/ui/customers/{organisation}/partner-benefits",
                data={"csrf_token": page_csrf(manager), "benefit": "visibility"},
            )
            assert refused.status_code == 409, refused.text
            assert text in refused.text
        manager.cookies.set("crm_lang", "fi")
        used = manager.post(
            f"/ui/customers/{organisation}/partner-benefits",
            data={"csrf_token": page_csrf(manager), "benefit": "partner_search"},
        )
        assert used.status_code == 303, used.text
        page = manager.get(used.headers["location"])
        assert "Käytetty etu kirjattu" in page.text and "kumppanihaku \u00d7 1" in page.text


def test_a_member_and_its_event_show_on_the_programme_page(
    app: FastAPI, services: Services
) -> None:
    tiers(services)
    organisation = organisation_in_tier(services, "paid")
    name = services.crm.get_customer(organisation).name
    with sign_in(app, new_user(services, Role.ACCOUNT_MANAGER)) as manager:
        joined = manager.post(
            f"/ui/customers/{organisation}/programmes",
            data={"csrf_token": page_csrf(manager), "programme": "digi_fellow",
                  "action": "join", "occurred_at": "1.1.2026"},
        )  # fmt: skip
        assert joined.status_code == 303, joined.text
        again = manager.post(
            f"/ui/customers/{organisation}/programmes",
            data={"csrf_token": page_csrf(manager), "programme": "digi_fellow", "action": "join"},
        )
        assert again.status_code == 409
        assert "Organisaatio on jo ohjelmassa Digi Fellow" in again.text
    attended = record(services.crm, organisation, datetime(2026, 2, 10, 12, tzinfo=UTC),
                      "event_attended", event_name="Työpaja", organiser="own",
                      event_format="event", programme="digi_fellow")  # fmt: skip
    assert services.views.get(Partners).wait_for(attended, 10)
    with sign_in(app, new_user(services, Role.MARKETING)) as marketing:
        page = marketing.get("/ui/programmes/digi_fellow", params={"events_offset": "0"})
        assert page.status_code == 200
        assert str(name) in page.text and "10.2.2026" in page.text
        assert marketing.get("/ui/programmes/other").status_code == 404
