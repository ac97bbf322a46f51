"""Tasks: planned calls, visits, meetings and reviews, by owner and due day (personal, erasable).

One row per task with its customer, kind, due day, owner, title and state (open, completed,
cancelled). The title is personal: held in clear for lists and cleared when the customer is
erased, whose open tasks are then closed as erased. "My tasks" reads one owner's open tasks
in a window of due days (overdue, today, this week), paged, with the count of all that match.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View

Window = Literal["overdue", "today", "week", "open"]
WINDOWS: tuple[Window, ...] = ("overdue", "today", "week", "open")
WINDOW_SQL: dict[Window, str] = {
    "overdue": "due_on < %(today)s",
    "today": "due_on = %(today)s",
    "week": "due_on >= %(today)s AND due_on <= %(week_end)s",
    "open": "true",
}
"""Which open tasks each window holds, by due day against today and the week's last day."""


class Tasks(View):
    """Every task of every customer, for "my tasks" and the customer page."""

    name = "tasks"
    version = 1
    topics = (*ev.TASK_CLASSES, ev.Erased)
    needs_personal_data = True

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}tasks ("
            " customer_id uuid NOT NULL, task_id text NOT NULL, task_kind text NOT NULL,"
            " due_on date NOT NULL, owner text NOT NULL, title text,"
            " state text NOT NULL, planned_at timestamptz NOT NULL, closed_at timestamptz,"
            " entry_version integer,"
            " PRIMARY KEY (customer_id, task_id))",
            "CREATE INDEX IF NOT EXISTS {p}tasks_open_by_owner"
            " ON {p}tasks (owner, due_on) WHERE state = 'open'",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for _, event in batch:
                self._apply(cursor, event)

    def _apply(self, cursor: Cursor[DictRow], event: ev.CustomerEvent) -> None:
        p = self.prefix
        key: dict[str, Any] = {"id": event.originator_id, "at": event.occurred_at}
        if isinstance(event, ev.TaskPlanned):
            cursor.execute(
                f"INSERT INTO {p}tasks (customer_id, task_id, task_kind, due_on, owner, title,"
                " state, planned_at) VALUES (%(id)s, %(task)s, %(kind)s, %(due)s, %(owner)s,"
                " %(title)s, 'open', %(at)s) ON CONFLICT DO NOTHING",
                {
                    **key,
                    "task": event.task_id,
                    "kind": event.task_kind,
                    "due": event.due_on,
                    "owner": event.owner,
                    "title": event.title,
                },
            )
        elif isinstance(event, ev.TaskCompleted):
            cursor.execute(
                f"UPDATE {p}tasks SET state = 'completed', closed_at = %(at)s,"
                " entry_version = %(entry)s WHERE customer_id = %(id)s AND task_id = %(task)s",
                {**key, "task": event.task_id, "entry": event.entry_version},
            )
        elif isinstance(event, ev.TaskCancelled):
            cursor.execute(
                f"UPDATE {p}tasks SET state = 'cancelled', closed_at = %(at)s"
                " WHERE customer_id = %(id)s AND task_id = %(task)s",
                {**key, "task": event.task_id},
            )
        elif isinstance(event, ev.Erased):
            cursor.execute(
                f"UPDATE {p}tasks SET title = NULL,"
                " state = CASE state WHEN 'open' THEN 'erased' ELSE state END"
                " WHERE customer_id = %(id)s",
                key,
            )

    # Reads --------------------------------------------------------------------------------

    def owned_by(
        self,
        owner: str,
        window: Window,
        today: date,
        week_end: date,
        *,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[DictRow], int]:
        """A page of the owner's open tasks in the window, soonest due first, and how many
        open tasks the window holds in all."""
        where = f"owner = %(owner)s AND state = 'open' AND {WINDOW_SQL[window]}"
        params = {
            "owner": owner,
            "today": today,
            "week_end": week_end,
            "offset": offset,
            "limit": limit,
        }
        rows = self.query(
            f"SELECT *, count(*) OVER () AS total FROM {{p}}tasks WHERE {where}"
            " ORDER BY due_on, planned_at, task_id OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(
            rows, offset, f"SELECT count(*) AS n FROM {{p}}tasks WHERE {where}", params
        )

    def of_customer(self, customer_id: UUID, *, open_only: bool = True) -> list[DictRow]:
        """The customer's tasks (open ones only unless asked), soonest due first."""
        state = "AND state = 'open'" if open_only else ""
        return self.query(
            f"SELECT * FROM {{p}}tasks WHERE customer_id = %s {state}"
            " ORDER BY due_on, planned_at, task_id",
            (customer_id,),
        )

    def get(self, customer_id: UUID, task_id: str) -> DictRow | None:
        rows = self.query(
            "SELECT * FROM {p}tasks WHERE customer_id = %s AND task_id = %s",
            (customer_id, task_id),
        )
        return rows[0] if rows else None
