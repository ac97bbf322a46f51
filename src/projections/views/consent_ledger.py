"""The consent ledger: every consent change, and every interval in which a consent was valid.

Intervals are half-open, [valid_from, valid_to): a grant opens one; the next change of the
same customer and purpose in business time (withdrawal, expiry or a fresh grant that renews
it with new evidence) closes it, and `ended_by` says which. valid_to is NULL while open.
These are the intervals of the rule in `crm.domain.in_force`, which the aggregate decides by
too: the last change by (occurred_at, position) at or before T decides.
Because history can be recorded out of order, a batch recomputes the intervals of every
(customer, purpose) it touches from all their changes. A retracted consent (`EntryRetracted`)
leaves the changes, and the intervals of its purpose are computed again without it.
"Was consent valid for purpose P at time T" is one query on the (customer, purpose,
valid_from) index. Evidence is personal: it is stored sealed with the customer's data key
(as the event log seals it) and opened on read; on `Erased` the customer is marked erased and
the sealed evidence is dropped too.

Merged records: the stored rows stay under the stream each change is on (sealed with that
stream's key). A survivor's consent is decided over its own changes and those of the records
merged into it, by the same rule the aggregate decides by: the intervals of that merged
history are computed when read (`merged_intervals_sql`, `person_intervals_sql`), from the
records the merge map names, so a withdrawal on either record closes a grant on either and
each interval keeps the record (`record_id`) whose evidence it shows. Nothing is copied
between keys, and an undone merge leaves each record reading its own intervals again.

Stored intervals end only where a change closes them; every read ends them at the grant's
validity too (`crm.domain.consents`, `validity_months` from the settings), so a consent
past its validity reads as expired whether or not the expiry job has run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.adapters.mapper import PersonalDataMapper
from crm.domain import events as ev
from crm.domain.consents import CONSENT_VALIDITY_MONTHS, consent_covers, valid_until_sql
from crm.domain.in_force import MERGED_ORDER_SQL, VALID_TO, intervals_window
from projections.engine.view import Batch, View

ENDED_BY = "CASE lead(change) OVER w WHEN 'given' THEN 'renewed' ELSE lead(change) OVER w END"


def consented_at(intervals: str, purpose: str, at: str, validity_months: int) -> str:
    """SQL selecting the customers whose consent for `purpose` was in force at `at`."""
    covered = consent_covers("i", at, validity_months)
    return f"SELECT i.customer_id FROM {intervals} i WHERE i.purpose = {purpose} AND {covered}"


def merged_intervals_sql(changes: str, records: str) -> str:
    """SQL of the validity intervals of merged histories, computed from the changes table
    `changes`: `records` is SQL of (person, record_id, merge_rank) naming the records whose
    changes make up each person's history (the survivor itself at rank 0, then each record
    merged into it in merge order). The rule is the stored intervals' (`crm.domain.in_force`)
    in `MERGED_ORDER_SQL`, the aggregate's order for merged consents. Columns: the stored
    intervals', `customer_id` being the person, and `record_id`, the record the grant is on."""
    return (
        "SELECT person AS customer_id, purpose, occurred_at AS valid_from, next_at AS valid_to,"
        " lawful_basis, evidence, channel, institution, position AS given_at_position,"
        " ended_by, record_id FROM ("
        f"  SELECT c.*, r.person, r.record_id, r.merge_rank, {VALID_TO} AS next_at,"
        f"  {ENDED_BY} AS ended_by"
        f"  FROM {changes} c JOIN ({records}) r ON c.customer_id = r.record_id"
        f"  {intervals_window('r.person, c.purpose', MERGED_ORDER_SQL)}"
        " ) ordered WHERE change = 'given'"
    )


def merged_records_sql(merged: str) -> str:
    """SQL of (person, record_id, merge_rank) for every record in a merge, read from the
    merge map's table `merged`: each survivor (rank 0) and each record merged into it (its
    merge's log position, so in merge order)."""
    return (
        f"SELECT survivor_id AS person, survivor_id AS record_id, 0::bigint AS merge_rank"
        f" FROM {merged} GROUP BY survivor_id"
        f" UNION ALL SELECT survivor_id, absorbed_id, position FROM {merged}"
    )


