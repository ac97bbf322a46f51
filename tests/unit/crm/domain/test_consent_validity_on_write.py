"""A marketing contact needs a consent that is still valid when it is recorded, whether or not
the expiry job has recorded the expiry yet (in-memory store)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from crm.application.crm import CRM
from crm.domain.calendar import months_after
from crm.domain.errors import ConsentRequiredError
from tests.factories import START, day, in_memory_crm, provenance, register

NOW = START + timedelta(days=1000)
CONSENT = {
    "purpose": "email_marketing",
    "lawful_basis": "consent",
    "evidence": "form",
    "notes": None,
}
EMAIL = {"purpose": "email_marketing", "campaign": "Syksy", "notes": None}


@pytest.fixture
def crm() -> CRM:
    return in_memory_crm(lambda: NOW)


@pytest.fixture
def consented(crm: CRM) -> UUID:
    customer_id = register(crm)
    crm.record_touchpoint(customer_id, provenance(day(1)), "consent_given", dict(CONSENT))
    return customer_id


def test_a_contact_after_the_default_validity_is_refused_before_any_expiry_is_recorded(
    crm: CRM, consented: UUID
) -> None:
    last_valid = months_after(day(1), 24) - timedelta(seconds=1)
    crm.record_touchpoint(consented, provenance(last_valid), "marketing_email_sent", dict(EMAIL))
    with pytest.raises(ConsentRequiredError):
        crm.record_touchpoint(
            consented, provenance(months_after(day(1), 24)), "marketing_email_sent", dict(EMAIL)
        )


def test_the_configured_validity_decides(crm: CRM, consented: UUID) -> None:
    crm.consent_validity_months = 1
    with pytest.raises(ConsentRequiredError):
        crm.record_touchpoint(consented, provenance(day(40)), "marketing_email_sent", dict(EMAIL))
    assert crm.get_customer(consented).has_consent("email_marketing", day(40), 2)
