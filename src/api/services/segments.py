"""Segment operations shared by the HTTP API, the web pages and the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
from api.services.spreadsheet import csv_text
from crm.application.users import User
from crm.domain.calendar import local_date
from projections.segments import compiler as queries
from projections.segments.compiler import Compiled, Tables
from projections.segments.rules import Node, parse_rule
from projections.segments.store import Segment, Snapshot

log = logging.getLogger(__name__)
EXPORT_COLUMNS = ("customer_id", "name", "email")
"""Snapshot days are calendar days where the provider works."""
EXPORT_ENDPOINT = "POST /segments/{segment_id}/exports"


def compile_for(services: Services, rule: Node, now: datetime) -> tuple[Tables, Compiled]:
    """The rule compiled against the live views, with the configured engagement weights."""
    tables = Tables.of(services.views)
    compiled = queries.compile_rule(tables, rule, now, services.settings.engagement_weights)
    return tables, compiled


@dataclass(frozen=True)
class Export:
    """A finished export: its record id, its rows and its CSV text."""

    export_id: UUID
    rows: list[dict[str, Any]]
    text: str


def export_segment(
    services: Services, segment: Segment, purpose: str, user: User, now: datetime | None = None
) -> Export:
    """Members with a valid consent for the purpose, as CSV; recorded and access-logged."""
    now = now or datetime.now(UTC)
    tables, compiled = compile_for(services, parse_rule(segment.rule), now)
    rows = queries.export_rows(tables, compiled, purpose)
    text = csv_text(EXPORT_COLUMNS, ([row[column] for column in EXPORT_COLUMNS] for row in rows))
    export_id = services.segment_store.record_export(
        segment, purpose, user.name, user.role.value, now, len(rows)
    )
    services.access_log.record(
        user.name,
        user.role.value,
        [row["customer_id"] for row in rows],
        EXPORT_ENDPOINT,
        f"segment export {export_id} ({segment.name} v{segment.version}, {purpose})",
        "marketing",
    )
    return Export(export_id, rows, text)


def snapshot_segment(services: Services, segment: Segment, now: datetime) -> Snapshot | None:
    """Record the segment's members on `now`'s day; None if that day is recorded already."""
    tables, compiled = compile_for(services, parse_rule(segment.rule), now)
    members = queries.member_ids(tables, compiled)
    return services.segment_store.record_snapshot(segment, local_date(now), members)


def snapshot_segments(services: Services, now: datetime | None = None) -> dict[UUID, Snapshot]:
    """Record today's members of every segment (a day already recorded is left as it is)."""
    now = now or datetime.now(UTC)
    taken: dict[UUID, Snapshot] = {}
    defined = services.segment_store.every()
    for segment in defined:
        snapshot = snapshot_segment(services, segment, now)
        if snapshot is not None:
            taken[segment.segment_id] = snapshot
    log.info("segment snapshots: %d of %d segments", len(taken), len(defined))
    return taken
