"""`CRM.save` stores exactly what the library's `Application.save` stores for the same
aggregates: the same events, notifications and snapshots."""

from __future__ import annotations

import copy
import os
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, Recording

from crm.adapters.encryption import InMemoryKeyRing
from crm.application.crm import CRM
from crm.domain.customer import Customer
from crm.domain.identity import InMemoryIdentityIndex
from tests.factories import customer_journey, provenance


class ObservedCRM(CRM):
    """The CRM with the library's plain mapper, so equal events are stored as equal bytes,
    remembering what each save notified."""

    def construct_mapper(self) -> Mapper[UUID]:
        return Mapper(transcoder=self.construct_transcoder())

    def __init__(self, env: dict[str, str], **kwargs: Any) -> None:
        self.notified: list[list[Recording[UUID]]] = []
        super().__init__(env, **kwargs)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        self.notified.append(recordings)


def application() -> ObservedCRM:
    return ObservedCRM(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        keys=InMemoryKeyRing(os.urandom(32)),
        identities=InMemoryIdentityIndex(os.urandom(32)),
    )


def stored_log(app: CRM) -> list[tuple[Any, ...]]:
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in app.recorder.select_notifications(start=None, limit=10_000)
    ]


def stored_snapshots(app: CRM, customer_ids: list[UUID]) -> list[tuple[Any, ...]]:
    assert app.snapshots is not None
    found = []
    for customer_id in customer_ids:
        for snapshot in app.snapshots.get(customer_id):
            # Each save takes its snapshot at its own moment; the rest must be equal.
            state = {k: v for k, v in vars(snapshot).items() if k != "timestamp"}
            found.append((type(snapshot), state))
    return found


def notified_log(app: ObservedCRM) -> list[list[tuple[Any, ...]]]:
    return [
        [(r.notification.id, r.notification.topic, r.notification.state) for r in recordings]
        for recordings in app.notified
    ]


def save_both(ours: CRM, library: CRM, customers: list[Customer]) -> None:
    """Save the same pending events through both paths: copies through ours."""
    ours.save(*[copy.deepcopy(customer) for customer in customers], None)
    Application.save(library, *customers, None)


def test_saving_a_journey_stores_what_the_library_save_stores() -> None:
    # Customers past the snapshot interval, saved alone, together and again with more events.
    journeys = [customer_journey(visits=visits) for visits in (40, 90, 230)]
    ours, library = application(), application()
    save_both(ours, library, journeys[:1])
    save_both(ours, library, journeys[1:])
    for customer in journeys:
        for _ in range(30):
            customer.assign_account_manager(provenance(), "maija.am")
    save_both(ours, library, journeys)

    assert stored_log(ours) == stored_log(library)
    assert notified_log(ours) == notified_log(library)
    customer_ids = [customer.id for customer in journeys]
    snapshots = stored_snapshots(ours, customer_ids)
    assert snapshots == stored_snapshots(library, customer_ids)
    assert len(snapshots) == sum(customer.version // 100 for customer in journeys) >= 4
