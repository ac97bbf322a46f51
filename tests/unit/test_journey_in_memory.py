"""The journey scenarios on the in-memory event store (no I/O)."""

from __future__ import annotations

import os

import pytest

from crm.application import CRM
from crm.identity import InMemoryIdentityIndex
from crm.keys import InMemoryKeyRing
from tests.scenarios import JourneyScenarios


@pytest.fixture
def crm() -> CRM:
    return CRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        keys=InMemoryKeyRing(os.urandom(32)),
        identities=InMemoryIdentityIndex(os.urandom(32)),
    )


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
