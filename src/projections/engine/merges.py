"""The merge map: which customer records are merged into which survivor, read from the log.

A merge leaves every event on its own stream (sealed with its own key); views keep their rows
under the stream they came from. Reading a survivor's merged history means reading the rows
of the survivor and of every record merged into it, which this map answers: `histories`.
Undoing a merge removes the record from the map, so each customer reads exactly its own
rows again, and the survivor keeps what was recorded on it meanwhile.

Views that compute in SQL read merged history through one construct, `reads_as`: a join
that gives every row's customer id the id it reads as (its survivor's while it is merged,
else its own). Grouping rows by that id reads each survivor over both histories and leaves
no absorbed record on its own; `histories_sql` is the same map the other way round, for a
read of one customer. A merge is one level deep (a survivor cannot be absorbed, nor an
absorbed record absorb), so one look-up suffices.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View


@dataclass(frozen=True)
class ReadsAs:
    """SQL that gives the customer id in `column` the id it reads as: append `join` to a
    FROM clause that has `column` in scope, then use `id` (group by it, join on it)."""

    join: str
    id: str


class MergeMap(View):
    """Absorbed record -> survivor, while merged."""

    name = "merges"
    topics = (ev.MergedInto, ev.MergeUndone)

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}merged ("
            " absorbed_id uuid PRIMARY KEY,"
            " survivor_id uuid NOT NULL,"
            " merged_at timestamptz NOT NULL,"
            " position bigint NOT NULL)",
            "CREATE INDEX IF NOT EXISTS {p}merged_survivor ON {p}merged (survivor_id)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        p = self.prefix
        for position, event in batch:
            if isinstance(event, ev.MergedInto):
                cursor.execute(
                    f"INSERT INTO {p}merged (absorbed_id, survivor_id, merged_at, position)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (absorbed_id) DO UPDATE SET"
                    " survivor_id = excluded.survivor_id, merged_at = excluded.merged_at,"
                    " position = excluded.position",
                    (event.originator_id, event.survivor_id, event.occurred_at, position),
                )
            elif isinstance(event, ev.MergeUndone):
                # On the absorbed stream the other is the survivor; on the survivor's, the
                # absorbed record: either way the pair's entry goes.
                cursor.execute(
                    f"DELETE FROM {p}merged WHERE (absorbed_id, survivor_id)"
                    " IN ((%s, %s), (%s, %s))",
                    (event.originator_id, event.other_id, event.other_id, event.originator_id),
                )

    def absorbed_into(self, survivor_id: UUID) -> list[UUID]:
        """The records merged into the survivor, oldest merge first."""
        rows = self.query(
            "SELECT absorbed_id FROM {p}merged WHERE survivor_id = %s ORDER BY position",
            (survivor_id,),
        )
        return [row["absorbed_id"] for row in rows]

    def histories(self, customer_id: UUID) -> list[UUID]:
        """The streams whose rows make up the customer's merged history: its own first."""
        return [customer_id, *self.absorbed_into(customer_id)]

    def histories_of(self, customer_ids: list[UUID]) -> list[UUID]:
        """The streams of every given customer's merged history, the given ids first (one
        query for a group: an organisation and its people)."""
        rows = self.query(
            "SELECT absorbed_id FROM {p}merged WHERE survivor_id = ANY(%s) ORDER BY position",
            (customer_ids,),
        )
        return [*customer_ids, *(row["absorbed_id"] for row in rows)]

    def survivor_of(self, customer_id: UUID) -> UUID | None:
        """The survivor the record is merged into, None when it is not merged."""
        rows = self.query(
            "SELECT survivor_id FROM {p}merged WHERE absorbed_id = %s", (customer_id,)
        )
        return rows[0]["survivor_id"] if rows else None

    def people(self, customer_ids: list[UUID]) -> list[UUID]:
        """Each record's person, once each in the order given: the survivor a record is
        merged into, or the record itself."""
        rows = self.query(
            "SELECT x.id, m.survivor_id FROM unnest(%s::uuid[]) WITH ORDINALITY AS x(id, n)"
            " LEFT JOIN {p}merged m ON m.absorbed_id = x.id ORDER BY x.n",
            (customer_ids,),
        )
        return list(dict.fromkeys(row["survivor_id"] or row["id"] for row in rows))

    # SQL constructs --------------------------------------------------------------------

    def reads_as(self, column: str, alias: str = "ra") -> ReadsAs:
        """The id the customer in `column` reads as: its survivor while it is merged into
        one, else itself. `alias` names the map in the join (distinct per join)."""
        return ReadsAs(
            f" LEFT JOIN {self.prefix}merged {alias} ON {alias}.absorbed_id = {column}",
            f"coalesce({alias}.survivor_id, {column})",
        )

    def members_sql(self) -> str:
        """SQL relation (customer_id, reads_as) of every record in a merge: each absorbed
        record with its survivor, and each survivor with itself. A customer not in it reads
        as itself and has no rows to combine."""
        merged = f"{self.prefix}merged"
        return (
            f"(SELECT absorbed_id AS customer_id, survivor_id AS reads_as FROM {merged}"
            f" UNION ALL SELECT DISTINCT survivor_id, survivor_id FROM {merged})"
        )

    def histories_sql(self, column: str) -> str:
        """SQL array of the streams whose rows make up the merged history of the customer in
        `column` (what `histories` answers, inside a query)."""
        return (
            f"ARRAY(SELECT {column} UNION ALL SELECT m.absorbed_id FROM {self.prefix}merged m"
            f" WHERE m.survivor_id = {column})"
        )
