"""The consent ledger: every consent change, and every interval in which a consent was valid.

Intervals are half-open, [valid_from, valid_to): a grant opens one; the next change of the
same customer and purpose in business time (withdrawal, expiry or a fresh grant that renews
it with new evidence) closes it, and `ended_by` says which. valid_to is NULL while open.
These are the intervals of the rule in `crm.domain.in_force`, which the aggregate decides by
too: the last change by (occurred_at, position) at or before T decides.
Because history can be recorded out of order, a batch recomputes the intervals of every
(customer, purpose) it touches from all their changes.
"Was consent valid for purpose P at time T" is one query on the (customer, purpose,
valid_from) index. Evidence is personal: it is stored sealed with the customer's data key
(as the event log seals it) and opened on read; on `Erased` the customer is marked erased and
the sealed evidence is dropped too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.adapters.mapper import PersonalDataMapper
from crm.domain import events as ev
from crm.domain.in_force import ORDER_SQL, VALID_TO, covers, intervals_window
from projections.engine.view import Batch, View

ENDED_BY = "CASE lead(change) OVER w WHEN 'given' THEN 'renewed' ELSE lead(change) OVER w END"
VALID_AT = covers("i", "%(at)s")
"""An interval `i` that covers the business time bound as `at`."""


def consented_at(intervals: str, purpose: str, at: str) -> str:
    """SQL selecting the customers whose consent for `purpose` was in force at `at`."""
    return (
        f"SELECT i.customer_id FROM {intervals} i WHERE i.purpose = {purpose} AND {covers('i', at)}"
    )


class ConsentLedger(View):
    """Consent changes and validity intervals per customer and purpose."""

    name = "consents"
    # 2: evidence sealed with the customer's data key, dropped on erasure.
    version = 2
    topics = (ev.ConsentGiven, ev.ConsentWithdrawn, ev.ConsentExpired, ev.Erased)
    # The evidence is read to be sealed again for this view's rows.
    needs_personal_data = True
    mapper: PersonalDataMapper | None = None
    """Seals and opens the evidence (set when the view is configured)."""

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}changes ("
            " customer_id uuid NOT NULL, purpose text NOT NULL, position bigint NOT NULL,"
            " occurred_at timestamptz NOT NULL,"
            " change text NOT NULL,"  # given, withdrawn or expired
            " lawful_basis text, evidence text, channel text NOT NULL,"
            " institution text NOT NULL, recorded_by text NOT NULL,"
            " PRIMARY KEY (customer_id, purpose, position))",
            "CREATE TABLE IF NOT EXISTS {p}intervals ("
            " customer_id uuid NOT NULL, purpose text NOT NULL,"
            " valid_from timestamptz NOT NULL, valid_to timestamptz,"
            " lawful_basis text NOT NULL, evidence text, channel text NOT NULL,"
            " institution text NOT NULL, given_at_position bigint NOT NULL,"
            " ended_by text,"  # withdrawn, expired, renewed; NULL while open
            " PRIMARY KEY (customer_id, purpose, given_at_position))",
            "CREATE INDEX IF NOT EXISTS {p}intervals_validity"
            " ON {p}intervals (customer_id, purpose, valid_from)",
            # Segments ask "who may be contacted for purpose P now": a range of one purpose.
            "CREATE INDEX IF NOT EXISTS {p}intervals_by_purpose"
            " ON {p}intervals (purpose, valid_from) INCLUDE (valid_to, customer_id)",
            "CREATE TABLE IF NOT EXISTS {p}erased (customer_id uuid PRIMARY KEY)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        changes: list[tuple[Any, ...]] = []
        erased: list[UUID] = []
        for position, event in batch:
            if isinstance(event, ev.Erased):
                erased.append(event.originator_id)
                continue
            if isinstance(event, ev.ConsentGiven):
                change, basis, evidence = "given", event.lawful_basis, event.evidence
            elif isinstance(event, ev.ConsentWithdrawn):
                change, basis, evidence = "withdrawn", None, event.evidence
            elif isinstance(event, ev.ConsentExpired):
                change, basis, evidence = "expired", None, None
            else:
                continue
            changes.append(
                (
                    event.originator_id,
                    event.purpose,
                    position,
                    event.occurred_at,
                    change,
                    basis,
                    self.seal_evidence(event.originator_id, evidence),
                    event.channel,
                    event.institution,
                    event.recorded_by,
                )
            )
        p = self.prefix
        if changes:
            columns = [list(column) for column in zip(*changes, strict=True)]
            cursor.execute(
                f"INSERT INTO {p}changes (customer_id, purpose, position, occurred_at, change,"
                " lawful_basis, evidence, channel, institution, recorded_by)"
                " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bigint[],"
                " %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[],"
                " %s::text[], %s::text[]) ON CONFLICT DO NOTHING",
                columns,
            )
            pairs = sorted({(c[0], c[1]) for c in changes})
            touched = [[pair[0] for pair in pairs], [pair[1] for pair in pairs]]
            cursor.execute(
                f"DELETE FROM {p}intervals t USING unnest(%s::uuid[], %s::text[])"
                " AS x(customer_id, purpose)"
                " WHERE t.customer_id = x.customer_id AND t.purpose = x.purpose",
                touched,
            )
            cursor.execute(
                f"INSERT INTO {p}intervals (customer_id, purpose, valid_from, valid_to,"
                " lawful_basis, evidence, channel, institution, given_at_position, ended_by)"
                " SELECT customer_id, purpose, occurred_at, next_at, lawful_basis, evidence,"
                " channel, institution, position, ended_by FROM ("
                f"  SELECT c.*, {VALID_TO} AS next_at, {ENDED_BY} AS ended_by"
                f"  FROM {p}changes c JOIN unnest(%s::uuid[], %s::text[])"
                "   AS x(customer_id, purpose) USING (customer_id, purpose)"
                f"  {intervals_window('customer_id, purpose')}"
                " ) ordered WHERE change = 'given'",
                touched,
            )
        if erased:
            cursor.execute(
                f"INSERT INTO {p}erased SELECT unnest(%s::uuid[]) ON CONFLICT DO NOTHING",
                (erased,),
            )
            for table in ("changes", "intervals"):
                cursor.execute(
                    f"UPDATE {p}{table} SET evidence = NULL"
                    " WHERE customer_id = ANY(%s::uuid[]) AND evidence IS NOT NULL",
                    (erased,),
                )

    def seal_evidence(self, customer_id: UUID, evidence: str | None) -> str | None:
        """Evidence as this view stores it: sealed with the customer's data key."""
        if evidence is None:
            return None
        if self.mapper is None:
            raise RuntimeError("the consent ledger seals evidence through the data mapper")
        return self.mapper.seal(customer_id, {"evidence": evidence})

    def opened(self, rows: list[DictRow]) -> list[DictRow]:
        """Rows with their `customer_id` and sealed `evidence`, the evidence in clear (None
        once the customer's key is destroyed)."""
        if self.mapper is None:
            raise RuntimeError("the consent ledger opens evidence through the data mapper")
        self.mapper.keys.prefetch({row["customer_id"] for row in rows if row["evidence"]})
        for row in rows:
            if row["evidence"] is not None:
                opened = self.mapper.open_sealed(row["customer_id"], row["evidence"])
                row["evidence"] = opened.get("evidence")
        return rows

    # Reads --------------------------------------------------------------------------------

    def was_valid(self, customer_id: UUID, purpose: str, at: datetime) -> bool:
        """Whether a consent for the purpose was in force at business time `at`."""
        rows = self.query(
            "SELECT EXISTS (SELECT 1 FROM {p}intervals i WHERE i.customer_id = %(id)s"
            f" AND i.purpose = %(purpose)s AND {VALID_AT}) AS valid",
            {"id": customer_id, "purpose": purpose, "at": at},
        )
        return bool(rows[0]["valid"])

    def intervals(self, customer_id: UUID) -> list[DictRow]:
        """Every validity interval of the customer, by purpose and start."""
        return self.opened(
            self.query(
                "SELECT customer_id, purpose, valid_from, valid_to, lawful_basis, evidence,"
                " channel, institution, ended_by FROM {p}intervals WHERE customer_id = %s"
                " ORDER BY purpose, valid_from, given_at_position",
                (customer_id,),
            )
        )

    def changes(self, customer_id: UUID) -> list[DictRow]:
        """Every consent change of the customer in business-time order."""
        return self.opened(
            self.query(
                "SELECT customer_id, purpose, occurred_at, change, lawful_basis, evidence,"
                " channel, institution, recorded_by FROM {p}changes WHERE customer_id = %s"
                f" ORDER BY {ORDER_SQL}",
                (customer_id,),
            )
        )

    def open_consents_given_before(self, cutoff: datetime) -> list[UUID]:
        """Customers with a consent still in force that was given at or before `cutoff`."""
        rows = self.query(
            "SELECT DISTINCT customer_id FROM {p}intervals"
            " WHERE valid_to IS NULL AND valid_from <= %s",
            (cutoff,),
        )
        return [row["customer_id"] for row in rows]

    def is_erased(self, customer_id: UUID) -> bool:
        rows = self.query("SELECT 1 FROM {p}erased WHERE customer_id = %s", (customer_id,))
        return bool(rows)
