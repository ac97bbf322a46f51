"""The customer directory: one row per customer for search and lists (personal, erasable).

Name, e-mail and phone are held in clear so that search can match parts of a name. On
erasure the customer's row is DELETED, and the erasure use case then VACUUMs this view's
tables (`projections.engine.vacuum`), so no live or dead row version holds them. What remains
outside this table: the bytes of the freed row versions until PostgreSQL reuses the space,
the write-ahead log until its segments are recycled (and any WAL archive), and backups taken
before the erasure, for as long as they are kept.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View


def _profile(event: ev.Absorbed | ev.MergeUndone) -> dict[str, str | None]:
    return {
        "name": event.name,
        "email": event.email,
        "phone": event.phone,
        "sector": event.sector,
    }


class CustomerDirectory(View):
    """Names, e-mails and owners of customers, searchable by part of a name."""

    name = "directory"
    # 3: merges (a merged record points at its survivor; the survivor takes chosen values).
    version = 3
    topics = (
        ev.Registered,
        ev.ProfileCorrected,
        ev.AccountManagerAssigned,
        ev.Erased,
        ev.MergedInto,
        ev.Absorbed,
        ev.MergeUndone,
    )
    needs_personal_data = True

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}customers ("
            " customer_id uuid PRIMARY KEY,"
            " kind text NOT NULL,"
            " customer_type text NOT NULL,"
            " name text, email text, phone text, sector text,"
            " account_manager text,"
            " institution text NOT NULL,"
            " first_seen timestamptz NOT NULL,"
            " merged_into uuid)",
            "CREATE INDEX IF NOT EXISTS {p}customers_name"
            " ON {p}customers (lower(name) text_pattern_ops)",
            "CREATE INDEX IF NOT EXISTS {p}customers_manager ON {p}customers (account_manager)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        # Pipelined: the statements run one after another in the transaction as before, but
        # without a round trip each.
        with cursor.connection.pipeline():
            self._write(cursor, batch)

    def _write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        p = self.prefix
        for _, event in batch:
            params: dict[str, Any] = {"id": event.originator_id}
            if isinstance(event, ev.Registered):
                cursor.execute(
                    f"INSERT INTO {p}customers (customer_id, kind, customer_type, name, email,"
                    " phone, sector, account_manager, institution, first_seen) VALUES"
                    " (%(id)s, %(kind)s, %(type)s, %(name)s, %(email)s, %(phone)s, %(sector)s,"
                    " %(manager)s, %(institution)s, %(at)s) ON CONFLICT DO NOTHING",
                    {
                        **params,
                        "kind": event.customer_kind,
                        "type": event.customer_type,
                        "name": event.name,
                        "email": event.email,
                        "phone": event.phone,
                        "sector": event.sector,
                        "manager": event.account_manager,
                        "institution": event.institution,
                        "at": event.occurred_at,
                    },
                )
            elif isinstance(event, ev.ProfileCorrected):
                cursor.execute(
                    f"UPDATE {p}customers SET name = coalesce(%(name)s, name),"
                    " email = coalesce(%(email)s, email), phone = coalesce(%(phone)s, phone),"
                    " sector = coalesce(%(sector)s, sector) WHERE customer_id = %(id)s",
                    {
                        **params,
                        "name": event.name,
                        "email": event.email,
                        "phone": event.phone,
                        "sector": event.sector,
                    },
                )
            elif isinstance(event, ev.AccountManagerAssigned):
                cursor.execute(
                    f"UPDATE {p}customers SET account_manager = %(manager)s"
                    " WHERE customer_id = %(id)s",
                    {**params, "manager": event.account_manager},
                )
            elif isinstance(event, ev.MergedInto):
                cursor.execute(
                    f"UPDATE {p}customers SET merged_into = %(survivor)s"
                    " WHERE customer_id = %(id)s",
                    {**params, "survivor": event.survivor_id},
                )
            elif isinstance(event, ev.Absorbed):
                # The survivor takes the values the merge chose.
                cursor.execute(
                    f"UPDATE {p}customers SET name = %(name)s, email = %(email)s,"
                    " phone = %(phone)s, sector = %(sector)s WHERE customer_id = %(id)s",
                    {**params, **_profile(event)},
                )
            elif isinstance(event, ev.MergeUndone):
                # On the absorbed record (still pointing at the other) the pointer ends; on
                # the survivor, its values return to those the undo carries.
                cursor.execute(
                    f"UPDATE {p}customers SET"
                    " merged_into = CASE WHEN merged_into = %(other)s THEN NULL::uuid END,"
                    " name = CASE WHEN merged_into = %(other)s THEN name ELSE %(name)s END,"
                    " email = CASE WHEN merged_into = %(other)s THEN email ELSE %(email)s END,"
                    " phone = CASE WHEN merged_into = %(other)s THEN phone ELSE %(phone)s END,"
                    " sector = CASE WHEN merged_into = %(other)s THEN sector ELSE %(sector)s END"
                    " WHERE customer_id = %(id)s",
                    {**params, **_profile(event), "other": event.other_id},
                )
            elif isinstance(event, ev.Erased):
                cursor.execute(f"DELETE FROM {p}customers WHERE customer_id = %(id)s", params)

    def search_names(self, text: str, limit: int) -> list[UUID]:
        """Customers whose name contains the text (case-insensitive), shortest names first."""
        pattern = (
            "%" + text.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        )
        rows = self.query(
            "SELECT customer_id FROM {p}customers WHERE lower(name) LIKE %s"
            " AND merged_into IS NULL ORDER BY length(name), name LIMIT %s",
            (pattern, limit),
        )
        return [row["customer_id"] for row in rows]

    def similar(self, name: str, limit: int, kind: str | None = None) -> list[DictRow]:
        """Customers (of the kind) whose name contains this one or is contained in it,
        ignoring case: the candidates a duplicate warning and a name picker show."""
        text = name.strip().lower()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        return self.query(
            "SELECT customer_id, kind, name, email, account_manager FROM {p}customers"
            " WHERE (lower(name) LIKE %s OR (length(name) >= 5 AND strpos(%s, lower(name)) > 0))"
            " AND (%s::text IS NULL OR kind = %s) AND merged_into IS NULL"
            " ORDER BY length(name), name LIMIT %s",
            (pattern, text, kind, kind, limit),
        )

    def rows(self, customer_ids: list[UUID]) -> dict[UUID, DictRow]:
        """The directory rows of the given customers, by id."""
        found = self.query(
            "SELECT customer_id, kind, name, email, account_manager FROM {p}customers"
            " WHERE customer_id = ANY(%s)",
            (customer_ids,),
        )
        return {row["customer_id"]: row for row in found}

    def matching_rows(self, account_manager: str | None) -> list[DictRow]:
        """What duplicate matching reads: every customer's kind, name, e-mail and phone, or
        only those the account manager owns (records merged into others are left out)."""
        return self.query(
            "SELECT customer_id, kind, name, email, phone, account_manager FROM {p}customers"
            " WHERE merged_into IS NULL"
            " AND (%(manager)s::text IS NULL OR account_manager = %(manager)s)",
            {"manager": account_manager},
        )

    def owned_by(self, account_manager: str, limit: int = 500) -> list[DictRow]:
        return self.query(
            "SELECT * FROM {p}customers WHERE account_manager = %s AND merged_into IS NULL"
            " ORDER BY name LIMIT %s",
            (account_manager, limit),
        )

    def names(self, customer_ids: list[UUID]) -> dict[UUID, str | None]:
        """The names of the given customers, by id (an erased customer has no entry)."""
        rows = self.query(
            "SELECT customer_id, name FROM {p}customers WHERE customer_id = ANY(%s)",
            (customer_ids,),
        )
        return {row["customer_id"]: row["name"] for row in rows}
