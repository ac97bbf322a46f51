"""Segment operations shared by the HTTP API, the web pages and the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from api.bootstrap.wiring import Services
from api.services.spreadsheet import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Delimiter,
    csv_bytes,
    xlsx_bytes,
)
from crm.application.users import User
from crm.domain.calendar import local_date
from crm.domain.vocabulary import PURPOSES
from projections.segments import compiler as queries
from projections.segments.compiler import Compiled, ExportCoverage, Tables
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


ExportLayout = Literal["contacts", "audience"]
ExportFormat = Literal["csv", "xlsx"]
AUDIENCE_COLUMNS = ("email", "name", "consent_purpose", "consent_given_at", "customer_id")
"""The e-mail tool's audience: each contact with the purpose and time of the consent in force."""


@dataclass(frozen=True)
class ExportFile:
    """How an export is written: `contacts` (id, name, e-mail) or `audience` (for an e-mail
    tool: with each contact's consent purpose and time), as CSV or an `.xlsx` workbook."""

    layout: ExportLayout = "contacts"
    format: ExportFormat = "csv"
    delimiter: Delimiter = ","
    byte_order_mark: bool = False

    @property
    def media_type(self) -> str:
        return XLSX_MEDIA_TYPE if self.format == "xlsx" else CSV_MEDIA_TYPE

    def columns(self) -> tuple[str, ...]:
        return AUDIENCE_COLUMNS if self.layout == "audience" else EXPORT_COLUMNS


EXCEL_CSV = ExportFile(delimiter=";", byte_order_mark=True)
"""CSV as Finnish Excel opens it by double-click."""


@dataclass(frozen=True)
class Export:
    """A finished export: its record id, its rows, who was left out and why, and its file."""

    export_id: UUID
    rows: list[dict[str, Any]]
    coverage: ExportCoverage
    content: bytes
    file: ExportFile

    def filename(self, segment_id: UUID, stamp: str) -> str:
        return f"segment-{segment_id}-{self.file.layout}-{stamp}.{self.file.format}"

    def headers(self) -> dict[str, str]:
        """The counts as response headers: rows written and members left out, by reason."""
        coverage = self.coverage
        return {
            "X-Export-Id": str(self.export_id),
            "X-Row-Count": str(len(self.rows)),
            "X-Selected-Count": str(coverage.selected),
            "X-Left-Out-Restricted": str(coverage.restricted),
            "X-Left-Out-No-Consent": str(coverage.no_consent),
            "X-Left-Out-No-Email": str(coverage.no_email),
        }


def summary_rows(segment: Segment, coverage: ExportCoverage, now: datetime) -> list[list[Any]]:
    """What a workbook's summary sheet says about the export."""
    return [
        ["segment", segment.name],
        ["version", segment.version],
        ["purpose", coverage.purpose],
        ["exported_at", now],
        ["selected", coverage.selected],
        ["exported", coverage.exported],
        ["left_out_restricted", coverage.restricted],
        ["left_out_no_consent", coverage.no_consent],
        ["left_out_no_email", coverage.no_email],
    ]


def export_content(
    file: ExportFile,
    segment: Segment,
    rows: list[dict[str, Any]],
    coverage: ExportCoverage,
    now: datetime,
) -> bytes:
    columns = file.columns()
    values = [
        [
            coverage.purpose
            if column == "consent_purpose"
            else row["consented_at"]
            if column == "consent_given_at"
            else row[column]
            for column in columns
        ]
        for row in rows
    ]
    if file.format == "xlsx":
        return xlsx_bytes(
            [
                (file.layout, columns, values),
                ("summary", ("item", "value"), summary_rows(segment, coverage, now)),
            ]
        )
    text_values = [
        [value.isoformat() if isinstance(value, datetime) else value for value in row]
        for row in values
    ]
    return csv_bytes(
        columns, text_values, delimiter=file.delimiter, byte_order_mark=file.byte_order_mark
    )


def export_coverages(
    services: Services, segment: Segment, now: datetime | None = None
) -> list[ExportCoverage]:
    """For every marketing purpose, how an export now would cover the segment's members."""
    tables, compiled = compile_for(services, parse_rule(segment.rule), now or datetime.now(UTC))
    return [queries.export_coverage(tables, compiled, purpose) for purpose in PURPOSES]


def export_segment(
    services: Services,
    segment: Segment,
    purpose: str,
    user: User,
    now: datetime | None = None,
    file: ExportFile = ExportFile(),
) -> Export:
    """Members with a valid consent for the purpose, as a file; recorded and access-logged."""
    now = now or datetime.now(UTC)
    tables, compiled = compile_for(services, parse_rule(segment.rule), now)
    rows = [dict(row) for row in queries.export_rows(tables, compiled, purpose)]
    coverage = queries.export_coverage(tables, compiled, purpose)
    content = export_content(file, segment, rows, coverage, now)
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
    return Export(export_id, rows, coverage, content, file)


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
