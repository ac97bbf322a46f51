"""The batched projection runner: catches views up many events per transaction, then follows
the log through PostgreSQL notifications.

Each view is one sequential consumer. A session-level advisory lock per view keeps a second
worker from applying the same view at once; that worker waits as a standby instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from crm.adapters.mapper import PersonalDataMapper, PublicDataMapper
from crm.application.crm import CRM
from projections.engine.generations import LiveViews
from projections.engine.view import PROJECTED_CLASSES, Batch, ProjectedEvent, SqlView, View

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
ANALYZE_AFTER = 50_000
"""A catch-up that applies at least this many events refreshes its views' statistics."""
SQL_VIEWS_AT_ONCE = 4
Progress = Callable[[int, int], None]
"""Called with (events applied so far, log position reached)."""


class Projector:
    """Applies the event log to views in batches."""

    def __init__(self, crm: CRM, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.crm = crm
        self.batch_size = batch_size
        self.analyze_after = ANALYZE_AFTER
        self.personal_mapper = cast(PersonalDataMapper, crm.mapper)
        self.public_mapper = PublicDataMapper(self.personal_mapper)
        self._pool = ThreadPoolExecutor(SQL_VIEWS_AT_ONCE, thread_name_prefix="sql-views")

    def close(self) -> None:
        """Stop the threads that apply SQL views (after any range being applied)."""
        self._pool.shutdown(wait=True)

    def head(self) -> int:
        """The position of the newest event in the log."""
        return self.crm.recorder.max_notification_id() or 0

    def catch_up(
        self, view: View, until: int | None = None, progress: Progress | None = None
    ) -> int:
        """Apply every event after the view's position up to `until` (default: the head)."""
        return self.catch_up_all([view], until, progress)

    def catch_up_all(
        self, views: Sequence[View], until: int | None = None, progress: Progress | None = None
    ) -> int:
        """Bring several views up to `until` (default: the head), reading and decoding each
        batch of the log once for all of them; each view still commits its rows and its
        position in a transaction of its own. Views that read the log in SQL (`SqlView`) get
        the batch's range of positions instead of decoded events. Returns the number of
        events read (for SQL views: the most any of them consumed per batch)."""
        positions = {id(view): view.position() for view in views}
        target = self.head() if until is None else until
        decoding = [view for view in views if not isinstance(view, SqlView)]
        topics = sorted({t for v in decoding for t in v.topic_names()})
        if any(not view.topics for view in decoding):
            topics = []
        read = 0
        while True:
            behind = [view for view in views if positions[id(view)] < target]
            if not behind:
                if read >= self.analyze_after:
                    for view in views:
                        view.analyze()
                return read
            start = min(positions[id(view)] for view in behind)
            decoded: list[tuple[int, ProjectedEvent]] = []
            decoded_for: dict[bool, list[tuple[int, ProjectedEvent]]] = {}
            if any(not isinstance(view, SqlView) for view in behind):
                # A topic filter skips events in SQL; bound the scan so a batch stays small.
                stop = min(target, start + self.batch_size * 4) if topics else target
                notifications = self.crm.recorder.select_notifications(
                    start=start + 1, limit=self.batch_size, stop=stop, topics=topics
                )
                # A short batch means nothing else (that matches) exists up to `stop`.
                reached = notifications[-1].id if len(notifications) == self.batch_size else stop
                # Each view gets the events it declares: a view without personal data must
                # see hashed fields (client-chosen ids) as their hashes in every batch, or its
                # keys would differ from batch to batch and clear ids would outlive erasure.
                wanting = [v for v in behind if v in decoding]
                decoded_for = {
                    personal: self.decode(_wanted_by(notifications, kinds), personal)
                    for personal in (True, False)
                    if (kinds := [v for v in wanting if v.needs_personal_data == personal])
                }
                decoded = decoded_for.get(True) or decoded_for.get(False) or []
            else:
                reached = min(target, start + self.batch_size)
            due = [view for view in behind if positions[id(view)] < reached]
            # SQL views run in the database, each on a connection of its own: they apply
            # their ranges side by side while this thread decodes for the others. Each view
            # still applies its batches one after another, in log order.
            in_sql = [view for view in due if isinstance(view, SqlView)]
            pending = [
                self._pool.submit(view.apply_range, positions[id(view)], reached)
                for view in (in_sql if len(due) > 1 else [])
            ]
            consumed = len(decoded)
            try:
                for view in due:
                    after, wanted = positions[id(view)], view.topics
                    if not isinstance(view, SqlView):
                        # The topic filter hands each view only the classes it declared.
                        view.apply_batch(
                            cast(
                                Batch,
                                [
                                    (position, event)
                                    for position, event in decoded_for[view.needs_personal_data]
                                    if position > after
                                    and (not wanted or isinstance(event, wanted))
                                ],
                            ),
                            reached,
                        )
                    elif not pending:
                        consumed = max(consumed, view.apply_range(after, reached))
            finally:
                # Every submitted range has committed or failed before the batch ends.
                wait(pending)
            consumed = max([consumed, *(future.result() for future in pending)])
            for view in due:
                positions[id(view)] = reached
            read += consumed
            if progress is not None:
                progress(read, reached)

    def decode(
        self, notifications: Sequence[Notification], personal_data: bool
    ) -> list[tuple[int, ProjectedEvent]]:
        """Stored events to domain events; personal fields are decrypted only when needed."""
        if personal_data:
            self.crm.keys.prefetch({cast(UUID, n.originator_id) for n in notifications})
            mapper: PersonalDataMapper = self.personal_mapper
        else:
            mapper = self.public_mapper
        batch = []
        for notification in notifications:
            event = mapper.to_domain_event(notification)
            if isinstance(event, PROJECTED_CLASSES):
                batch.append((notification.id, event))
        return batch


class ProjectionWorker:
    """Keeps all live views caught up until stopped; one thread, woken by NOTIFY."""

    def __init__(self, projector: Projector, views: LiveViews, database_url: str) -> None:
        self.projector = projector
        self.views = views
        self.database_url = database_url
        self.stopping = threading.Event()
        self.caught_up = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run(self) -> None:
        """Loop until stopped, reconnecting after database outages."""
        while not self.stopping.is_set():
            try:
                self._follow()
            except (psycopg.Error, OSError) as error:
                log.warning("projection worker lost the database (%s); retrying", error)
                self.stopping.wait(1.0)
            except Exception:
                log.exception("projection worker failed; restarting in 5 s")
                self.stopping.wait(5.0)

    def _follow(self) -> None:
        recorder = cast(PostgresApplicationRecorder, self.projector.crm.recorder)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'LISTEN "{recorder.channel_name}"')
            held: set[str] = set()
            while not self.stopping.is_set():
                mine = []
                for view in self.views.refresh():
                    if view.name not in held and self._try_lock(conn, view):
                        held.add(view.name)
                    if view.name in held:
                        mine.append(view)
                self.projector.catch_up_all(mine)
                self.caught_up.set()
                # Sleep until an insert notifies us (or a second passes, to re-check locks).
                for _ in conn.notifies(timeout=1.0, stop_after=1):
                    pass

    @staticmethod
    def _try_lock(conn: psycopg.Connection[tuple[object, ...]], view: View) -> bool:
        row = conn.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (f"projection:{view.name}",)
        ).fetchone()
        return bool(row and row[0])


def wait_until_caught_up(projector: Projector, views: list[View], timeout: float = 30) -> None:
    """Block until every view has applied the log up to the current head (tests, demo load)."""
    head = projector.head()
    deadline = time.monotonic() + timeout
    for view in views:
        if not view.wait_for(head, max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"view {view.name} did not reach position {head}")


def _wanted_by(notifications: Sequence[Notification], views: Sequence[View]) -> list[Notification]:
    """The notifications of a topic one of the views reads (all, if one reads every topic)."""
    if any(not view.topics for view in views):
        return list(notifications)
    names = {name for view in views for name in view.topic_names()}
    return [n for n in notifications if n.topic in names]
