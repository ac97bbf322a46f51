"""The consent audit: every marketing contact in the log checked against the consent ledger.

Reads two views side by side: marketing contacts from the timeline (their purpose is a
non-personal detail) and validity intervals from the consent ledger. A contact is compliant
when an interval of its purpose covered its business time and processing was not restricted
then (the restriction view's intervals); otherwise it is a violation. Consent and restriction
at a time are both decided by the rule in `crm.domain.in_force`. The views are read as they
stand (callers wait for a position first if they need one).

Merged records are audited as one person, read through the merge map: a contact on a record
merged into another counts under the survivor (`customer_id`; `record_id` is the record it
is on) and is checked against the survivor's merged consent history (the ledger's
`merged_contact_intervals_sql`; lists of consents read `person_intervals_sql`), whose
interval names the record its evidence is on
(`consent_record_id`). Restriction is the contact's own record's. Undoing the merge returns
each record's contacts to its own consents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import DictRow

from crm.domain import events as ev
from crm.domain.consents import consent_covers, valid_until_sql
from crm.domain.in_force import covers
from projections.engine.generations import LiveViews
from projections.engine.merges import MergeMap
from projections.engine.view import View
from projections.views.consent_ledger import (
    ConsentLedger,
    interval_columns,
    merged_contact_intervals_sql,
    merged_records_sql,
    person_intervals_sql,
)
from projections.views.restrictions import Restrictions
from projections.views.timeline import Timeline


@dataclass(frozen=True)
class AuditViews:
    """The views the audit reads side by side; read them at one log position."""

    timeline: Timeline
    ledger: ConsentLedger
    restrictions: Restrictions
    merges: MergeMap

    @classmethod
    def of(cls, views: LiveViews) -> AuditViews:
        return cls(
            views.get(Timeline),
            views.get(ConsentLedger),
            views.get(Restrictions),
            views.get(MergeMap),
        )

    def all(self) -> list[View]:
        return [self.timeline, self.ledger, self.restrictions, self.merges]

    def intervals(self) -> str:
        """SQL of the ledger's intervals as each person's (merged histories read together),
        through the live merge map."""
        return person_intervals_sql(self.ledger.prefix, f"{self.merges.prefix}merged")


def _purpose_sql() -> tuple[str, list[str]]:
    """A CASE giving each marketing kind's consent purpose, built from the event classes."""
    cases = []
    for cls in ev.TOUCHPOINT_CLASSES:
        if cls.fixed_marketing_purpose is not None:
            cases.append(f"WHEN '{cls.kind()}' THEN '{cls.fixed_marketing_purpose}'")
        elif cls.marketing_purpose_field is not None:
            cases.append(f"WHEN '{cls.kind()}' THEN t.details->>'{cls.marketing_purpose_field}'")
    kinds = [
        cls.kind()
        for cls in ev.TOUCHPOINT_CLASSES
        if cls.fixed_marketing_purpose or cls.marketing_purpose_field
    ]
    return f"CASE t.kind {' '.join(cases)} END", kinds


AUDIT_COLUMNS = (
    "customer_id",
    "version",
    "position",
    "kind",
    "occurred_at",
    "channel",
    "institution",
    "recorded_by",
    "purpose",
    "consent_from",
    "consent_to",
    "evidence",
    "lawful_basis",
    "consent_channel",
    "restricted",
    "violation",
    "record_id",
    "consent_record_id",
)
"""The columns of an audited contact, in the order of the CSV export."""


@dataclass(frozen=True)
class AuditTotals:
    """How many marketing contacts the audit checked, and how many of them violate."""

    contacts: int
    violations: int


