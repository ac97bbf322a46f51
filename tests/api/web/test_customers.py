"""Customer pages as marketing: contact details as consent allows, restriction marked."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.users import Role
from projections.engine.runner import wait_until_caught_up
from tests.api.web_client import new_user, sign_in
from tests.factories import contact_cast


def test_marketing_pages_show_a_consented_email_only_and_mark_the_restricted(
    app: FastAPI, services: Services
) -> None:
    cast = contact_cast(services.crm, datetime.now(UTC))
    wait_until_caught_up(services.projector, services.views.refresh())
    marketing = sign_in(app, new_user(services, Role.MARKETING))
    results = marketing.get("/ui/customers", params={"q": cast.name}).text
    assert cast.emails[cast.consented] in results
    assert cast.emails[cast.silent] not in results
    assert cast.emails[cast.restricted] not in results
    assert results.count("badge off") == 1  # the restricted one is marked
    for customer_id in (cast.consented, cast.silent, cast.restricted):
        page = marketing.get(f"/ui/customers/{customer_id}").text
        assert cast.phone not in page
        assert (cast.emails[customer_id] in page) == (customer_id == cast.consented)
        assert ('id="restricted-badge"' in page) == (customer_id == cast.restricted)
    am = sign_in(app, new_user(services, Role.ACCOUNT_MANAGER))
    page = am.get(f"/ui/customers/{cast.silent}").text
    assert cast.emails[cast.silent] in page and cast.phone in page
