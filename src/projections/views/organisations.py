"""Organisation roll-ups: who acts for which organisation, and the account-based indicators.

The view keeps each person-organisation link from AffiliationStarted/Ended; the latest change
in business time decides whether the link is current, so out-of-order history still ends in
the right state, and the role is the one the latest start gave. The roll-up joins the links
with the live customer indicators at read time; the people and employer lists join them with
the directory for names. The role is personal: erasing the person clears it.

Links stay under the records they were recorded on. Every read goes through the merge map
(`links`): a link reads between the organisation and the person each record reads as, so a
merged organisation's people are its survivor's and a merged person acts for their
organisations as the survivor; where both records of a merged pair hold a link to the same
organisation, the one changed latest in business time decides, as on one stream.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.merges import MergeMap
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

    def links(self, merges: MergeMap) -> str:
        """SQL relation (organisation_id, person_id, active, started_at, role, person_erased,
        streams): every link between customers as they read through merges, `streams` being
        the person's records that hold it. A link whose records are in no merge is its own
        row; the links of merged records are combined per pair (the latest change wins)."""
        p = self.prefix
        members = merges.members_sql()
        org = merges.reads_as("a.organisation_id", "mo")
        person = merges.reads_as("a.person_id", "mp")
        return (
            "(SELECT organisation_id, person_id, active, started_at, role, person_erased,"
            f" ARRAY[person_id] AS streams FROM {p}affiliations"
            f" WHERE organisation_id NOT IN (SELECT customer_id FROM {members} x)"
            f" AND person_id NOT IN (SELECT customer_id FROM {members} y)"
            f" UNION ALL (SELECT DISTINCT ON (1, 2) {org.id}, {person.id}, a.active,"
            " a.started_at, a.role, a.person_erased,"
            f" array_agg(a.person_id) OVER (PARTITION BY {org.id}, {person.id})"
            f" FROM (SELECT * FROM {p}affiliations WHERE organisation_id IN"
            f" (SELECT customer_id FROM {members} x) UNION SELECT * FROM {p}affiliations"
            f" WHERE person_id IN (SELECT customer_id FROM {members} y)) a{org.join}{person.join}"
            " ORDER BY 1, 2, a.changed_at DESC, a.person_id))"
        )

    def members(self, organisation_id: UUID, merges: MergeMap) -> list[DictRow]:
        """People currently affiliated with the organisation (as they read through merges),
        since when, and the records (`streams`) whose histories hold the link."""
        return self.query(
            "SELECT person_id, started_at, person_erased, streams"
            f" FROM {self.links(merges)} a WHERE organisation_id = %s AND active"
            " ORDER BY started_at, person_id",
            (organisation_id,),
        )

    def current_links(self, person_ids: list[UUID] | None) -> list[DictRow]:
        """Each (person, organisation) link in force as recorded, for every person or the
        given ones (duplicate candidates compare records, merged or not)."""
        return self.query(
            "SELECT person_id, organisation_id FROM {p}affiliations"
            " WHERE active AND (%(all)s OR person_id = ANY(%(ids)s))",
            {"all": person_ids is None, "ids": person_ids or []},
        )

    def people(
        self,
        organisation_id: UUID,
        directory: CustomerDirectory,
        merges: MergeMap,
        limit: int,
        offset: int = 0,
    ) -> list[DictRow]:
        """A page of the people currently acting for the organisation (as they read through
        merges), by name, with their roles and since when."""
        return self.query(
            "SELECT a.person_id, d.name, a.role, a.started_at, a.person_erased"
            f" FROM {self.links(merges)} a LEFT JOIN {directory.prefix}customers d"
            " ON d.customer_id = a.person_id"
            " WHERE a.organisation_id = %s AND a.active"
            " ORDER BY d.name NULLS LAST, a.person_id LIMIT %s OFFSET %s",
            (organisation_id, limit, offset),
        )

    def employers(
        self, person_id: UUID, directory: CustomerDirectory, merges: MergeMap
    ) -> list[DictRow]:
        """Organisations the person currently acts for (as both read through merges), with
        names, roles and since when."""
        return self.query(
            "SELECT a.organisation_id, d.name, a.role, a.started_at"
            f" FROM {self.links(merges)} a LEFT JOIN {directory.prefix}customers d"
            " ON d.customer_id = a.organisation_id"
            " WHERE a.person_id = %s AND a.active ORDER BY d.name, a.organisation_id",
            (person_id,),
        )

    def rollup(
        self,
        organisation_id: UUID,
        indicators: CustomerIndicators,
        merges: MergeMap,
        now: datetime,
        *,
        with_members: bool = True,
    ) -> dict[str, Any] | None:
        """The organisation's own indicators, its current people's summed, and both together
        (and every member, unless a page lists them a page at a time); each over merged
        histories, each merged person counted once."""
        own = indicators.indicators(organisation_id, now, merges)
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
            # Each person's merged row looked up by id (a join into the whole relation would
            # read every customer).
            f" FROM {self.links(merges)} a"
            f" CROSS JOIN LATERAL {indicators.history_of(merges, 'a.person_id')} c"
            " WHERE a.organisation_id = %s AND a.active",
            (organisation_id,),
        )[0]
        members = self.members(organisation_id, merges) if with_members else []
        return {"own": own, "people": people, "members": members}