def _audited_sql(
    audited: AuditViews, start: datetime | None, end: datetime | None, purpose: str | None
) -> tuple[str, dict[str, Any]]:
    """Every marketing contact in [start, end) with the interval that covered it, or none,
    and its verdict: one row per contact, no limit (callers count, page or stream it)."""
    purpose_case, kinds = _purpose_sql()
    t, r = audited.timeline.prefix, audited.restrictions.prefix
    c, merged = audited.ledger.prefix, f"{audited.merges.prefix}merged"
    valid = consent_covers("i", "t.occurred_at", audited.ledger.validity_months)
    where = ["t.kind = ANY(%(kinds)s)"]
    params: dict[str, Any] = {"kinds": kinds}
    if start is not None:
        where.append("t.occurred_at >= %(start)s")
        params["start"] = start
    if end is not None:
        where.append("t.occurred_at < %(end)s")
        params["end"] = end
    outer = ["t.purpose IS NOT NULL"]
    if purpose is not None:
        outer.append("t.purpose = %(purpose)s")
        params["purpose"] = purpose
    # Plain joins, not a lookup per contact: one customer's intervals of one purpose (and its
    # restriction intervals) never overlap, so at most one of each covers a contact, and the
    # planner can hash-join the whole log at once. Contacts on records in no merge join the
    # stored intervals; those on records in a merge (few) count under their person, the
    # survivor, and join the merged history's intervals. Two queries, so that the first
    # keeps the plain plan.
    records = merged_records_sql(merged)

    def contacts(person: str, source: str, intervals: str, on: str) -> str:
        return (
            f" SELECT {person} AS customer_id, t.version, t.position, t.kind, t.occurred_at,"
            " t.channel, t.institution, t.recorded_by, t.purpose,"
            " i.valid_from AS consent_from, i.valid_to AS consent_to, i.evidence,"
            " i.lawful_basis, i.channel AS consent_channel,"
            " ri.customer_id IS NOT NULL AS restricted,"
            " CASE WHEN i.valid_from IS NULL THEN 'no valid consent'"
            " WHEN ri.customer_id IS NOT NULL THEN 'processing restricted'"
            " END AS violation,"
            " t.customer_id AS record_id, i.record_id AS consent_record_id"
            " FROM (SELECT t.customer_id, t.version, t.position, t.kind, t.occurred_at,"
            f"  t.channel, t.institution, t.recorded_by, {purpose_case} AS purpose{source}"
            f"  AND {' AND '.join(where)}) t"
            f" LEFT JOIN ({intervals}) i ON {on} AND i.purpose = t.purpose AND {valid}"
            f" LEFT JOIN {r}intervals ri ON ri.customer_id = t.customer_id"
            f"  AND {covers('ri', 't.occurred_at')}"
            f" WHERE {' AND '.join(outer)}"
        )

    sql = (
        contacts(
            "t.customer_id",
            f" FROM {t}entries t WHERE t.customer_id NOT IN (SELECT record_id FROM ({records}) m)",
            f"SELECT *, customer_id AS record_id FROM {c}intervals",
            "i.customer_id = t.customer_id",
        )
        + " UNION ALL"
        + contacts(
            "t.person",
            f", m.person FROM {t}entries t JOIN ({records}) m ON m.record_id = t.customer_id"
            " WHERE true",
            merged_contact_intervals_sql(c, merged),
            "i.contact_id = t.customer_id",
        )
    )
    return sql, params


def audit_totals(
    audited: AuditViews, start: datetime | None, end: datetime | None, purpose: str | None
) -> AuditTotals:
    """How many contacts in the window were checked and how many violate: all of them."""
    sql, params = _audited_sql(audited, start, end, purpose)
    [row] = audited.timeline.query(
        f"SELECT count(*) AS contacts, count(violation) AS violations FROM ({sql}) audited",
        params,
    )
    return AuditTotals(int(row["contacts"]), int(row["violations"]))


def marketing_contacts(
    audited: AuditViews,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    *,
    violations_only: bool = False,
    offset: int = 0,
    limit: int | None = None,
) -> list[DictRow]:
    """Marketing contacts in [start, end) with the interval that covered each, or none,
    oldest first: all of them, or the page [offset, offset + limit) when a limit is given.
    `audit_totals` says how many there are in all."""
    sql, params = _audited_sql(audited, start, end, purpose)
    outer = "WHERE violation IS NOT NULL" if violations_only else ""
    page = ""
    if limit is not None:
        page = " OFFSET %(offset)s LIMIT %(limit)s"
        params = {**params, "offset": offset, "limit": limit}
    rows = audited.timeline.query(
        f"SELECT * FROM ({sql}) audited {outer} ORDER BY occurred_at, record_id, version{page}",
        params,
    )
    return audited.ledger.opened(rows, key="consent_record_id")


