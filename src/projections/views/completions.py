"""The completion registry: every course completion with its learner, offering, credits, date,
grade and institution (personal, erasable).

One row per `CourseCompleted` entry; a retracted entry leaves the registry. The course name and
the grade are the learner's personal data: held in clear for look-ups, transcripts and staff
reports, and cleared when the learner is erased (credits, dates and codes remain for counts).
Look-ups go by learner, by several learners (an organisation's staff), by catalogue code and by
period, paged with the number that match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from crm.domain.calendar import HELSINKI
from projections.engine.view import Batch, View


@dataclass(frozen=True)
class CompletionFilter:
    """Which completions a look-up covers; empty parts match everything."""

    learners: list[UUID] | None = None
    offering_code: str | None = None
    start: date | None = None
    end: date | None = None
    institution: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        parts: list[str] = ["true"]
        params: dict[str, Any] = {}
        if self.learners is not None:
            parts.append("customer_id = ANY(%(learners)s)")
            params["learners"] = self.learners
        if self.offering_code:
            parts.append("offering_code = %(code)s")
            params["code"] = self.offering_code
        if self.start is not None:
            parts.append("completed_on >= %(start)s")
            params["start"] = self.start
        if self.end is not None:
            parts.append("completed_on <= %(end)s")
            params["end"] = self.end
        if self.institution:
            parts.append("institution = %(institution)s")
            params["institution"] = self.institution
        return " AND ".join(parts), params


class Completions(View):
    """Every course completion of every learner."""

    name = "completions"
    version = 1
    topics = (ev.CourseCompleted, ev.EntryRetracted, ev.Erased)
    needs_personal_data = True

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}completions ("
            " customer_id uuid NOT NULL, version integer NOT NULL, completed_on date NOT NULL,"
            " completed_at timestamptz NOT NULL, course text, grade text, offering_code text,"
            " credits numeric NOT NULL, institution text NOT NULL,"
            " PRIMARY KEY (customer_id, version))",
            "CREATE INDEX IF NOT EXISTS {p}completions_by_date ON {p}completions (completed_on)",
            "CREATE INDEX IF NOT EXISTS {p}completions_by_code"
            " ON {p}completions (offering_code, completed_on)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for _, event in batch:
                self._apply(cursor, event)

    def _apply(self, cursor: Cursor[DictRow], event: ev.CustomerEvent) -> None:
        p = self.prefix
        key: dict[str, Any] = {"id": event.originator_id}
        if isinstance(event, ev.CourseCompleted):
            cursor.execute(
                f"INSERT INTO {p}completions (customer_id, version, completed_on, completed_at,"
                " course, grade, offering_code, credits, institution) VALUES (%(id)s,"
                " %(version)s, %(on)s, %(at)s, %(course)s, %(grade)s, %(code)s, %(credits)s,"
                " %(institution)s) ON CONFLICT DO NOTHING",
                {
                    **key,
                    "version": event.originator_version,
                    "on": event.occurred_at.astimezone(HELSINKI).date(),
                    "at": event.occurred_at,
                    "course": event.course,
                    "grade": event.grade,
                    "code": event.offering_code,
                    "credits": event.credits,
                    "institution": event.institution,
                },
            )
        elif isinstance(event, ev.EntryRetracted):
            cursor.execute(
                f"DELETE FROM {p}completions WHERE customer_id = %(id)s AND version = %(v)s",
                {**key, "v": event.retracted_version},
            )
        elif isinstance(event, ev.Erased):
            cursor.execute(
                f"UPDATE {p}completions SET course = NULL, grade = NULL WHERE customer_id = %(id)s",
                key,
            )

    # Reads --------------------------------------------------------------------------------

    def page(
        self, where: CompletionFilter, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[DictRow], int, Any]:
        """A page of completions, newest first, how many match and their credits in all."""
        condition, params = where.where()
        params |= {"offset": offset, "limit": limit}
        rows = self.query(
            "SELECT *, count(*) OVER () AS total, sum(credits) OVER () AS total_credits"
            f" FROM {{p}}completions WHERE {condition}"
            " ORDER BY completed_on DESC, customer_id, version OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        if rows:
            return rows, int(rows[0]["total"]), rows[0]["total_credits"]
        counted = self.query(
            "SELECT count(*) AS n, coalesce(sum(credits), 0) AS credits"
            f" FROM {{p}}completions WHERE {condition}",
            params,
        )
        return [], int(counted[0]["n"]), counted[0]["credits"]

    def all_of(self, where: CompletionFilter, limit: int) -> list[DictRow]:
        """Every completion that matches (up to `limit`), oldest first: transcripts and staff
        reports."""
        condition, params = where.where()
        return self.query(
            f"SELECT * FROM {{p}}completions WHERE {condition}"
            " ORDER BY customer_id, completed_on, version LIMIT %(limit)s",
            {**params, "limit": limit},
        )
