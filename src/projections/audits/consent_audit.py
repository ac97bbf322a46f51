"""The consent audit: every marketing contact in the log checked against the consent ledger.

Reads two views side by side: marketing contacts from the timeline (their purpose is a
non-personal detail) and validity intervals from the consent ledger. A contact is compliant
when an interval of its purpose covered its business time and processing was not restricted
then (the restriction view's intervals); otherwise it is a violation. Consent and restriction
at a time are both decided by the rule in `crm.domain.in_force`. The views are read as they
stand (callers wait for a position first if they need one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from crm.domain import events as ev
from crm.domain.in_force import covers
from projections.engine.generations import LiveViews
from projections.engine.view import View
from projections.views.consent_ledger import ConsentLedger
from projections.views.restrictions import Restrictions, restricted_at
from projections.views.timeline import Timeline


@dataclass(frozen=True)
class AuditViews:
    """The views the audit reads side by side; read them at one log position."""

    timeline: Timeline
    ledger: ConsentLedger
    restrictions: Restrictions

    @classmethod
    def of(cls, views: LiveViews) -> AuditViews:
        return cls(views.get(Timeline), views.get(ConsentLedger), views.get(Restrictions))

    def all(self) -> list[View]:
        return [self.timeline, self.ledger, self.restrictions]


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


def marketing_contacts(
    audited: AuditViews,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    *,
    violations_only: bool = False,
    limit: int = 10_000,
) -> list[DictRow]:
    """Marketing contacts in [start, end) with the interval that covered each, or none."""
    purpose_case, kinds = _purpose_sql()
    t, c = audited.timeline.prefix, audited.ledger.prefix
    restricted = restricted_at(
        "t.customer_id", f"{audited.restrictions.prefix}intervals", "t.occurred_at"
    )
    where = ["t.kind = ANY(%(kinds)s)", "m.purpose IS NOT NULL"]
    params: dict[str, Any] = {"kinds": kinds, "limit": limit}
    if start is not None:
        where.append("t.occurred_at >= %(start)s")
        params["start"] = start
    if end is not None:
        where.append("t.occurred_at < %(end)s")
        params["end"] = end
    if purpose is not None:
        where.append("m.purpose = %(purpose)s")
        params["purpose"] = purpose
    outer = "WHERE violation IS NOT NULL" if violations_only else ""
    rows = audited.timeline.query(
        "SELECT * FROM ("
        " SELECT t.customer_id, t.version, t.position, t.kind, t.occurred_at, t.channel,"
        " t.institution, t.recorded_by, m.purpose,"
        " i.valid_from AS consent_from, i.valid_to AS consent_to, i.evidence,"
        " i.lawful_basis, i.channel AS consent_channel,"
        f" {restricted} AS restricted,"
        " CASE WHEN i.valid_from IS NULL THEN 'no valid consent'"
        f" WHEN {restricted} THEN 'processing restricted'"
        " END AS violation"
        f" FROM {t}entries t"
        f" CROSS JOIN LATERAL (SELECT {purpose_case} AS purpose) m"
        " LEFT JOIN LATERAL ("
        f"  SELECT * FROM {c}intervals i WHERE i.customer_id = t.customer_id"
        f"   AND i.purpose = m.purpose AND {covers('i', 't.occurred_at')}"
        "   ORDER BY i.valid_from DESC LIMIT 1) i ON true"
        f" WHERE {' AND '.join(where)}"
        f") audited {outer} ORDER BY occurred_at, customer_id, version LIMIT %(limit)s",
        params,
    )
    return audited.ledger.opened(rows)


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
    ledger: ConsentLedger,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    limit: int = 10_000,
) -> list[DictRow]:
    """Each consent given in the window with its evidence and how it ended."""
    where, params = _window("valid_from", start, end, purpose)
    params["limit"] = limit
    return ledger.opened(
        ledger.query(
            "SELECT customer_id, purpose, valid_from, valid_to, lawful_basis, evidence, channel,"
            f" institution, ended_by FROM {{p}}intervals WHERE {where}"
            " ORDER BY valid_from, customer_id LIMIT %(limit)s",
            params,
        )
    )


def expiring(
    ledger: ConsentLedger,
    now: datetime,
    within_days: int,
    validity_months: int,
    purpose: str | None,
    limit: int = 10_000,
) -> list[DictRow]:
    """Consents in force now that reach their validity limit within `within_days`."""
    params: dict[str, Any] = {
        "now": now,
        "days": within_days,
        "months": validity_months,
        "limit": limit,
    }
    extra = ""
    if purpose is not None:
        extra = " AND i.purpose = %(purpose)s"
        params["purpose"] = purpose
    rows = ledger.query(
        "SELECT i.customer_id, i.purpose, i.valid_from, i.evidence, i.channel,"
        " i.valid_from + make_interval(months => %(months)s) AS expires_at"
        " FROM {p}intervals i"
        " WHERE i.valid_to IS NULL AND i.valid_from <= %(now)s"
        " AND i.valid_from + make_interval(months => %(months)s)"
        "     < %(now)s + make_interval(days => %(days)s)"
        " AND NOT EXISTS (SELECT 1 FROM {p}erased e WHERE e.customer_id = i.customer_id)"
        f"{extra} ORDER BY expires_at LIMIT %(limit)s",
        params,
    )
    return ledger.opened(rows)


def _window(
    column: str, start: datetime | None, end: datetime | None, purpose: str | None
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
        where.append("purpose = %(purpose)s")
        params["purpose"] = purpose
    return " AND ".join(where), params
