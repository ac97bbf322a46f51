"""The lead pipeline: an account manager's leads by stage, each with its customer, age,
interest and (once converted) the purchase it became, shared by the API and the web UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.funnel import STAGES, Funnel, LeadSort, Stage
from projections.views.indicators import CustomerIndicators
from projections.views.timeline import Timeline

LEAD_KINDS = ["lead_captured", "lead_converted", "purchase_made"]


@dataclass(frozen=True)
class PipelineLead:
    """One lead as the pipeline shows it."""

    customer_id: UUID
    customer_name: str | None
    lead_id: str
    stage: str
    source_channel: str | None
    institution: str | None
    captured_at: datetime | None
    days_open: int
    interest: str | None
    target_group: str | None
    purchase_id: str | None = None
    purchase_version: int | None = None
    """The purchase's entry on the customer's timeline (converted leads linked to one)."""
    purchases: list[tuple[str, str]] = field(default_factory=list)
    """The customer's purchases (id, amount): what a qualified lead may be converted into."""


@dataclass(frozen=True)
class PipelinePage:
    """A page of one stage's leads, how many that stage holds, and the count of every stage."""

    stage: str
    leads: list[PipelineLead]
    total: int
    offset: int
    limit: int
    counts: dict[str, int]


def pipeline_page(
    services: Services,
    account_manager: str,
    stages: tuple[Stage, ...],
    now: datetime,
    *,
    source_channel: str | None = None,
    sort: LeadSort = "captured",
    offset: int = 0,
    limit: int = 50,
) -> PipelinePage:
    """The leads of the manager's customers in the stages (one page) with every stage's
    count; the customers' names, leads' interests and purchases come from the directory and
    the timeline (sealed fields opened for this reader)."""
    indicators = services.views.get(CustomerIndicators)
    funnel = services.views.get(Funnel)
    merges = services.views.get(MergeMap)
    rows, total = funnel.leads_owned_by(
        account_manager,
        indicators,
        merges,
        now,
        stages=stages,
        source_channel=source_channel,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    customer_ids = list(dict.fromkeys(row["customer_id"] for row in rows))
    names = services.views.get(CustomerDirectory).names(customer_ids) if customer_ids else {}
    # A merged record's lead is listed under its survivor; its capture, conversion and
    # purchase are entries of the record it was captured on.
    streams = list(dict.fromkeys(row["stream_id"] for row in rows))
    journal = _journal(services, streams) if streams else {}
    leads = []
    for row in rows:
        key = (row["stream_id"], row["lead_id"])
        captured = journal.get(("lead_captured", *key), {})
        converted = journal.get(("lead_converted", *key), {})
        purchase_id = converted.get("purchase_id")
        purchase = journal.get(("purchase_made", row["stream_id"], purchase_id or ""), {})
        leads.append(
            PipelineLead(
                customer_id=row["customer_id"],
                customer_name=names.get(row["customer_id"]),
                lead_id=captured.get("lead_id") or row["lead_id"],
                stage=row["stage"],
                source_channel=row["source_channel"],
                institution=row["institution"],
                captured_at=row["captured_at"],
                days_open=row["days_open"],
                interest=captured.get("interest"),
                target_group=captured.get("target_group"),
                purchase_id=purchase_id,
                purchase_version=purchase.get("version"),
                purchases=journal.get(("purchases", row["stream_id"], ""), {}).get("list", []),
            )
        )
    counts = funnel.stage_counts(account_manager, indicators, merges)
    label = stages[0] if len(stages) == 1 else "open"
    return PipelinePage(label, leads, total, offset, limit, counts)


def _journal(
    services: Services, customer_ids: list[UUID]
) -> dict[tuple[str, UUID, str], dict[str, Any]]:
    """Lead captures and conversions by lead id, and purchases by purchase id, of the
    customers: under the lead id in clear and under its stored keyed hash alike (the funnel
    holds whichever its events carried)."""
    found: dict[tuple[str, UUID, str], dict[str, Any]] = {}
    for entry in services.views.get(Timeline).entries_of_kinds(customer_ids, LEAD_KINDS):
        personal = entry["personal"] or {}
        values = {**entry["details"], **personal, "version": entry["version"]}
        customer_id, kind = entry["customer_id"], entry["kind"]
        name = "purchase_id" if kind == "purchase_made" else "lead_id"
        for key in (personal.get(name), entry["stored_hashes"].get(name)):
            if key:
                found[(kind, customer_id, key)] = values
        if kind == "purchase_made" and personal.get("purchase_id"):
            purchases = found.setdefault(("purchases", customer_id, ""), {"list": []})
            purchases["list"].append(
                (personal["purchase_id"], f"{personal['purchase_id']} ({values.get('amount')} €)")
            )
    return found


__all__ = ["STAGES", "PipelineLead", "PipelinePage", "pipeline_page"]
