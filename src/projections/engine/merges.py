"""The merge map: which customer records are merged into which survivor, read from the log.

A merge leaves every event on its own stream (sealed with its own key); views keep their rows
under the stream they came from. Reading a survivor's merged history means reading the rows
of the survivor and of every record merged into it, which this map answers: `histories`.
Undoing a merge removes the record from the map, so each customer reads exactly its own
rows again, and the survivor keeps what was recorded on it meanwhile.
"""

from __future__ import annotations

from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View


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