def person_intervals_sql(ledger_prefix: str, merged: str) -> str:
    """SQL of every validity interval as each person's, for reads over the whole ledger
    (segments, the audit's lists): a record in no merge keeps its stored intervals; a
    survivor's are those of its merged history; a record merged into another has none of its
    own while merged (its changes count under the survivor). `merged` is the merge map's
    table; the few records in a merge are left out of the stored intervals by a hashed
    look-up, not a join per interval."""
    records = merged_records_sql(merged)
    return (
        "SELECT i.customer_id, i.purpose, i.valid_from, i.valid_to, i.lawful_basis,"
        " i.evidence, i.channel, i.institution, i.given_at_position, i.ended_by,"
        f" i.customer_id AS record_id FROM {ledger_prefix}intervals i"
        f" WHERE i.customer_id NOT IN (SELECT record_id FROM ({records}) r)"
        f" UNION ALL {merged_intervals_sql(f'{ledger_prefix}changes', records)}"
    )


def merged_contact_intervals_sql(ledger_prefix: str, merged: str) -> str:
    """SQL of the merged histories' intervals (`merged_intervals_sql`), each once per record
    of its person in `contact_id`: the intervals a contact on that record is judged by."""
    records = merged_records_sql(merged)
    return (
        f"SELECT x.*, r.record_id AS contact_id"
        f" FROM ({merged_intervals_sql(f'{ledger_prefix}changes', records)}) x"
        f" JOIN ({records}) r ON r.person = x.customer_id"
    )


def interval_columns(alias: str, validity_months: int, now: str, record: str | None = None) -> str:
    """An interval's columns as read: valid_to and ended_by say `expired` once the grant's
    validity ended before its closing change, if that moment is not after `now`; `record_id`
    is the record the grant is on (`record`, by default the interval's customer)."""
    until = valid_until_sql(alias, validity_months)
    expired = f"({until} <= {now} AND ({alias}.valid_to IS NULL OR {until} < {alias}.valid_to))"
    return (
        f"{alias}.customer_id, {record or f'{alias}.customer_id'} AS record_id,"
        f" {alias}.purpose, {alias}.valid_from,"
        f" CASE WHEN {expired} THEN {until} ELSE {alias}.valid_to END AS valid_to,"
        f" {alias}.lawful_basis, {alias}.evidence, {alias}.channel, {alias}.institution,"
        f" CASE WHEN {expired} THEN 'expired' ELSE {alias}.ended_by END AS ended_by"
    )