def changes_by_purpose_and_channel(
    ledger: ConsentLedger, start: datetime | None, end: datetime | None, purpose: str | None
) -> list[DictRow]:
    """How many consents were given, withdrawn and expired, per purpose and channel."""
    where, params = _window("occurred_at", start, end, purpose)
    return ledger.query(
        "SELECT purpose, channel, change, count(*) AS count FROM {p}changes"
        f" WHERE {where} GROUP BY purpose, channel, change ORDER BY purpose, channel, change",
        params,
    )


def consents_in_window(
    audited: AuditViews,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    now: datetime,
    limit: int = 10_000,
) -> tuple[list[DictRow], int]:
    """Each consent given in the window with its evidence and how it ended (as of `now`,
    a merged person's by its merged history): the first `limit` of them, oldest first, and
    how many there are in all."""
    ledger = audited.ledger
    where, params = _window("i.valid_from", start, end, purpose, "i.purpose")
    params.update(limit=limit, now=now)
    columns = interval_columns("i", ledger.validity_months, "%(now)s", "i.record_id")
    return _with_total(
        ledger,
        f"SELECT {columns}, count(*) OVER () AS total FROM ({audited.intervals()}) i"
        f" WHERE {where} ORDER BY i.valid_from, i.customer_id LIMIT %(limit)s",
        params,
    )


def expiring(
    audited: AuditViews,
    now: datetime,
    within_days: int,
    validity_months: int,
    purpose: str | None,
    limit: int = 10_000,
) -> tuple[list[DictRow], int]:
    """Consents in force now that reach their validity limit within `within_days` (a merged
    person's by its merged history): the first `limit` of them, soonest first, and how many
    there are in all."""
    params: dict[str, Any] = {"now": now, "days": within_days, "limit": limit}
    extra = ""
    if purpose is not None:
        extra = " AND i.purpose = %(purpose)s"
        params["purpose"] = purpose
    until = valid_until_sql("i", validity_months)
    return _with_total(
        audited.ledger,
        "SELECT i.customer_id, i.record_id, i.purpose, i.valid_from, i.evidence, i.channel,"
        f" {until} AS expires_at, count(*) OVER () AS total FROM ({audited.intervals()}) i"
        f" WHERE i.valid_to IS NULL AND i.valid_from <= %(now)s AND {until} > %(now)s"
        f" AND {until} < %(now)s + make_interval(days => %(days)s)"
        " AND NOT EXISTS (SELECT 1 FROM {p}erased e WHERE e.customer_id = i.customer_id)"
        f"{extra} ORDER BY expires_at LIMIT %(limit)s",
        params,
    )


def customers_shown(rows: list[DictRow]) -> list[UUID]:
    """Every customer record the rows show data of, once each: the person, the record a
    contact is on and the record its consent evidence is on (for the access log)."""
    shown: dict[UUID, None] = {}
    for row in rows:
        for column in ("customer_id", "record_id", "consent_record_id"):
            if row.get(column) is not None:
                shown[row[column]] = None
    return list(shown)


def _with_total(
    ledger: ConsentLedger, sql: str, params: dict[str, Any]
) -> tuple[list[DictRow], int]:
    """The rows of a query that carries `count(*) OVER () AS total`, without that column, and
    the total (a limit shows a part; the total says of how much)."""
    rows = ledger.query(sql, params)
    total = int(rows[0]["total"]) if rows else 0
    for row in rows:
        del row["total"]
    return ledger.opened(rows, key="record_id"), total


def _window(
    column: str,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    purpose_column: str = "purpose",
) -> tuple[str, dict[str, Any]]:
    where = ["true"]
    params: dict[str, Any] = {}
    if start is not None:
        where.append(f"{column} >= %(start)s")
        params["start"] = start
    if end is not None:
        where.append(f"{column} < %(end)s")
        params["end"] = end
    if purpose is not None:
        where.append(f"{purpose_column} = %(purpose)s")
        params["purpose"] = purpose
    return " AND ".join(where), params
