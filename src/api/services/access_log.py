"""Reading the access log for the DPO: filters by user, time and customer (id or name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from api.bootstrap.wiring import Services
from api.services.customer_search import find_customers
from api.services.spreadsheet import csv_text
from crm.adapters.postgres.access_log import Access, AccessFilter, AccessPage

NAME_MATCHES = 200
"""A customer filter by name covers at most this many matching customers (the page says so)."""
CSV_COLUMNS = (
    "accessed_at", "user_name", "user_role", "customer_id", "endpoint", "reason_code", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class CustomerFilter:
    """What a customer filter value stood for: an id, or the customers whose name matched."""

    text: str
    customer_ids: list[UUID] | None
    by_name: bool


def customer_filter(services: Services, text: str) -> CustomerFilter:
    """A UUID filters by that id; anything else by part of a name, e-mail or phone (the access
    log is the DPO's, who reads contact details; never silently ignored)."""
    value = text.strip()
    if not value:
        return CustomerFilter("", None, False)
    try:
        return CustomerFilter(value, [UUID(value)], False)
    except ValueError:
        rows, _ = find_customers(services, value, by_contacts=True, limit=NAME_MATCHES)
        return CustomerFilter(value, [row["customer_id"] for row in rows], True)


def access_page(
    services: Services,
    customer: CustomerFilter,
    user_name: str | None,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> AccessPage:
    """One page of reads matching the filters, newest first."""
    filters = AccessFilter(customer.customer_ids, user_name or None, start, end)
    return services.access_log.page(filters, offset=offset, limit=limit)


def access_csv(accesses: list[Access]) -> str:
    """The reads as spreadsheet-safe CSV."""
    return csv_text(CSV_COLUMNS, ([getattr(a, c) for c in CSV_COLUMNS] for a in accesses))
