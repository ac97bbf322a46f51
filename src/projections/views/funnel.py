"""The lead funnel: one row per lead, and conversion reports by channel, group and institution.

A lead's source channel, target group and institution are those of its capture. Its stage is
the furthest it reached: converted, lost, qualified or captured. Time to conversion is from
capture to conversion in business time; the median is taken at read time. No personal data.
A lead is open while it is captured or qualified (neither converted nor lost); its owner is the
customer's account manager in the indicators view.

Rows stay under the stream the lead was captured on. Lists of leads read them through the
merge map: a merged record's leads are its survivor's (owned by the survivor's manager, listed
under the survivor), and no lead is listed under an absorbed record while it is merged.
Reports by channel, group and institution count every lead once either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.merges import MergeMap
from projections.engine.view import Batch, View
from projections.views.indicators import CustomerIndicators

Stage = Literal["captured", "qualified", "converted", "lost"]
STAGES: tuple[Stage, ...] = ("captured", "qualified", "converted", "lost")
OPEN_STAGES: tuple[Stage, ...] = ("captured", "qualified")
STAGE_SQL = (
    "(CASE WHEN l.converted_at IS NOT NULL THEN 'converted' WHEN l.lost_at IS NOT NULL"
    " THEN 'lost' WHEN l.qualified_at IS NOT NULL THEN 'qualified' ELSE 'captured' END)"
)
"""A lead's stage: the furthest it reached."""
LeadSort = Literal["captured", "-captured", "stage"]
LEAD_SORTS: tuple[LeadSort, ...] = ("captured", "-captured", "stage")
LEAD_ORDER: dict[LeadSort, str] = {
    "captured": "l.captured_at",
    "-captured": "l.captured_at DESC",
    "stage": "l.qualified_at IS NULL, l.captured_at",
}
Dimension = Literal["source_channel", "target_group", "institution"]
DIMENSIONS: tuple[Dimension, ...] = ("source_channel", "target_group", "institution")
COLUMNS: dict[str, str] = {
    "customer_id": "uuid",
    "lead_id": "text",
    "source_channel": "text",
    "target_group": "text",
    "institution": "text",
    "captured_at": "timestamptz",
    "qualified_at": "timestamptz",
    "converted_at": "timestamptz",
    "lost_at": "timestamptz",
    "erased": "boolean",
}
STAGE_AT: dict[type[ev.CustomerEvent], str] = {
    ev.LeadQualified: "qualified_at",
    ev.LeadConverted: "converted_at",
    ev.LeadLost: "lost_at",
}


