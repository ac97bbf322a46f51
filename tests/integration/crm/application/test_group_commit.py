"""Group commit on PostgreSQL: batches of commands in one transaction, each answered alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest

from api.bootstrap.wiring import Services
from crm.adapters.postgres.event_streams import EventPositions
from crm.application.crm import CRM, Command, Recorded
from crm.application.group_commit import CommitUnavailableError, GroupCommitter
from crm.domain.customer import Customer
from crm.domain.errors import CustomerNotFoundError, LeadTransitionError
from tests.factories import provenance, register, unique

pytestmark = pytest.mark.postgres


def touchpoint(crm: CRM, customer_id: UUID, key: str | None = None) -> Command:
    return crm.touchpoint_command(
        customer_id, provenance(key=key), "web_service_visited", {"notes": None, "page": "/a"}
    )


def lead(crm: CRM, customer_id: UUID, kind: str, lead_id: str) -> Command:
    return crm.touchpoint_command(
        customer_id, provenance(), kind, {"notes": None, "lead_id": lead_id}
    )


def test_commands_on_one_customer_are_decided_in_arrival_order(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm)
    captured = {
        "notes": None,
        "lead_id": "L1",
        "source_channel": "fair",
        "target_group": "ICT",
        "interest": None,
    }
    outcomes = crm.execute_batch(
        [
            crm.touchpoint_command(customer_id, provenance(), "lead_captured", captured),
            lead(crm, customer_id, "lead_qualified", "L1"),
        ]
    )
    assert all(isinstance(o, Recorded) for o in outcomes)
    assert crm.get_customer(customer_id).lead_stages == {"L1": "qualified"}


def test_a_command_that_breaks_its_rule_fails_alone(services: Services) -> None:
    crm = services.crm
    first, second = register(crm), register(crm)
    outcomes = crm.execute_batch(
        [
            touchpoint(crm, first),
            lead(crm, first, "lead_qualified", "never-captured"),
            touchpoint(crm, second),
            touchpoint(crm, UUID(int=7)),
        ]
    )
    assert isinstance(outcomes[0], Recorded)
    assert isinstance(outcomes[1], LeadTransitionError)
    assert isinstance(outcomes[2], Recorded)
    assert isinstance(outcomes[3], CustomerNotFoundError)
    assert crm.get_customer(first).version == 2
    assert crm.get_customer(second).version == 2


def test_each_command_gets_its_own_events_position(services: Services) -> None:
    crm = services.crm
    customers = [register(crm) for _ in range(3)]
    outcomes = crm.execute_batch([touchpoint(crm, c) for c in customers for _ in range(3)])
    positions = EventPositions(services.pool)
    recorded = [o for o in outcomes if isinstance(o, Recorded)]
    assert len(recorded) == 9
    assert len({r.position for r in recorded}) == 9
    for r in recorded:
        assert r.position == positions(r.customer_id, r.version)


def test_a_key_repeated_within_one_batch_stores_one_event(services: Services) -> None:
    crm = services.crm
    customer_id = register(crm)
    key = unique("dup")
    first, again = crm.execute_batch(
        [touchpoint(crm, customer_id, key), touchpoint(crm, customer_id, key)]
    )
    assert isinstance(first, Recorded) and isinstance(again, Recorded)
    assert not first.duplicate and again.duplicate
    assert (again.version, again.position) == (first.version, first.position)
    later = crm.execute_batch([touchpoint(crm, customer_id, key)])[0]
    assert isinstance(later, Recorded) and later.duplicate and later.position == first.position
    assert crm.get_customer(customer_id).version == 2


def test_the_next_batch_starts_from_the_customers_as_saved(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = services.crm
    customer_id = register(crm)
    crm.execute_batch([touchpoint(crm, customer_id)])
    read_back: list[object] = []
    streams = crm._streams
    assert streams is not None

    def recording(versions: dict[UUID, int]) -> dict[UUID, list[Any]]:
        stored = streams(versions)
        read_back.extend(event for events in stored.values() for event in events)
        return stored

    monkeypatch.setattr(crm, "_streams", recording)
    [outcome] = crm.execute_batch([touchpoint(crm, customer_id)])
    assert read_back == []  # nothing the last batch saved is read back and decoded again
    assert isinstance(outcome, Recorded) and outcome.version == 3
    assert crm.get_customer(customer_id).version == 3


def test_a_batch_that_meets_another_writer_retries_without_failing_anyone(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = services.crm
    customer_id = register(crm)
    raced: list[bool] = []
    alone: list[Command] = []
    retry_alone = crm._retry_alone

    def recording_retry_alone(command: Command) -> object:
        alone.append(command)
        return retry_alone(command)

    monkeypatch.setattr(crm, "_retry_alone", recording_retry_alone)

    def decide_while_another_writer_saves(customer: Customer) -> None:
        if not raced:
            raced.append(True)
            crm.record_touchpoint(
                customer_id, provenance(), "web_service_visited", {"notes": None, "page": "/b"}
            )
        touchpoint(crm, customer_id).decide(customer)

    racing = Command(customer_id, provenance(), decide_while_another_writer_saves)
    outcomes = crm.execute_batch([racing, touchpoint(crm, customer_id)])
    assert all(isinstance(o, Recorded) and not o.duplicate for o in outcomes)
    assert crm.get_customer(customer_id).version == 4
    assert alone == []  # decided again as a batch, on the customer as it now stands


def test_concurrent_callers_are_batched_and_each_answered(services: Services) -> None:
    committer = GroupCommitter(services.crm, max_wait=0.01)
    committer.start()
    try:
        customers = [register(services.crm) for _ in range(4)]
        with ThreadPoolExecutor(16) as pool:
            results = list(
                pool.map(
                    lambda i: committer.execute(touchpoint(services.crm, customers[i % 4])),
                    range(64),
                )
            )
    finally:
        committer.stop()
    assert len({(r.customer_id, r.version) for r in results}) == 64
    assert committer.batches < 64
    assert sorted(services.crm.get_customer(c).version for c in customers) == [17] * 4


def on_event_loop(waiting: Coroutine[Any, Any, Recorded]) -> Recorded:
    """Await on an event loop of its own thread, as an API request does (this thread may
    already run one, e.g. the browser tests' driver)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, waiting).result()


def test_a_caller_on_the_event_loop_gets_its_answer_or_a_retryable_refusal(
    services: Services,
) -> None:
    crm = services.crm
    customer_id = register(crm)
    committer = GroupCommitter(crm, answer_timeout=0.2)
    committer.start()
    try:
        recorded = on_event_loop(committer.wait_for(touchpoint(crm, customer_id)))
        assert recorded.customer_id == customer_id and recorded.position is not None

        slow = touchpoint(crm, customer_id, key=unique("slow"))
        decide = slow.decide

        def slowly(customer: Customer) -> None:
            time.sleep(0.5)  # the writer is busy longer than the caller waits
            decide(customer)

        with pytest.raises(CommitUnavailableError):
            on_event_loop(committer.wait_for(Command(slow.customer_id, slow.provenance, slowly)))
        # The batch was already being saved: once it is, repeating the key (as the client is
        # told to) returns the first answer.
        time.sleep(0.6)
        again = on_event_loop(committer.wait_for(slow))
        assert again.duplicate
    finally:
        committer.stop()
