"""Bulk import on PostgreSQL: chunks stored with COPY under the event store's concurrency
protocol, customers spanning chunks, conflicts with other writers, snapshots."""

from __future__ import annotations

import gc
import io
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.bootstrap.wiring import Services
from crm.adapters.postgres.event_store import EVENTS_TABLE, EventRecorder
from crm.adapters.postgres.import_log import PostgresImportLog
from crm.application.imports import (
    MAPPINGS,
    DecidedChunk,
    Importer,
    ImportReport,
    read_rows,
)
from crm.domain import events as ev
from crm.domain.customer import Customer
from crm.speedups.gc_policy import YOUNG_THRESHOLD
from tests.factories import provenance, register, unique

pytestmark = pytest.mark.postgres


def native_csv(emails: list[str], visits: int) -> bytes:
    """`visits` web-service visits per person, each person's rows together."""
    lines = ["kind,email,name,occurred_at,page"]
    for person, email in enumerate(emails):
        for visit in range(visits):
            lines.append(
                f"web_service_visited,{email},Person {person},"
                f"2025-03-{1 + visit % 28:02d}T{visit // 28 % 24:02d}:00:00+02:00,/page/{visit}"
            )
    return ("\n".join(lines) + "\n").encode()


def run_import(
    services: Services, body: bytes, chunk_rows: int, importer: Importer | None = None
) -> ImportReport:
    assert services.import_log is not None
    importer = importer or Importer(services.crm, services.import_log, chunk_rows=chunk_rows)
    return importer.run(
        read_rows(io.BytesIO(body), "csv"),
        import_id=uuid.uuid4().hex,
        source="test.csv",
        mapping=MAPPINGS["native"],
        recorded_by="anna.am",
    )


def journey(services: Services, email: str) -> list[Any]:
    customer_id = services.crm.find_by_email(email)
    assert customer_id is not None
    return list(services.crm.get_journey(customer_id))


class ConflictingImporter(Importer):
    """Counts refused chunks; on the `on_write`-th chunk stored, another writer first records
    a touchpoint for `email`, as a concurrent request would between deciding and storing."""

    def __init__(
        self, services: Services, chunk_rows: int, email: str = "", on_write: int = 0
    ) -> None:
        assert services.import_log is not None
        super().__init__(services.crm, services.import_log, chunk_rows=chunk_rows)
        self.email = email
        self.writes = 0
        self.on_write = on_write
        self.conflicts = 0

    def _write(self, decided: DecidedChunk) -> None:
        self.writes += 1
        if self.writes == self.on_write:
            customer_id = self.crm.find_by_email(self.email)
            assert customer_id is not None
            self.crm.record_touchpoint(
                customer_id, provenance(), "web_service_visited", {"notes": None, "page": "/x"}
            )
        try:
            super()._write(decided)
        except IntegrityError:
            self.conflicts += 1
            raise


def test_customers_whose_rows_span_chunks_get_every_row_once_in_file_order(
    services: Services,
) -> None:
    emails = [f"{unique('span')}@example.fi" for _ in range(5)]
    # Three rows per person in chunks of four: most people are split between two chunks,
    # and a chunk is decided while the one before it is still being stored.
    importer = ConflictingImporter(services, chunk_rows=4)
    report = run_import(services, native_csv(emails, 3), chunk_rows=4, importer=importer)
    assert (report.recorded, report.customers_created, report.invalid) == (15, 5, 0)
    # Each chunk was decided on the customers the chunk before left, not on stale ones.
    assert importer.conflicts == 0
    for email in emails:
        events = journey(services, email)
        assert [type(e).__name__ for e in events] == ["Registered", *["WebServiceVisited"] * 3]
        assert [e.originator_version for e in events] == [1, 2, 3, 4]
        assert [getattr(e, "page", None) for e in events[1:]] == ["/page/0", "/page/1", "/page/2"]
        assert events[0].email == email  # personal data decrypts with the customer's key
    again = run_import(services, native_csv(emails, 3), chunk_rows=4)
    assert (again.recorded, again.duplicates, again.customers_created) == (0, 15, 0)


class SlowImporter(ConflictingImporter):
    """Stores its first chunk slowly."""

    def _write(self, decided: DecidedChunk) -> None:
        if self.writes == 0:
            time.sleep(0.5)
        super()._write(decided)


def test_a_customer_back_after_a_chunk_goes_on_from_its_stored_state(
    services: Services,
) -> None:
    a, b, c, d, e = (f"{unique(name)}@example.fi" for name in "abcde")
    lines = ["kind,email,name,occurred_at,page"]
    for number, email in enumerate([a, b, c, d, a, e]):
        lines.append(
            f"web_service_visited,{email},P,2025-03-0{number + 1}T10:00:00+02:00,/p{number}"
        )
    body = ("\n".join(lines) + "\n").encode()
    # Chunks of two: `a` comes back in the third chunk, after a chunk without it, and the
    # first chunk (its registration) is stored slowly.
    importer = SlowImporter(services, chunk_rows=2)
    report = run_import(services, body, chunk_rows=2, importer=importer)
    assert (report.recorded, report.customers_created, report.invalid) == (6, 5, 0)
    # The third chunk went on from `a` as the first chunk left it: nothing was refused.
    assert importer.conflicts == 0
    events = journey(services, a)
    assert [getattr(e, "page", None) for e in events] == [None, "/p0", "/p4"]
    assert [e.originator_version for e in events] == [1, 2, 3]


