"""Digimentors: who is (or was) named digimentor for which organisation, by whom and when.

One row per person-organisation pair from `DigimentorNamed`/`DigimentorRoleEnded`; the latest
change in business time decides whether the role is current, as for affiliations. The list
for account managers joins the rows with the directory (names, the organisation's owner) and
the indicators (the digimentor's last contact) at read time, paged with the number that
match. Nothing here is personal (ids, dates, staff user names); an erased person's rows go,
so the list never names what the erasure removed.
"""

from __future__ import annotations

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
    "named_at": "timestamptz",
    "named_by": "text",
    "ended_at": "timestamptz",
    "ended_by": "text",
}


class Digimentors(View):
    """Digimentor roles of people for organisations."""

    name = "digimentors"
    version = 1
    topics = (*ev.DIGIMENTOR_CLASSES, ev.Erased)

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        return [
            f"CREATE TABLE IF NOT EXISTS {{p}}roles ({columns},"
            " PRIMARY KEY (organisation_id, person_id))",
            "CREATE INDEX IF NOT EXISTS {p}roles_person ON {p}roles (person_id) WHERE active",
            "CREATE INDEX IF NOT EXISTS {p}roles_active ON {p}roles (named_at DESC) WHERE active",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        roles: dict[tuple[UUID, UUID], dict[str, Any]] = {}
        erased: list[UUID] = []
        for _, event in batch:
            if isinstance(event, ev.Erased):
                erased.append(event.originator_id)
                roles = {key: row for key, row in roles.items() if key[0] != event.originator_id}
                continue
            organisation_id: UUID = event.organisation_id  # type: ignore[attr-defined]
            key = (event.originator_id, organisation_id)
            row = roles.setdefault(
                key, {**dict.fromkeys(COLUMNS), "person_id": key[0], "organisation_id": key[1]}
            )
            at = event.occurred_at
            named = isinstance(event, ev.DigimentorNamed)
            # Later log position wins a tie in business time.
            if row["changed_at"] is None or at >= row["changed_at"]:
                row.update(changed_at=at, active=named)
            moment, who = ("named_at", "named_by") if named else ("ended_at", "ended_by")
            if row[moment] is None or at >= row[moment]:
                row[moment], row[who] = at, event.recorded_by
        p = self.prefix
        if erased:
            cursor.execute(f"DELETE FROM {p}roles WHERE person_id = ANY(%s)", (erased,))
        if roles:
            names = list(COLUMNS)
            rows = list(roles.values())
            later = "excluded.{0} >= t.{0} OR t.{0} IS NULL"
            cursor.execute(
                f"INSERT INTO {p}roles AS t ({', '.join(names)}) SELECT * FROM unnest("
                + ", ".join(f"%s::{COLUMNS[n]}[]" for n in names)
                + ") ON CONFLICT (organisation_id, person_id) DO UPDATE SET"
                " active = CASE WHEN excluded.changed_at >= t.changed_at"
                "  THEN excluded.active ELSE t.active END,"
                " changed_at = greatest(t.changed_at, excluded.changed_at),"
                f" named_by = CASE WHEN {later.format('named_at')}"
                "  THEN coalesce(excluded.named_by, t.named_by) ELSE t.named_by END,"
                " named_at = greatest(t.named_at, excluded.named_at),"
                f" ended_by = CASE WHEN {later.format('ended_at')}"
                "  THEN coalesce(excluded.ended_by, t.ended_by) ELSE t.ended_by END,"
                " ended_at = greatest(t.ended_at, excluded.ended_at)",
                [[row[n] for row in rows] for n in names],
            )

    # Reads --------------------------------------------------------------------------------

    def of_person(self, person_id: UUID, directory: CustomerDirectory) -> list[DictRow]:
        """The organisations the person is digimentor for, with names, since when, by whom."""
        return self.query(
            "SELECT r.organisation_id, d.name AS organisation_name, r.named_at, r.named_by"
            f" FROM {{p}}roles r LEFT JOIN {directory.prefix}customers d"
            " ON d.customer_id = r.organisation_id"
            " WHERE r.person_id = %s AND r.active ORDER BY d.name, r.organisation_id",
            (person_id,),
        )

    def of_organisation(self, organisation_id: UUID) -> set[UUID]:
        """The people currently digimentor for the organisation."""
        rows = self.query(
            "SELECT person_id FROM {p}roles WHERE organisation_id = %s AND active",
            (organisation_id,),
        )
        return {row["person_id"] for row in rows}

    def page(
        self,
        directory: CustomerDirectory,
        indicators: CustomerIndicators,
        merges: MergeMap,
        *,
        organisation_id: UUID | None,
        owner: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[DictRow], int]:
        """Current digimentors with their organisations, the organisation's owner and the
        digimentor's last contact, by organisation and name; and how many match."""
        where = ["r.active"]
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if organisation_id is not None:
            where.append("r.organisation_id = %(organisation)s")
            params["organisation"] = organisation_id
        if owner:
            where.append("o.account_manager = %(owner)s")
            params["owner"] = owner
        tables = (
            f" FROM {{p}}roles r"
            f" LEFT JOIN {directory.prefix}customers o ON o.customer_id = r.organisation_id"
        )
        condition = " WHERE " + " AND ".join(where)
        total = self.query(f"SELECT count(*) AS n{tables}{condition}", params)[0]["n"]
        if not total or offset >= total:
            return [], int(total)
        rows = self.query(
            "SELECT r.person_id, person.name AS person_name, r.organisation_id,"
            " o.name AS organisation_name, o.account_manager AS owner,"
            " r.named_at, r.named_by, i.last_activity"
            f"{tables}"
            f" LEFT JOIN {directory.prefix}customers person ON person.customer_id = r.person_id"
            f" LEFT JOIN LATERAL {indicators.history_of(merges, 'r.person_id')} i ON true"
            f"{condition}"
            " ORDER BY o.name NULLS LAST, person.name NULLS LAST, r.organisation_id, r.person_id"
            " LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
        return rows, int(total)
