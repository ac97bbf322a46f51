"""Organisation roll-ups: who acts for which organisation, and the account-based indicators.

The view keeps each person-organisation link from AffiliationStarted/Ended; the latest change
in business time decides whether the link is current, so out-of-order history still ends in
the right state, and the role is the one the latest start gave. The roll-up joins the links
with the live customer indicators at read time; the people and employer lists join them with
the directory for names. The role is personal: erasing the person clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators

COLUMNS: dict[str, str] = {
    "person_id": "uuid",
    "organisation_id": "uuid",
    "changed_at": "timestamptz",
    "active": "boolean",
    "started_at": "timestamptz",
    "ended_at": "timestamptz",
    "role": "text",
}


class Organisations(View):
    """Affiliations of people with organisations."""

    name = "organisations"
    # 2: the role of the latest start, for the organisation page.
    version = 2
    topics = (ev.AffiliationStarted, ev.AffiliationEnded, ev.Erased)
    needs_personal_data = True

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        return [
            f"CREATE TABLE IF NOT EXISTS {{p}}affiliations ({columns},"
            " person_erased boolean NOT NULL DEFAULT false,"
            " PRIMARY KEY (organisation_id, person_id))",
            "CREATE INDEX IF NOT EXISTS {p}affiliations_person ON {p}affiliations (person_id)",
            "CREATE INDEX IF NOT EXISTS {p}affiliations_active"
            " ON {p}affiliations (organisation_id) WHERE active",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        links: dict[tuple[UUID, UUID], dict[str, Any]] = {}
        erased: list[UUID] = []
        for _, event in batch:
            if isinstance(event, ev.Erased):
                erased.append(event.originator_id)
                continue
            organisation_id: UUID = event.organisation_id  # type: ignore[attr-defined]
            key = (event.originator_id, organisation_id)
            row = links.setdefault(
                key, {**dict.fromkeys(COLUMNS), "person_id": key[0], "organisation_id": key[1]}
            )
            at = event.occurred_at
            started = isinstance(event, ev.AffiliationStarted)
            # Later log position wins a tie in business time, as in the stored merge.
            if row["changed_at"] is None or at >= row["changed_at"]:
                row.update(changed_at=at, active=started)
            moment = "started_at" if started else "ended_at"
            if row[moment] is None or at > row[moment]:
                row[moment] = at
                if started:
                    row["role"] = event.role  # type: ignore[attr-defined]
        p = self.prefix
        if links:
            names = list(COLUMNS)
            rows = list(links.values())
            cursor.execute(
                f"INSERT INTO {p}affiliations AS t ({', '.join(names)}) SELECT * FROM unnest("
                + ", ".join(f"%s::{COLUMNS[n]}[]" for n in names)
                + ") ON CONFLICT (organisation_id, person_id) DO UPDATE SET"
                " active = CASE WHEN excluded.changed_at >= t.changed_at"
                "  THEN excluded.active ELSE t.active END,"
                " changed_at = greatest(t.changed_at, excluded.changed_at),"
                " started_at = greatest(t.started_at, excluded.started_at),"
                " ended_at = greatest(t.ended_at, excluded.ended_at),"
                " role = CASE WHEN excluded.started_at >= t.started_at OR t.started_at IS NULL"
                "  THEN excluded.role ELSE t.role END",
                [[row[n] for row in rows] for n in names],
            )
        if erased:
            cursor.execute(
                f"UPDATE {p}affiliations SET person_erased = true, role = NULL"
                " WHERE person_id = ANY(%s)",
                (erased,),
            )

    # Reads --------------------------------------------------------------------------------

    def members(self, organisation_id: UUID) -> list[DictRow]:
        """People currently affiliated with the organisation, and since when."""
        return self.query(
            "SELECT person_id, started_at, person_erased FROM {p}affiliations"
            " WHERE organisation_id = %s AND active ORDER BY started_at, person_id",
            (organisation_id,),
        )

    def current_links(self, person_ids: list[UUID] | None) -> list[DictRow]:
        """Each (person, organisation) link in force, for every person or the given ones."""
        return self.query(
            "SELECT person_id, organisation_id FROM {p}affiliations"
            " WHERE active AND (%(all)s OR person_id = ANY(%(ids)s))",
            {"all": person_ids is None, "ids": person_ids or []},
        )

    def people(
        self, organisation_id: UUID, directory: CustomerDirectory, limit: int, offset: int = 0
    ) -> list[DictRow]:
        """A page of the people currently acting for the organisation, by name, with their
        roles and since when."""
        return self.query(
            "SELECT a.person_id, d.name, a.role, a.started_at, a.person_erased"
            f" FROM {{p}}affiliations a LEFT JOIN {directory.prefix}customers d"
            " ON d.customer_id = a.person_id"
            " WHERE a.organisation_id = %s AND a.active"
            " ORDER BY d.name NULLS LAST, a.person_id LIMIT %s OFFSET %s",
            (organisation_id, limit, offset),
        )

    def employers(self, person_id: UUID, directory: CustomerDirectory) -> list[DictRow]:
        """Organisations the person currently acts for, with names, roles and since when."""
        return self.query(
            "SELECT a.organisation_id, d.name, a.role, a.started_at"
            f" FROM {{p}}affiliations a LEFT JOIN {directory.prefix}customers d"
            " ON d.customer_id = a.organisation_id"
            " WHERE a.person_id = %s AND a.active ORDER BY d.name, a.organisation_id",
            (person_id,),
        )

    def rollup(
        self,
        organisation_id: UUID,
        indicators: CustomerIndicators,
        now: datetime,
        *,
        with_members: bool = True,
    ) -> dict[str, Any] | None:
        """The organisation's own indicators, its current people's summed, and both together
        (and every member, unless a page lists them a page at a time)."""
        own = indicators.indicators(organisation_id, now)
        if own is None:
            return None
        people = self.query(
            "SELECT count(*) AS people,"
            " coalesce(sum(c.revenue), 0) AS revenue,"
            " coalesce(sum(c.purchase_count), 0) AS purchase_count,"
            " coalesce(sum(c.events_attended), 0) AS events_attended,"
            " coalesce(sum(c.webinars_attended), 0) AS webinars_attended,"
            " coalesce(sum(c.webinars_registered), 0) AS webinars_registered,"
            " coalesce(sum(c.feedback_count), 0) AS feedback_count,"
            " coalesce(sum(c.feedback_sum), 0) AS feedback_sum,"
            " min(c.first_purchase) AS first_purchase, max(c.last_purchase) AS last_purchase,"
            " max(c.last_activity) AS last_activity"
            f" FROM {{p}}affiliations a JOIN {indicators.prefix}customers c"
            " ON c.customer_id = a.person_id"
            " WHERE a.organisation_id = %s AND a.active",
            (organisation_id,),
        )[0]
        members = self.members(organisation_id) if with_members else []
        return {"own": own, "people": people, "members": members}
