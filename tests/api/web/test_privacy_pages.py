"""The DPO's consent audit page and what a customer page shows of consent once erased."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from fastapi import FastAPI

from api.bootstrap.wiring import Services
from crm.application.privacy import Privacy
from crm.application.users import Role
from crm.domain import events as ev
from projections.views.timeline import Timeline
from tests.api.web_client import new_user, sign_in
from tests.factories import day, provenance, record, register

PURPOSE = "newsletter"


def contacts_without_consent(services: Services, count: int, start_day: int) -> tuple[UUID, int]:
    """A customer with `count` newsletters sent without consent (bypassing the rule, as an
    import of old data might), one a day from `start_day`; its last log position."""
    customer = services.crm.get_customer(register(services.crm))
    for n in range(count):
        customer.trigger_event(
            ev.NewsletterSent,
            **provenance(day(start_day + n)).as_fields(),
            notes=None,
            newsletter="monthly",
        )
    [*_, last] = services.crm.save(customer)
    return customer.id, last.notification.id


def test_the_audit_page_counts_every_contact_pages_violations_and_exports_them_all(
    app: FastAPI, services: Services
) -> None:
    customer_id, position = contacts_without_consent(services, 53, start_day=2000)
    assert services.views.get(Timeline).wait_for(position, 10)
    window = {"start": day(2000).date().isoformat(), "end": day(2060).date().isoformat()}
    query = f"start={window['start']}&end={window['end']}&purpose={PURPOSE}"
    with sign_in(app, new_user(services, Role.DPO)) as dpo:
        first = dpo.get(f"/ui/privacy/consent-audit?{query}")
        second = dpo.get(f"/ui/privacy/consent-audit?{query}&offset=50")
        exported = dpo.get(f"/ui/privacy/consent-audit.csv?{query}")
    assert first.status_code == 200, first.text
    assert re.search(r'data-total="contacts">53<', first.text)
    assert re.search(r'data-total="violations">53<', first.text)
    assert "1\u201350 / 53" in first.text and 'rel="next"' in first.text
    assert "51\u201353 / 53" in second.text and 'rel="prev"' in second.text
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 53
    assert {row["customer_id"] for row in rows} == {str(customer_id)}
    assert {row["violation"] for row in rows} == {"no valid consent"}


def test_an_erased_customers_page_shows_no_consent_state(app: FastAPI, services: Services) -> None:
    customer_id = register(services.crm)
    record(
        services.crm, customer_id, day(1) + timedelta(hours=1), "consent_given",
        purpose=PURPOSE, lawful_basis="consent", evidence="form",
    )  # fmt: skip
    privacy: Privacy = services.privacy
    reader = new_user(services, Role.ACCOUNT_MANAGER)
    with sign_in(app, reader) as am:
        before = am.get(f"/ui/customers/{customer_id}").text
        privacy.erase_customer(customer_id, "dpo", "art. 17", uuid4(), datetime.now(UTC))
        after = am.get(f"/ui/customers/{customer_id}").text
    assert 'data-consents="erased"' not in before and "badge on" in before
    assert 'data-consents="erased"' in after
    consents = after.split('data-consents="erased"')[1].split("</section>")[0]
    assert "badge on" not in consents
