"""Which generation (tag) of each view is live, and the switch a rebuild ends with."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from projections.engine.view import View

V = TypeVar("V", bound=View)
REFRESH_SECONDS = 2.0


class Generations:
    """The registry of view generations in `projection_generations`."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def live_tag(self, view_class: type[View]) -> str:
        """The live generation's tag for the code's version, creating the first one if none.

        Generations of other versions are dropped on the way: nothing maintains them any
        more, so an erasure would not reach personal data they hold.
        """
        current = f"v{view_class.version}r"
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "SELECT tag, live FROM projection_generations WHERE view = %s",
                (view_class.name,),
            )
            rows = cursor.fetchall()
            superseded = [str(row["tag"]) for row in rows if not row["tag"].startswith(current)]
            for tag in superseded:
                self._drop_tables(cursor, f"{view_class.name}_{tag}_")
            if superseded:
                cursor.execute(
                    "DELETE FROM projection_generations WHERE view = %s AND tag = ANY(%s)",
                    (view_class.name, superseded),
                )
            live = [str(row["tag"]) for row in rows if row["live"]]
            if live and live[0].startswith(current):
                return live[0]
            # First start, or the code moved to a new version: its first generation goes live
            # at once and fills from the first event.
            tag = f"{current}0"
            cursor.execute(
                "UPDATE projection_generations SET live = false WHERE view = %s",
                (view_class.name,),
            )
            cursor.execute(
                "INSERT INTO projection_generations (view, tag, live) VALUES (%s, %s, true)"
                " ON CONFLICT (view, tag) DO UPDATE SET live = true",
                (view_class.name, tag),
            )
            return tag

    @staticmethod
    def _drop_tables(cursor: Cursor[DictRow], prefix: str) -> None:
        """Drop every table whose name starts with `prefix` (one generation's tables; its
        view class may no longer exist to list them)."""
        escaped = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename LIKE %s",
            (escaped + "%",),
        )
        for row in cursor.fetchall():
            cursor.execute(
                SQL("DROP TABLE IF EXISTS {} CASCADE").format(Identifier(row["tablename"]))
            )

    def next_tag(self, view_class: type[View]) -> str:
        """A fresh tag for a rebuild beside the live generation."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "SELECT tag FROM projection_generations WHERE view = %s", (view_class.name,)
            )
            counters = [
                int(m.group(1))
                for row in cursor.fetchall()
                for m in [re.match(rf"v{view_class.version}r(\d+)$", row["tag"])]
                if m
            ]
            tag = f"v{view_class.version}r{max(counters, default=-1) + 1}"
            cursor.execute(
                "INSERT INTO projection_generations (view, tag, live) VALUES (%s, %s, false)",
                (view_class.name, tag),
            )
            return tag

    def switch(self, view_class: type[View], tag: str) -> str | None:
        """Make `tag` live; returns the tag that was live before."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "SELECT tag FROM projection_generations WHERE view = %s AND live FOR UPDATE",
                (view_class.name,),
            )
            row = cursor.fetchone()
            cursor.execute(
                "UPDATE projection_generations SET live = (tag = %s) WHERE view = %s",
                (tag, view_class.name),
            )
            return str(row["tag"]) if row else None

    def forget(self, view_class: type[View], tag: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "DELETE FROM projection_generations WHERE view = %s AND tag = %s AND NOT live",
                (view_class.name, tag),
            )


class LiveViews:
    """Hands out the live generation of each view, re-reading the registry every few seconds."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        view_classes: list[type[View]],
        configure: Callable[[View], None] | None = None,
    ) -> None:
        self.datastore = datastore
        self.configure = configure
        self.generations = Generations(datastore)
        self.view_classes = view_classes
        self._views: dict[type[View], View] = {}
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> list[View]:
        """Re-read live tags (at most every REFRESH_SECONDS unless forced); returns all views."""
        with self._lock:
            if force or time.monotonic() - self._checked > REFRESH_SECONDS:
                self._checked = time.monotonic()
                for view_class in self.view_classes:
                    tag = self.generations.live_tag(view_class)
                    current = self._views.get(view_class)
                    if current is None or current.tag != tag:
                        view = self.build(view_class, tag)
                        view.create_table()
                        self._views[view_class] = view
            return list(self._views.values())

    def build(self, view_class: type[V], tag: str) -> V:
        """A view of the given generation, configured from settings."""
        view = view_class(self.datastore, tag)
        if self.configure is not None:
            self.configure(view)
        return view

    def get(self, view_class: type[V]) -> V:
        self.refresh()
        view = self._views[view_class]
        assert isinstance(view, view_class)
        return view
