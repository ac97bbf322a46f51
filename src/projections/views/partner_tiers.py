"""The partner tier catalogue as it stands: one row per tier with its benefits (no personal
data), built from the catalogue's own events (`crm.domain.partner_tier`)."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain.partner_tier import PARTNER_TIER_EVENT_CLASSES, PartnerTier
from crm.domain.vocabulary import MEMBERSHIP_TIERS
from projections.engine.view import Batch, View


class PartnerTiers(View):
    """Every tier of the partner community with its current terms."""

    name = "partner_tiers"
    version = 1
    topics = PARTNER_TIER_EVENT_CLASSES
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}tiers ("
            " code text PRIMARY KEY, name_fi text NOT NULL, name_en text NOT NULL,"
            " annual_fee numeric NOT NULL, benefits text[] NOT NULL, discount_percent numeric,"
            " added_at timestamptz NOT NULL, changed_at timestamptz NOT NULL,"
            " changed_by text NOT NULL, tier_id uuid NOT NULL UNIQUE)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for _, event in batch:
                self._apply(cursor, event)

    def _apply(self, cursor: Cursor[DictRow], event: Any) -> None:
        if not isinstance(event, PartnerTier.Added | PartnerTier.Revised):
            return
        terms = {
            "id": event.originator_id,
            "name_fi": event.name_fi,
            "name_en": event.name_en,
            "fee": event.annual_fee,
            "benefits": list(event.benefits),
            "percent": event.discount_percent,
            "at": event.recorded_at,
            "by": event.recorded_by,
        }
        if isinstance(event, PartnerTier.Added):
            cursor.execute(
                f"INSERT INTO {self.prefix}tiers (code, tier_id, name_fi, name_en, annual_fee,"
                " benefits, discount_percent, added_at, changed_at, changed_by) VALUES"
                " (%(code)s, %(id)s, %(name_fi)s, %(name_en)s, %(fee)s, %(benefits)s,"
                " %(percent)s, %(at)s, %(at)s, %(by)s) ON CONFLICT DO NOTHING",
                {**terms, "code": event.code},
            )
        else:
            cursor.execute(
                f"UPDATE {self.prefix}tiers SET name_fi = %(name_fi)s, name_en = %(name_en)s,"
                " annual_fee = %(fee)s, benefits = %(benefits)s,"
                " discount_percent = %(percent)s, changed_at = %(at)s, changed_by = %(by)s"
                " WHERE tier_id = %(id)s",
                terms,
            )

    # Reads --------------------------------------------------------------------------------

    def all(self) -> list[DictRow]:
        """Every tier in the catalogue, in the vocabulary's order (free, then paid)."""
        return self.query(
            "SELECT * FROM {p}tiers ORDER BY array_position(%s::text[], code), code",
            (list(MEMBERSHIP_TIERS),),
        )

    def get(self, code: str) -> DictRow | None:
        rows = self.query("SELECT * FROM {p}tiers WHERE code = %s", (code,))
        return rows[0] if rows else None
