"""Concurrent writers on the same customers: every acknowledged event stored exactly once."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.bootstrap.wiring import Services
from crm.adapters.postgres.event_store import EVENTS_TABLE
from crm.application.crm import Recorded
from crm.application.users import Role
from crm.domain.idempotency import key_scope
from tests.factories import RoleHeaders, provenance, register, unique

pytestmark = pytest.mark.postgres
THREADS = 8
COMMANDS = 40


def stored_keys(services: Services, customer_id: UUID) -> Counter[str]:
    return Counter(e.idempotency_key for e in services.crm.get_journey(customer_id))


def versions(services: Services, customer_id: UUID) -> list[int]:
    with services.pool.connection() as conn:
        rows = conn.execute(
            f"SELECT originator_version FROM {EVENTS_TABLE} WHERE originator_id = %s"
            " ORDER BY originator_version",
            (customer_id,),
        ).fetchall()
    return [row[0] for row in rows]


def test_threads_writing_the_same_customers_store_each_acknowledged_event_once(
    services: Services,
) -> None:
    assert services.committer is not None
    committer = services.committer
    customers = [register(services.crm) for _ in range(3)]

    def writer(thread: int) -> list[tuple[UUID, str, Recorded]]:
        chooser = random.Random(thread)
        acknowledged = []
        for _ in range(COMMANDS):
            customer_id = chooser.choice(customers)
            key = unique(f"cw{thread}")
            fields = {"notes": None, "page": f"/{thread}"}
            command = services.crm.touchpoint_command(
                customer_id, provenance(key=key), "web_service_visited", fields
            )
            # Half the writers bypass the group committer, as another process would.
            if thread % 2:
                recorded = committer.execute(command)
            else:
                recorded = services.crm.record_touchpoint(
                    customer_id, provenance(key=key), "web_service_visited", fields
                )
            acknowledged.append((customer_id, key, recorded))
        return acknowledged

    with ThreadPoolExecutor(THREADS) as pool:
        results = [item for batch in pool.map(writer, range(THREADS)) for item in batch]
    assert len(results) == THREADS * COMMANDS
    for customer_id in customers:
        keys = stored_keys(services, customer_id)
        mine = [key for cid, key, _ in results if cid == customer_id]
        assert all(keys[key] == 1 for key in mine)
        assert sum(keys.values()) == len(mine) + 1  # plus the registration
        assert versions(services, customer_id) == list(range(1, len(mine) + 2))
    assert len({(r.customer_id, r.version) for _, _, r in results}) == len(results)


def test_duplicate_deliveries_of_one_request_store_one_event(
    services: Services, client: TestClient, as_role: RoleHeaders
) -> None:
    customer_id = register(services.crm)
    key = unique("dup")
    body = {"kind": "chat_conversation_held", "topic": "Credits", "idempotency_key": key}

    def deliver(_: int) -> tuple[int, int]:
        response = client.post(
            f"/customers/{customer_id}/touchpoints",
            json=body,
            headers=as_role[Role.ACCOUNT_MANAGER],
        )
        return response.status_code, response.json()["version"]

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(deliver, range(24)))
    statuses = Counter(status for status, _ in answers)
    assert statuses[201] == 1 and statuses[200] == 23
    assert {version for _, version in answers} == {2}
    # One event stored under the key (kept scoped to the caller, so compared by scope).
    scopes = Counter(key_scope(stored) for stored in stored_keys(services, customer_id))
    assert sum(count for scope, count in scopes.items() if scope is not None) == 1
