"""The access and portability export (GDPR art. 15 and 20): everything held about a person."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from api.bootstrap.wiring import Services
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
    merged: Sequence[tuple[Customer, list[ev.CustomerEvent]]] = (),
) -> dict[str, Any]:
    """The whole export as one JSON-ready document; `merged`: the person's other records
    (merged into this one, or this one merged into them), each with its own history."""
    return {
        "customer_id": str(customer.id),
        "exported_at": exported_at.isoformat(),
        **_record(customer, journey),
        "merged_records": [
            {"customer_id": str(other.id), **_record(other, events)} for other, events in merged
        ],
        "access_log": [
            {k: plain(v) for k, v in dataclasses.asdict(access).items()} for access in accesses
        ],
    }


def person_export(
    services: Services,
    customer_id: UUID,
    exported_at: datetime,
    record_access: Callable[[list[UUID]], None],
) -> tuple[Customer, dict[str, Any]]:
    """The export of the person the record belongs to, with every record merged with it.
    The read is logged (`record_access` with the records shown) before the access log is
    copied in, so the export lists itself."""
    customer = services.crm.get_customer(customer_id)
    journey = list(services.crm.get_journey(customer_id))
    others = services.crm.other_records(customer)
    merged = [
        (services.crm.get_customer(other), list(services.crm.get_journey(other)))
        for other in others
    ]
    record_access([customer_id, *others])
    accesses = services.access_log.list(customer_id=customer_id, limit=100_000)
    return customer, build_export(customer, journey, accesses, exported_at, merged)


def _record(customer: Customer, journey: list[ev.CustomerEvent]) -> dict[str, Any]:
    """One record's profile, events and consent changes."""
    return {
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
    }


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value

    return csv_text(columns, ([cell(row.get(column)) for column in columns] for row in rows))


EVENT_COLUMNS = [
    "version", "kind", "occurred_at", "recorded_at", "institution", "channel", "recorded_by",
    "fields",
]  # fmt: skip


def export_zip(document: dict[str, Any]) -> bytes:
    """The export as a ZIP of CSV files (profile, events, consents, access log; each merged
    record's under `merged/<id>/`) plus the JSON."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        records = [
            ("", document),
            *((f"merged/{r['customer_id']}/", r) for r in document["merged_records"]),
        ]
        for folder, record in records:
            profile = [{"field": k, "value": v} for k, v in record["profile"].items()]
            bundle.writestr(f"{folder}profile.csv", _csv(profile, ["field", "value"]))
            bundle.writestr(f"{folder}events.csv", _csv(record["events"], EVENT_COLUMNS))
            consent_columns = [f.name for f in dataclasses.fields(ConsentChange)]
            bundle.writestr(f"{folder}consents.csv", _csv(record["consents"], consent_columns))
        access_columns = [f.name for f in dataclasses.fields(Access)]
        bundle.writestr("access_log.csv", _csv(document["access_log"], access_columns))
        bundle.writestr("export.json", json.dumps(document, ensure_ascii=False, indent=2))
    return buffer.getvalue()