class ConsentLedger(View):
    """Consent changes and validity intervals per customer and purpose."""

    name = "consents"
    # 2: changes keep their version, so a retracted consent leaves the ledger; 3: evidence
    # sealed with the customer's data key, dropped on erasure.
    version = 3
    topics = (
        ev.ConsentGiven,
        ev.ConsentWithdrawn,
        ev.ConsentExpired,
        ev.EntryRetracted,
        ev.Erased,
    )
    # The evidence is read to be sealed again for this view's rows.
    needs_personal_data = True
    mapper: PersonalDataMapper | None = None
    """Seals and opens the evidence (set when the view is configured)."""
    validity_months: int = CONSENT_VALIDITY_MONTHS
    """How long a grant stays valid; set from the settings when the view is built."""

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}changes ("
            " customer_id uuid NOT NULL, purpose text NOT NULL, position bigint NOT NULL,"
            " version integer NOT NULL, occurred_at timestamptz NOT NULL,"
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
        retracted: list[tuple[UUID, int]] = []
        for position, event in batch:
            if isinstance(event, ev.Erased):
                erased.append(event.originator_id)
                continue
            if isinstance(event, ev.EntryRetracted):
                retracted.append((event.originator_id, event.retracted_version))
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
                    event.originator_version,
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
        pairs: set[tuple[UUID, str]] = {(c[0], c[1]) for c in changes}
        if changes:
            columns = [list(column) for column in zip(*changes, strict=True)]
            cursor.execute(
                f"INSERT INTO {p}changes (customer_id, purpose, position, version, occurred_at,"
                " change, lawful_basis, evidence, channel, institution, recorded_by)"
                " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bigint[], %s::integer[],"
                " %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[],"
                " %s::text[], %s::text[]) ON CONFLICT DO NOTHING",
                columns,
            )
        if retracted:
            # A retracted change leaves the ledger; the intervals of its purpose are redone.
            cursor.execute(
                f"DELETE FROM {p}changes t USING unnest(%s::uuid[], %s::integer[])"
                " AS x(customer_id, version)"
                " WHERE t.customer_id = x.customer_id AND t.version = x.version"
                " RETURNING t.customer_id, t.purpose",
                [[r[0] for r in retracted], [r[1] for r in retracted]],
            )
            pairs.update((row["customer_id"], row["purpose"]) for row in cursor.fetchall())
        if pairs:
            ordered = sorted(pairs)
            touched = [[pair[0] for pair in ordered], [pair[1] for pair in ordered]]
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

    def opened(self, rows: list[DictRow], key: str = "customer_id") -> list[DictRow]:
        """Rows with sealed `evidence` and the record it is sealed for (the column `key`),
        the evidence in clear (None once that record's key is destroyed)."""
        if self.mapper is None:
            raise RuntimeError("the consent ledger opens evidence through the data mapper")
        self.mapper.keys.prefetch({row[key] for row in rows if row["evidence"]})
        for row in rows:
            if row["evidence"] is not None:
                opened = self.mapper.open_sealed(row[key], row["evidence"])
                row["evidence"] = opened.get("evidence")
        return rows

    # Reads --------------------------------------------------------------------------------

    def _relation(self, customer_id: UUID, merged: Sequence[UUID]) -> str:
        """SQL of the customer's intervals: the stored ones, or with `merged` (the records
        merged into it, from the merge map) those of its merged history. Binds %(records)s
        when merged."""
        if not merged:
            return "SELECT *, customer_id AS record_id FROM {p}intervals WHERE customer_id = %(id)s"
        records = (
            "SELECT %(id)s::uuid AS person, r.record_id, r.merge_rank - 1 AS merge_rank"
            " FROM unnest(%(records)s::uuid[]) WITH ORDINALITY AS r(record_id, merge_rank)"
        )
        changes = "(SELECT * FROM {p}changes WHERE customer_id = ANY(%(records)s::uuid[]))"
        return merged_intervals_sql(changes, records)

    def was_valid(
        self, customer_id: UUID, purpose: str, at: datetime, merged: Sequence[UUID] = ()
    ) -> bool:
        """Whether a consent for the purpose was in force at business time `at` (over the
        merged history when `merged` names the records merged into the customer)."""
        valid_at = consent_covers("i", "%(at)s", self.validity_months)
        rows = self.query(
            f"SELECT EXISTS (SELECT 1 FROM ({self._relation(customer_id, merged)}) i"
            f" WHERE i.purpose = %(purpose)s AND {valid_at}) AS valid",
            {"id": customer_id, "purpose": purpose, "at": at, "records": [customer_id, *merged]},
        )
        return bool(rows[0]["valid"])

    def intervals(
        self, customer_id: UUID, now: datetime, merged: Sequence[UUID] = ()
    ) -> list[DictRow]:
        """Every validity interval of the customer as of `now`, by purpose and start; with
        `merged` (the records merged into it), those of its merged history, each with the
        record it is on (`record_id`) and that record's evidence."""
        columns = interval_columns("i", self.validity_months, "%(now)s", "i.record_id")
        return self.opened(
            self.query(
                f"SELECT {columns} FROM ({self._relation(customer_id, merged)}) i"
                " ORDER BY i.purpose, i.valid_from, i.given_at_position",
                {"id": customer_id, "now": now, "records": [customer_id, *merged]},
            ),
            key="record_id",
        )

    def changes(self, customer_id: UUID, merged: Sequence[UUID] = ()) -> list[DictRow]:
        """Every consent change of the customer in business-time order; with `merged` (the
        records merged into it), theirs too in the merged history's order, each change under
        the record it is on (`customer_id`) with that record's evidence."""
        records = [customer_id, *merged]
        return self.opened(
            self.query(
                "SELECT c.customer_id, c.purpose, c.occurred_at, c.change, c.lawful_basis,"
                " c.evidence, c.channel, c.institution, c.recorded_by FROM {p}changes c"
                " JOIN unnest(%s::uuid[]) WITH ORDINALITY AS r(record_id, merge_rank)"
                " ON c.customer_id = r.record_id"
                f" ORDER BY {MERGED_ORDER_SQL}",
                (records,),
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
