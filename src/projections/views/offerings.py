"""The offering catalogue as it stands: one row per offering code (no personal data).

Built from the catalogue's own events (`crm.domain.offering`); lists are filtered by type,
institution, state and a part of the code or either name, and paged with their total.
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain.offering import OFFERING_EVENT_CLASSES, Offering
from projections.engine.view import Batch, View


class Offerings(View):
    """Every offering of the catalogue with its current terms and state."""

    name = "offerings"
    version = 1
    topics = OFFERING_EVENT_CLASSES
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}offerings ("
            " code text PRIMARY KEY, offering_id uuid NOT NULL UNIQUE,"
            " name_fi text NOT NULL, name_en text NOT NULL, offering_type text NOT NULL,"
            " institution text NOT NULL, list_price numeric NOT NULL, credits numeric,"
            " active boolean NOT NULL, added_at timestamptz NOT NULL,"
            " changed_at timestamptz NOT NULL, changed_by text NOT NULL)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for _, event in batch:
                self._apply(cursor, event)

    def _apply(self, cursor: Cursor[DictRow], event: Any) -> None:
        p = self.prefix
        changed = {"id": event.originator_id, "at": event.recorded_at, "by": event.recorded_by}
        if isinstance(event, Offering.Added | Offering.Revised):
            terms = {
                "name_fi": event.name_fi,
                "name_en": event.name_en,
                "type": event.offering_type,
                "institution": event.institution,
                "price": event.list_price,
                "credits": event.credits,
            }
        if isinstance(event, Offering.Added):
            cursor.execute(
                f"INSERT INTO {p}offerings (code, offering_id, name_fi, name_en, offering_type,"
                " institution, list_price, credits, active, added_at, changed_at, changed_by)"
                " VALUES (%(code)s, %(id)s, %(name_fi)s, %(name_en)s, %(type)s,"
                " %(institution)s, %(price)s, %(credits)s, true, %(at)s, %(at)s, %(by)s)"
                " ON CONFLICT DO NOTHING",
                {**changed, **terms, "code": event.code},
            )
        elif isinstance(event, Offering.Revised):
            cursor.execute(
                f"UPDATE {p}offerings SET name_fi = %(name_fi)s, name_en = %(name_en)s,"
                " offering_type = %(type)s, institution = %(institution)s,"
                " list_price = %(price)s, credits = %(credits)s, changed_at = %(at)s,"
                " changed_by = %(by)s WHERE offering_id = %(id)s",
                {**changed, **terms},
            )
        elif isinstance(event, Offering.Retired | Offering.Reinstated):
            cursor.execute(
                f"UPDATE {p}offerings SET active = %(active)s, changed_at = %(at)s,"
                " changed_by = %(by)s WHERE offering_id = %(id)s",
                {**changed, "active": isinstance(event, Offering.Reinstated)},
            )

    # Reads --------------------------------------------------------------------------------

    def page(
        self,
        *,
        text: str = "",
        offering_type: str | None = None,
        institution: str | None = None,
        active: bool | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[DictRow], int]:
        """A page of offerings by code, and how many match in all."""
        where = ["true"]
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if text.strip():
            where.append(
                "(code ILIKE %(text)s OR name_fi ILIKE %(text)s OR name_en ILIKE %(text)s)"
            )
            escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["text"] = f"%{escaped}%"
        if offering_type:
            where.append("offering_type = %(type)s")
            params["type"] = offering_type
        if institution:
            where.append("institution = %(institution)s")
            params["institution"] = institution
        if active is not None:
            where.append("active = %(active)s")
            params["active"] = active
        condition = " AND ".join(where)
        rows = self.query(
            f"SELECT *, count(*) OVER () AS total FROM {{p}}offerings WHERE {condition}"
            " ORDER BY code OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(
            rows, offset, f"SELECT count(*) AS n FROM {{p}}offerings WHERE {condition}", params
        )

    def get(self, code: str) -> DictRow | None:
        rows = self.query("SELECT * FROM {p}offerings WHERE code = %s", (code,))
        return rows[0] if rows else None

    def active_choices(self) -> list[DictRow]:
        """Every offering still sold, for the choice lists of forms, by code."""
        return self.query(
            "SELECT code, name_fi, name_en, offering_type, credits FROM {p}offerings"
            " WHERE active ORDER BY code"
        )

    def every_name(self) -> list[DictRow]:
        """Every offering's code and names, retired ones too: what legacy texts are matched
        against (the whole catalogue, which is small: hundreds of rows, not thousands)."""
        return self.query("SELECT code, name_fi, name_en FROM {p}offerings ORDER BY code")

    def names(self, codes: list[str]) -> dict[str, DictRow]:
        """The Finnish and English names of the given codes, by code (unknown codes absent)."""
        rows = self.query(
            "SELECT code, name_fi, name_en FROM {p}offerings WHERE code = ANY(%s)", (codes,)
        )
        return {row["code"]: row for row in rows}
