"""The base of every read model: tables plus a tracking position, written in one transaction.

A view is a `PostgresTrackingRecorder` from the `eventsourcing` library with tables of its own.
Its rows and its tracking position change in the same transaction, so each event is applied
exactly once, and a killed worker resumes at the last committed batch.

Views are versioned: the physical tables are named `<name>_<tag>_<table>`, where the tag holds
the code's `version` and a rebuild counter. A rebuild fills a new tag beside the live one and
then switches readers over in one update of `projection_generations`.
"""

from __future__ import annotations

import re
import time
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, cast

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from crm.domain.events import CustomerEvent
from crm.domain.offering import Offering
from crm.domain.partner_tier import PartnerTier

APPLICATION_NAME = "crm"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

Batch = Sequence[tuple[int, CustomerEvent]]
"""Events with their log positions, in log order."""
ProjectedEvent = CustomerEvent | Offering.Event | PartnerTier.Event
"""What views consume: customers' events and the catalogues' (offerings, partner tiers). A
view is handed only the classes of its `topics`; a catalogue's view declares its own only."""
PROJECTED_CLASSES = (CustomerEvent, Offering.Event, PartnerTier.Event)
"""The classes of `ProjectedEvent`, for isinstance checks."""


class View(PostgresTrackingRecorder):
    """A read model's tables and tracking position under one generation tag."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    topics: ClassVar[tuple[type[ProjectedEvent], ...]] = ()
    """Event classes the view consumes; empty means all."""
    needs_personal_data: ClassVar[bool] = False
    """Whether the view reads personal fields (their keys are then fetched per batch)."""

    def __init__(self, datastore: PostgresDatastore, tag: str) -> None:
        if not IDENTIFIER.match(self.name) or not IDENTIFIER.match(tag):
            raise ValueError(f"bad view name or tag: {self.name!r} {tag!r}")
        self.tag = tag
        self.prefix = f"{self.name}_{tag}_"
        super().__init__(datastore, tracking_table_name=f"{self.prefix}tracking")
        # Table and index names come from class constants and the validated tag only.
        self.sql_create_statements.extend(
            SQL(statement.replace("{p}", self.prefix)).format() for statement in self.ddl()
        )

    @classmethod
    def topic_names(cls) -> list[str]:
        from eventsourcing.utils import get_topic

        return [get_topic(topic) for topic in cls.topics]

    @abstractmethod
    def ddl(self) -> list[str]:
        """CREATE statements, with `{p}` where the table prefix goes."""

    @abstractmethod
    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        """Apply a batch of events to the view's tables (no commit: the caller owns that)."""

    def table_names(self) -> list[str]:
        """Physical names of every table of this generation, tracking included."""
        return [*(self.prefix + table for table in self.own_tables()), self.tracking_table_name]

    def own_tables(self) -> list[str]:
        return [
            match.group(1)
            for statement in self.ddl()
            for match in [re.search(r"CREATE TABLE IF NOT EXISTS \{p\}(\w+)", statement)]
            if match
        ]

    def apply_batch(self, batch: Batch, position: int) -> None:
        """Write the batch and advance the tracking position to `position`, atomically."""
        with self.datastore.transaction(commit=True) as cursor:
            # The rows and the tracking position commit together, so a commit lost in a
            # database crash loses both and the batch is simply applied again: no need to
            # wait for the flush to disk.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if batch:
                self.write(cursor, batch)
            self._insert_tracking(cursor, Tracking(APPLICATION_NAME, position))

    def position(self) -> int:
        """The last log position this view has applied (0 when none)."""
        return self.max_tracking_id(APPLICATION_NAME) or 0

    def wait_for(self, position: int | None, timeout: float) -> bool:
        """Block until the view has applied `position`; False if the timeout passed first."""
        if not position:
            return True
        deadline = time.monotonic() + timeout
        pause = 0.002
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return True

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[DictRow]:
        """Run a read query; `{p}` in the SQL becomes this generation's table prefix."""
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(sql.replace("{p}", self.prefix), params)
            return cursor.fetchall()

    def page_and_total(
        self,
        rows: list[DictRow],
        offset: int,
        count_sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
    ) -> tuple[list[DictRow], int]:
        """A page read with `count(*) OVER () AS total`, and how many rows there are in all:
        the page's own total, or past the end (an empty page that still says how long the
        list is) `count_sql`, which answers `n`."""
        if rows or offset == 0:
            return rows, int(rows[0]["total"]) if rows else 0
        return [], int(self.query(count_sql, params)[0]["n"])

    def analyze(self) -> None:
        """Refresh the planner's statistics of this generation's tables. After a large
        catch-up they describe empty tables until autovacuum runs, and a server may run
        without it: then a list query over an owner's customers took 200-600 ms instead of
        1.5 ms, by a plan made for tables of a few rows."""
        with self.datastore.transaction(commit=True) as cursor:
            for table in self.table_names():
                cursor.execute(f'ANALYZE "{table}"')

    def drop_tables(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            for table in self.table_names():
                cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')


class SqlView(View):
    """A view that computes its rows in SQL straight from the stored events of a range of log
    positions (see `projections.stored_events`), so none of its events is decoded in Python.
    Its rows and its tracking position still commit in one transaction."""

    local_settings: ClassVar[dict[str, str]] = {}
    """PostgreSQL settings the view's statements need, set for each transaction."""

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        raise TypeError(f"{self.name} reads the event log in SQL: use apply_range")

    @abstractmethod
    def write_range(self, cursor: Cursor[DictRow], after: int, upto: int) -> int:
        """Apply the events after position `after` up to `upto` inclusive (no commit: the
        caller owns that); returns how many events the view consumed."""

    def apply_range(self, after: int, position: int) -> int:
        """Apply the log after `after` up to `position` and advance the tracking position to
        `position`, atomically; returns how many events the view consumed."""
        # Commits need not wait for the flush, as in apply_batch; compiling a batch's
        # expressions (JIT) costs more than it saves on a few thousand rows.
        settings = {"synchronous_commit": "OFF", "jit": "OFF", **self.local_settings}
        with self.datastore.transaction(commit=True) as cursor:
            # One round trip: a one-event batch of the live worker is mostly round trips.
            cursor.execute(
                "; ".join(f"SET LOCAL {name} TO {value}" for name, value in settings.items())
            )
            applied = self.write_range(cursor, after, position) if position > after else 0
            self._insert_tracking(cursor, Tracking(APPLICATION_NAME, position))
        return applied


class ViewProjection(Projection[View]):
    """Adapts a view to the library's one-event-at-a-time `ProjectionRunner` (a baseline)."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if isinstance(self.view, SqlView):
            position = tracking.notification_id
            self.view.apply_range(position - 1, position)
            return
        batch: Batch = []
        wanted = self.view.topics
        if isinstance(domain_event, PROJECTED_CLASSES) and (
            not wanted or isinstance(domain_event, wanted)
        ):
            # The topic filter hands a view only the classes it declared.
            batch = cast(Batch, [(tracking.notification_id, domain_event)])
        self.view.apply_batch(batch, tracking.notification_id)
