"""The access and portability export (GDPR art. 15 and 20): everything held about a person."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from api.services.spreadsheet import csv_text
from crm.adapters.postgres.access_log import Access
from crm.domain import events as ev
from crm.domain.consents import ConsentChange, consent_changes
from crm.domain.customer import Customer
from projections.views.timeline import plain


def event_record(event: ev.CustomerEvent) -> dict[str, Any]:
    """One event as a flat record: kind, times, provenance and its own fields."""
    fields = {f.name: plain(getattr(event, f.name)) for f in type(event).own_fields()}
    return {
        "version": event.originator_version,
        "kind": type(event).kind(),
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.timestamp.isoformat(),
        "institution": event.institution,
        "channel": event.channel,
        "recorded_by": event.recorded_by,
        "fields": fields,
    }


def build_export(
    customer: Customer,
    journey: list[ev.CustomerEvent],
    accesses: list[Access],
    exported_at: datetime,
) -> dict[str, Any]:
    """The whole export as one JSON-ready document."""
    return {
        "customer_id": str(customer.id),
        "exported_at": exported_at.isoformat(),
        "profile": {
            "kind": customer.kind,
            "customer_type": customer.customer_type,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "sector": customer.sector,
            "account_manager": customer.account_manager,
            "first_seen": plain(customer.first_seen),
            "membership_tier": customer.membership_tier,
            "restricted": customer.restricted,
            "erased": customer.erased,
        },
        "events": [event_record(event) for event in journey],
        "consents": [
            {k: plain(v) for k, v in dataclasses.asdict(change).items()}
            for change in consent_changes(journey)
        ],
        "access_log": [
            {k: plain(v) for k, v in dataclasses.asdict(access).items()} for access in accesses
        ],
    }


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value

    return csv_text(columns, ([cell(row.get(column)) for column in columns] for row in rows))


def export_zip(document: dict[str, Any]) -> bytes:
    """The export as a ZIP of CSV files (profile, events, consents, access log) plus the JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        profile = [{"field": k, "value": v} for k, v in document["profile"].items()]
        bundle.writestr("profile.csv", _csv(profile, ["field", "value"]))
        event_columns = [
            "version", "kind", "occurred_at", "recorded_at", "institution", "channel",
            "recorded_by", "fields",
        ]  # fmt: skip
        bundle.writestr("events.csv", _csv(document["events"], event_columns))
        consent_columns = [f.name for f in dataclasses.fields(ConsentChange)]
        bundle.writestr("consents.csv", _csv(document["consents"], consent_columns))
        access_columns = [f.name for f in dataclasses.fields(Access)]
        bundle.writestr("access_log.csv", _csv(document["access_log"], access_columns))
        bundle.writestr("export.json", json.dumps(document, ensure_ascii=False, indent=2))
    return buffer.getvalue()
