"""The DPO's commands run through the CRM's one command runner; requests listed by status."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from crm.application.privacy import (
    ErasureRequest,
    InMemoryErasureRegister,
    Privacy,
    RequestStatus,
)
from tests.factories import in_memory_crm, provenance, register


@pytest.fixture
def privacy() -> Privacy:
    return Privacy(in_memory_crm(), InMemoryErasureRegister())


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
    # The back-off sleeps through `time.sleep`, which the CRM module calls by attribute.
    monkeypatch.setattr(time, "sleep", pauses.append)

    recorded = privacy.restrict_processing(customer_id, provenance(), "accuracy contested")

    assert len(pauses) == 1
    assert privacy.crm.get_customer(customer_id).version == recorded.version


def test_erasure_requests_are_listed_all_open_or_overdue_as_the_dpo_asks(
    privacy: Privacy,
) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)

    def receive(received_at: datetime) -> ErasureRequest:
        return privacy.requests.receive(
            ErasureRequest(uuid4(), uuid4(), "dpo", "art. 17", received_at, received_at)
        )

    done = receive(now - timedelta(days=60))
    privacy.requests.complete(done.request_id, now - timedelta(days=50), {})
    late = receive(now - timedelta(days=40))
    due_later = receive(now + timedelta(days=1))

    def ids(status: RequestStatus) -> list[UUID]:
        requests, total = privacy.list_requests(status, now)
        assert total == len(requests)
        return [request.request_id for request in requests]

    assert ids("all") == [done.request_id, late.request_id, due_later.request_id]
    assert ids("open") == [late.request_id, due_later.request_id]
    assert ids("overdue") == [late.request_id]
