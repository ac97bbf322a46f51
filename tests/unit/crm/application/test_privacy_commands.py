"""The DPO's restriction commands run through the CRM's one command runner."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from crm.adapters.encryption import InMemoryKeyRing
from crm.application import crm as crm_module
from crm.application.crm import CRM
from crm.application.privacy import InMemoryErasureRegister, Privacy
from crm.domain.identity import InMemoryIdentityIndex
from tests.factories import provenance
from tests.scenarios import register


@pytest.fixture
def privacy() -> Privacy:
    crm = CRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        keys=InMemoryKeyRing(os.urandom(32)),
        identities=InMemoryIdentityIndex(os.urandom(32)),
    )
    return Privacy(crm, InMemoryErasureRegister())


def test_a_restriction_that_loses_a_write_race_backs_off_before_deciding_again(
    privacy: Privacy, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = register(privacy.crm)
    save = privacy.crm.save
    collisions = [IntegrityError("another writer won")]

    def save_after_a_collision(*objs: Any, **kwargs: Any) -> Any:
        if collisions:
            raise collisions.pop()
        return save(*objs, **kwargs)

    pauses: list[float] = []
    monkeypatch.setattr(privacy.crm, "save", save_after_a_collision)
    monkeypatch.setattr(crm_module.time, "sleep", pauses.append)

    recorded = privacy.restrict_processing(customer_id, provenance(), "accuracy contested")

    assert len(pauses) == 1
    assert privacy.crm.get_customer(customer_id).version == recorded.version