def test_new_customers_get_keys_without_their_keys_being_read_first(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = services.crm.keys
    reads: list[int] = []
    load_wrapped = keys._load_wrapped

    def counted(customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        if threading.current_thread() is threading.main_thread():  # not a projection's
            reads.append(len(customer_ids))
        return load_wrapped(customer_ids)

    monkeypatch.setattr(keys, "_load_wrapped", counted)
    emails = [f"{unique('keyless')}@example.fi" for _ in range(3)]
    report = run_import(services, native_csv(emails, 2), chunk_rows=10)
    assert (report.recorded, report.customers_created) == (6, 3)
    assert reads == []
    for email in emails:
        assert journey(services, email)[0].email == email


def test_a_registration_creates_its_key_without_reading_it_first(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = services.crm.keys
    reads: list[list[uuid.UUID]] = []
    load_wrapped = keys._load_wrapped

    def counted(customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        if threading.current_thread() is threading.main_thread():  # not a projection's
            reads.append(customer_ids)
        return load_wrapped(customer_ids)

    monkeypatch.setattr(keys, "_load_wrapped", counted)
    email = f"{unique('registered')}@example.fi"
    customer_id = register(services.crm, name="Uusi Asiakas", email=email)
    assert not any(customer_id in ids for ids in reads)
    assert load_wrapped([customer_id])  # its key is stored
    assert journey(services, email)[0].email == email


def test_a_registration_that_died_after_storing_its_key_goes_on_with_that_key(
    services: Services,
) -> None:
    email = f"{unique('died')}@example.fi"
    customer_id = uuid.uuid4()
    identities, keys = services.crm.identities, services.crm.keys
    # A registration claimed the address and stored a data key, then died before its event.
    assert identities.claim([identities.email_claim(email)], customer_id)
    keys.ensure_keys([customer_id])
    first = keys.cipher_for(customer_id)
    keys.forget(customer_id)
    report = run_import(services, native_csv([email], 1), chunk_rows=10)
    assert (report.recorded, report.customers_created) == (1, 1)
    assert services.crm.find_by_email(email) == customer_id
    keys.forget(customer_id)
    stored = services.crm.recorder.select_events(customer_id)
    nonce_and_key = keys._load_wrapped([customer_id])[customer_id]
    assert first is not None and keys.unwrap(customer_id, nonce_and_key)
    # The events decrypt with the key stored first, which the import kept.
    assert [e.originator_version for e in stored] == [1, 2]
    assert journey(services, email)[0].email == email


def test_personal_fields_are_stored_encrypted(services: Services) -> None:
    email = f"{unique('secret')}@example.fi"
    run_import(services, native_csv([email], 1), chunk_rows=10)
    customer_id = services.crm.find_by_email(email)
    assert customer_id is not None
    stored = services.crm.recorder.select_events(customer_id)
    assert stored and all(email.encode() not in event.state for event in stored)
    assert all(b"Person 0" not in event.state for event in stored)


def test_a_chunk_refused_by_a_concurrent_change_is_decided_again_with_the_next(
    services: Services,
) -> None:
    emails = [f"{unique('conflict')}@example.fi" for _ in range(4)]
    # Register the people first so the second import's chunks load them from the store.
    run_import(services, native_csv(emails, 1), chunk_rows=10)
    body = native_csv(emails, 4)
    # The second chunk (rows 5-8: emails[1]) meets a concurrent write; the third chunk was
    # decided on top of it and must be decided again too.
    importer = ConflictingImporter(services, chunk_rows=4, email=emails[1], on_write=2)
    report = run_import(services, body, chunk_rows=4, importer=importer)
    assert importer.conflicts == 1
    assert (report.recorded, report.duplicates, report.invalid) == (12, 4, 0)
    for email in emails:
        pages = [getattr(e, "page", None) for e in journey(services, email)[1:]]
        expected = ["/page/0", "/page/1", "/page/2", "/page/3"]
        if email == emails[1]:
            expected = ["/page/0", "/x", "/page/1", "/page/2", "/page/3"]
        assert pages == expected


def test_a_long_history_leaves_a_snapshot_that_loads_the_same_customer(
    services: Services,
) -> None:
    email = f"{unique('long')}@example.fi"
    run_import(services, native_csv([email], 120), chunk_rows=50)
    customer_id = services.crm.find_by_email(email)
    assert customer_id is not None and services.crm.snapshots is not None
    snapshots = list(services.crm.snapshots.get(customer_id))
    # Chunks end at versions 51, 101 and 121: the one crossing 100 leaves a snapshot.
    assert [s.originator_version for s in snapshots] == [101]
    from_snapshot: Customer = services.crm.repository.get(customer_id)
    replayed = services.crm.get_customers([customer_id])[customer_id]
    assert from_snapshot.version == replayed.version == 121
    assert from_snapshot.recorded_keys == replayed.recorded_keys
    assert from_snapshot.email == email


def new_customer_events(services: Services, visits: int) -> list[StoredEvent]:
    """A new customer's registration and visits, encoded as the importer stores them (the
    views follow the shared log, so only real events go in)."""
    customer = Customer.register(
        customer_id=uuid.uuid4(),
        provenance=provenance(),
        customer_kind="person",
        customer_type="individual",
        name="Bulk Insert",
        email=f"{unique('bulk')}@example.fi",
        phone=None,
        sector=None,
        account_manager=None,
    )
    for _ in range(visits):
        customer.record_touchpoint(
            provenance(),
            ev.WebServiceVisited,
            {"notes": None, "page": "/bulk"},
            now=datetime.now(UTC),
        )
    services.crm.keys.ensure_keys([customer.id])
    return [services.crm.mapper.to_stored_event(e) for e in customer.collect_events()]


WAITING_FOR_LOCK = (
    "SELECT 1 FROM pg_locks WHERE NOT granted"
    f" AND relation = '{EVENTS_TABLE}'::regclass"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def test_a_bulk_insert_waits_for_an_earlier_writer_so_followers_skip_nothing(
    services: Services,
) -> None:
    recorder = services.crm.recorder
    assert isinstance(recorder, EventRecorder)
    [registered] = new_customer_events(services, 0)
    earlier = registered.originator_id
    batch = new_customer_events(services, 1)
    bulk = batch[0].originator_id
    finished = threading.Event()
    with psycopg.connect(services.database_url) as writer:
        # An earlier writer has taken its position in the log but not yet committed.
        writer.execute(
            f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s)",
            (earlier, registered.originator_version, registered.topic, registered.state),
        )

        def copy() -> None:
            recorder.copy_events(batch)
            finished.set()

        thread = threading.Thread(target=copy)
        thread.start()
        with psycopg.connect(services.database_url, autocommit=True) as observer:
            while not finished.is_set() and not observer.execute(WAITING_FOR_LOCK).fetchone():
                time.sleep(0.01)
            # The bulk insert is queued behind the earlier writer instead of committing
            # positions after one that is not visible yet.
            assert not finished.is_set()
            visible = observer.execute(
                f"SELECT count(*) FROM {EVENTS_TABLE} WHERE originator_id = %s", (bulk,)
            ).fetchone()
            assert visible == (0,)
        writer.commit()
    thread.join()
    assert finished.is_set()
    with psycopg.connect(services.database_url) as conn:
        positions = conn.execute(
            f"SELECT originator_id, notification_id FROM {EVENTS_TABLE}"
            " WHERE originator_id = ANY(%s) ORDER BY notification_id",
            ([earlier, bulk],),
        ).fetchall()
    assert [row[0] for row in positions] == [earlier, bulk, bulk]


def test_a_bulk_insert_refuses_a_version_another_writer_stored(services: Services) -> None:
    recorder = services.crm.recorder
    assert isinstance(recorder, EventRecorder)
    registered, visited = new_customer_events(services, 1)
    recorder.copy_events([registered])
    with pytest.raises(IntegrityError):
        recorder.copy_events([visited, registered])
    customer_id = registered.originator_id
    assert [e.originator_version for e in recorder.select_events(customer_id)] == [1]


def test_an_import_log_records_progress_per_chunk(services: Services) -> None:
    emails = [f"{unique('progress')}@example.fi" for _ in range(3)]
    seen: list[tuple[int, int]] = []
    assert services.import_log is not None
    log: PostgresImportLog = services.import_log
    Importer(services.crm, log, chunk_rows=2).run(
        read_rows(io.BytesIO(native_csv(emails, 1)), "csv"),
        import_id=uuid.uuid4().hex,
        source="progress.csv",
        mapping=MAPPINGS["native"],
        recorded_by="anna.am",
        progress=lambda report: seen.append((report.last_line, report.recorded)),
    )
    assert seen == [(3, 2), (4, 3)]


def test_an_import_collects_young_garbage_less_often_and_restores_the_threshold(
    services: Services,
) -> None:
    emails = [f"{unique('gc')}@example.fi" for _ in range(3)]
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    assert services.import_log is not None
    Importer(services.crm, services.import_log, chunk_rows=2).run(
        read_rows(io.BytesIO(native_csv(emails, 1)), "csv"),
        import_id=uuid.uuid4().hex,
        source="gc.csv",
        mapping=MAPPINGS["native"],
        recorded_by="anna.am",
        progress=lambda report: during.append(gc.get_threshold()),
    )
    assert during
    assert all(t == (max(before[0], YOUNG_THRESHOLD), *before[1:]) for t in during)
    assert gc.get_threshold() == before
