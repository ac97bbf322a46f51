"""The journey scenarios against real PostgreSQL."""

from __future__ import annotations

import pytest

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
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


def test_another_process_forgets_a_destroyed_key_once_its_cache_entry_expires(
    crm: CRM, fresh_crm: CRM
) -> None:
    from tests.factories import register

    customer_id = register(crm, name="Välimuisti Testi")
    fresh_crm.keys.cache_seconds = 0.0
    assert fresh_crm.get_journey(customer_id)[0].name == "Välimuisti Testi"  # type: ignore[attr-defined]
    crm.keys.destroy(customer_id)
    assert fresh_crm.get_journey(customer_id)[0].name is None  # type: ignore[attr-defined]
