"""The journey scenarios on the in-memory event store (no I/O)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from crm.application.crm import CRM
from crm.domain import events as ev
from tests.factories import in_memory_crm, provenance, register
from tests.scenarios import JourneyScenarios


@pytest.fixture
def crm() -> CRM:
    return in_memory_crm()


@pytest.fixture
def fresh_crm(crm: CRM) -> CRM:
    """A second application over the same stored events and keys, with nothing cached."""
    fresh = CRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, keys=crm.keys, identities=crm.identities
    )
    fresh.recorder = crm.recorder
    fresh.events.recorder = crm.recorder
    return fresh


class TestJourneyInMemory(JourneyScenarios):
    pass


def test_a_copied_customer_shares_no_mutable_state_with_the_original(crm: CRM) -> None:
    customer = crm.get_customer(register(crm))
    clone = copy.deepcopy(customer)
    clone.record_touchpoint(
        provenance(),
        ev.ConsentGiven,
        {"notes": None, "purpose": "newsletter", "lawful_basis": "consent", "evidence": "x"},
        now=datetime.now(UTC),
    )
    assert clone.consent_changes and not customer.consent_changes
    assert len(clone.recorded_keys) == len(customer.recorded_keys) + 1
    assert clone.pending_events and not customer.pending_events
    assert clone.id == customer.id and clone.version == customer.version + 1
