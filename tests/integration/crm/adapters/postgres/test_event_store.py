"""Online saves keep notification ids visible in commit order, like bulk inserts do.

A projection follows the log by position. If a writer could commit id n+1 while id n is still
uncommitted, a follower would read n+1, move past n, and never apply it. The event store's
insert function therefore takes the table lock before it takes ids.
"""

from __future__ import annotations

import threading
import time

import psycopg

from api.bootstrap.wiring import Services
from crm.adapters.postgres.event_store import EVENTS_TABLE, EventRecorder
from tests.integration.crm.application.test_imports import WAITING_FOR_LOCK, new_customer_events


def test_an_online_save_waits_for_an_earlier_writer_so_followers_skip_nothing(
    services: Services,
) -> None:
    recorder = services.crm.recorder
    assert isinstance(recorder, EventRecorder)
    [earlier] = new_customer_events(services, 0)
    [later] = new_customer_events(services, 0)
    finished = threading.Event()
    with psycopg.connect(services.database_url) as writer:
        # An earlier writer has taken its position in the log but not yet committed.
        writer.execute(
            f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s)",
            (earlier.originator_id, earlier.originator_version, earlier.topic, earlier.state),
        )

        def save() -> None:
            recorder.insert_events([later])  # the path every online save takes
            finished.set()

        thread = threading.Thread(target=save)
        thread.start()
        with psycopg.connect(services.database_url, autocommit=True) as observer:
            while not finished.is_set() and not observer.execute(WAITING_FOR_LOCK).fetchone():
                time.sleep(0.01)
            assert not finished.is_set(), "the save committed a position past an invisible one"
        writer.commit()
    thread.join()
    with psycopg.connect(services.database_url) as conn:
        order = conn.execute(
            f"SELECT originator_id FROM {EVENTS_TABLE}"
            " WHERE originator_id = ANY(%s) ORDER BY notification_id",
            ([earlier.originator_id, later.originator_id],),
        ).fetchall()
    assert [row[0] for row in order] == [earlier.originator_id, later.originator_id]