class Funnel(View):
    """Leads from capture to conversion or loss."""

    name = "funnel"
    version = 2
    topics = (ev.LeadCaptured, ev.LeadQualified, ev.LeadConverted, ev.LeadLost, ev.Erased)
    # Lead ids (client-chosen) and target groups (typed text) are personal: the pipeline
    # shows them, and an erasure replaces the ids and clears the target groups.
    needs_personal_data = True

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        return [
            f"CREATE TABLE IF NOT EXISTS {{p}}leads ({columns},"
            " PRIMARY KEY (customer_id, lead_id))",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        leads: dict[tuple[UUID, str], dict[str, Any]] = {}
        erased: list[UUID] = []
        for _, event in batch:
            if isinstance(event, ev.Erased):
                erased.append(event.originator_id)
                continue
            lead_id: str = event.lead_id  # type: ignore[attr-defined]
            key = (event.originator_id, lead_id)
            row = leads.setdefault(key, {**dict.fromkeys(COLUMNS), "erased": False})
            row.update(customer_id=key[0], lead_id=lead_id)
            if isinstance(event, ev.LeadCaptured):
                row.update(
                    source_channel=event.source_channel,
                    target_group=event.target_group,
                    institution=event.institution,
                    captured_at=event.occurred_at,
                )
            else:
                row[STAGE_AT[type(event)]] = event.occurred_at
        p = self.prefix
        if leads:
            names = list(COLUMNS)
            rows = list(leads.values())
            merge = ", ".join(f"{n} = coalesce(t.{n}, excluded.{n})" for n in names[2:-1])
            cursor.execute(
                f"INSERT INTO {p}leads AS t ({', '.join(names)}) SELECT * FROM unnest("
                + ", ".join(f"%s::{COLUMNS[n]}[]" for n in names)
                + f") ON CONFLICT (customer_id, lead_id) DO UPDATE SET {merge}",
                [[row[n] for row in rows] for n in names],
            )
        if erased:
            # Each lead keeps a row under an id that says nothing: the customer's hash and
            # the lead's place in capture order (the same in a rebuild).
            cursor.execute(
                f"UPDATE {p}leads l SET erased = true, target_group = NULL,"
                " lead_id = 'erased-' || md5(l.customer_id::text) || '-' || r.n"
                " FROM (SELECT customer_id, lead_id, row_number() OVER (PARTITION BY customer_id"
                f" ORDER BY captured_at, lead_id) AS n FROM {p}leads"
                " WHERE customer_id = ANY(%s) AND NOT erased) r"
                " WHERE l.customer_id = r.customer_id AND l.lead_id = r.lead_id",
                (erased,),
            )

    # Reads --------------------------------------------------------------------------------

    def report(
        self,
        dimension: Dimension,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[DictRow]:
        """Per value of the dimension: leads, qualified, converted, lost, conversion rate and
        median days from capture to conversion, for leads captured in [start, end)."""
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown funnel dimension {dimension!r}")
        return self.query(
            f"SELECT {dimension} AS value, count(*) AS leads,"
            " count(qualified_at) AS qualified, count(converted_at) AS converted,"
            " count(lost_at) AS lost,"
            " round(count(converted_at)::numeric / count(*), 4) AS conversion_rate,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            "  extract(epoch FROM converted_at - captured_at) / 86400)"
            "  FILTER (WHERE converted_at IS NOT NULL) AS median_days_to_conversion"
            " FROM {p}leads WHERE captured_at IS NOT NULL"
            " AND (%(start)s::timestamptz IS NULL OR captured_at >= %(start)s)"
            " AND (%(end)s::timestamptz IS NULL OR captured_at < %(end)s)"
            f" GROUP BY {dimension} ORDER BY leads DESC, {dimension}",
            {"start": start, "end": end},
        )

    def _owned(self, indicators: CustomerIndicators, merges: MergeMap) -> str:
        """FROM leads `l`, each with `c`: its customer as it reads through merges."""
        reads = merges.reads_as("l.customer_id")
        return (
            f" FROM {{p}}leads l{reads.join} JOIN {indicators.merged_customers(merges)} c"
            f" ON c.customer_id = {reads.id}"
        )

    def leads_owned_by(
        self,
        account_manager: str,
        indicators: CustomerIndicators,
        merges: MergeMap,
        now: datetime,
        *,
        stages: tuple[Stage, ...] = OPEN_STAGES,
        source_channel: str | None = None,
        sort: LeadSort = "captured",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[DictRow], int]:
        """A page of the leads of the manager's customers in the stages, with stage and whole
        days since capture at `now` (until conversion or loss for a closed lead), and how
        many there are in all. `customer_id` is the customer the lead reads under (a
        survivor for a merged record's lead), `stream_id` the record it was captured on."""
        condition = (
            self._owned(indicators, merges)
            + " WHERE c.account_manager = %(manager)s AND NOT c.erased AND NOT l.erased"
            f" AND l.captured_at IS NOT NULL AND {STAGE_SQL} = ANY(%(stages)s)"
            " AND (%(channel)s::text IS NULL OR l.source_channel = %(channel)s)"
        )
        params = {
            "manager": account_manager,
            "now": now,
            "stages": list(stages),
            "channel": source_channel,
            "offset": offset,
            "limit": limit,
        }
        select = (
            "SELECT c.customer_id, l.customer_id AS stream_id, l.lead_id, l.source_channel,"
            " l.target_group, l.institution,"
            f" l.captured_at, l.qualified_at, l.converted_at, l.lost_at, {STAGE_SQL} AS stage,"
            " floor(extract(epoch FROM coalesce(l.converted_at, l.lost_at, %(now)s::timestamptz)"
            " - l.captured_at) / 86400)::int AS days_open, count(*) OVER () AS total" + condition
        )
        rows = self.query(
            select + f" ORDER BY {LEAD_ORDER[sort]}, c.customer_id, l.customer_id, l.lead_id"
            " OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(rows, offset, "SELECT count(*) AS n" + condition, params)

    def stage_counts(
        self, account_manager: str, indicators: CustomerIndicators, merges: MergeMap
    ) -> dict[str, int]:
        """How many leads of the manager's customers (as they read through merges) are in
        each stage."""
        rows = self.query(
            f"SELECT {STAGE_SQL} AS stage, count(*) AS n{self._owned(indicators, merges)}"
            " WHERE c.account_manager = %s AND NOT c.erased AND NOT l.erased"
            " AND l.captured_at IS NOT NULL GROUP BY 1",
            (account_manager,),
        )
        return dict.fromkeys(STAGES, 0) | {r["stage"]: int(r["n"]) for r in rows}
