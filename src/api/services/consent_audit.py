"""The consent audit as the API and the DPO's page read it: views at one log position, totals
over every contact, a page of violations, and the CSV of every audited contact."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime
from uuid import UUID

from api.bootstrap.wiring import Services
from api.services.spreadsheet import safe_cell
from projections.audits import consent_audit
from projections.audits.consent_audit import AUDIT_COLUMNS, AuditViews
from projections.engine.runner import wait_until_caught_up


def caught_up_audit_views(services: Services) -> tuple[AuditViews, bool]:
    """The audit's views, waited for up to the log's head; True when they are still behind.

    The views are read at one log position, so a contact and its consent are judged together.
    """
    audited = AuditViews.of(services.views)
    try:
        wait_until_caught_up(
            services.projector, audited.all(), services.settings.read_wait_timeout * 5
        )
    except TimeoutError:
        return audited, True
    return audited, False


def audit_csv_lines(
    audited: AuditViews,
    start: datetime | None,
    end: datetime | None,
    purpose: str | None,
    *,
    violations_only: bool,
    seen: Callable[[UUID], object] | None = None,
) -> Iterator[str]:
    """CSV lines (header first) of every audited contact in the window, oldest first, each
    cell spreadsheet-safe; `seen` is told each record a contact shows (for the access log)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: list[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(list(AUDIT_COLUMNS))
    rows = consent_audit.marketing_contacts(
        audited, start, end, purpose, violations_only=violations_only
    )
    for row in rows:
        if seen is not None:
            for customer_id in consent_audit.customers_shown([row]):
                seen(customer_id)
        yield line(["" if row[c] is None else safe_cell(_cell(row[c])) for c in AUDIT_COLUMNS])


def _cell(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
