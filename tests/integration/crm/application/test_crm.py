"""The journey scenarios against real PostgreSQL."""

from __future__ import annotations

from uuid import UUID

import pytest

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
from crm.domain import events as ev
from tests.factories import register
from tests.scenarios import JourneyScenarios


@pytest.fixture
def crm(services: Services) -> CRM:
    return services.crm


@pytest.fixture
def fresh_crm(other_process: Services) -> CRM:
    """A second process's view: its own application, caches and connections."""
    return other_process.crm


class TestJourneyOnPostgres(JourneyScenarios):
    store_knows_positions = True


def registration_of(crm: CRM, customer_id: UUID) -> ev.Registered:
    registered = crm.get_journey(customer_id)[0]
    assert isinstance(registered, ev.Registered)
    return registered


def test_another_process_forgets_a_destroyed_key_once_its_cache_entry_expires(
    crm: CRM, fresh_crm: CRM
) -> None:
    customer_id = register(crm, name="Välimuisti Testi")
    fresh_crm.keys.cache_seconds = 0.0
    assert registration_of(fresh_crm, customer_id).name == "Välimuisti Testi"
    crm.keys.destroy(customer_id)
    assert registration_of(fresh_crm, customer_id).name is None
