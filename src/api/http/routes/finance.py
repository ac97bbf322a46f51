"""Finance follow-up: invoice a purchase, record payments and credits; open receivables with
ageing, revenue by invoice date, and the accounting export (CSV, `docs/accounting-export.md`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.auth import require
from api.http.dependencies import IdempotencyHeader, ServicesDep, wait_until_visible
from api.http.parameters import After, Offset
from api.http.routes.tasks import recorded_now
from api.http.schemas import RecordedOut
from api.permissions import Permission
from api.services.spreadsheet import csv_text
from crm.application.users import User
from crm.domain.calendar import HELSINKI
from crm.domain.errors import InvalidFieldError
from crm.domain.vocabulary import Institution
from projections.views.directory import CustomerDirectory
from projections.views.receivables import Bucket, Dimension, Receivables

router = APIRouter(tags=["finance"])
Finance = Annotated[User, Depends(require(Permission.RUN_FINANCE))]
Amount = Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), max_digits=12, decimal_places=2)]
InvoiceNumber = Annotated[str, Field(min_length=1, max_length=60)]
EXPORT_COLUMNS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "customer_id",
    "customer_name",
    "customer_type",
    "institution",
    "offering_type",
    "offering_code",
    "amount",
    "credited",
    "paid",
    "open",
    "last_paid_on",
)
"""The accounting export's columns, in order (`docs/accounting-export.md`)."""
EXPORT_LIMIT = 100_000
"""Invoices per export; a longer period is refused (422) so that no export is silently cut."""


class InvoiceIn(BaseModel):
    """An invoice of one of the customer's purchases."""

    model_config = ConfigDict(extra="forbid")
    purchase_id: str = Field(min_length=1, max_length=500)
    invoice_number: InvoiceNumber
    invoice_date: date
    due_date: date
    amount: Amount
    institution: Institution = "joint"


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_number: InvoiceNumber
    paid_on: date
    amount: Amount


class CreditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_number: InvoiceNumber
    credited_on: date
    amount: Amount
    reason: str = Field(min_length=1, max_length=2000)


class OpenInvoiceOut(BaseModel):
    customer_id: UUID
    customer_name: str | None
    invoice_number: str | None
    invoice_date: date
    due_date: date
    amount: Decimal
    paid: Decimal
    credited: Decimal
    open: Decimal
    bucket: Bucket
    days_overdue: int
    institution: str
    offering_type: str
    offering_code: str | None


class BucketOut(BaseModel):
    bucket: Bucket
    invoices: int
    open: Decimal


class ReceivablesOut(BaseModel):
    """Open invoices on a day, aged; `invoices` holds items `offset + 1` to `offset +
    len(invoices)` of `total`."""

    as_of: date
    buckets: list[BucketOut]
    invoices: list[OpenInvoiceOut]
    total: int
    offset: int


class RevenueRowOut(BaseModel):
    key: str
    revenue: Decimal
    invoices: int


class RevenueOut(BaseModel):
    """Revenue recognised by invoice date: invoiced less credited, in EUR."""

    by: Dimension
    start: date
    end: date
    rows: list[RevenueRowOut]


def today() -> date:
    return datetime.now(HELSINKI).date()


@router.post("/customers/{customer_id}/invoices", status_code=201)
def invoice_purchase(
    customer_id: UUID,
    invoice: Annotated[InvoiceIn, Body()],
    services: ServicesDep,
    user: Finance,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record an invoice of a purchase (409 for an unknown purchase or a number used before)."""
    request = {"customer_id": str(customer_id), **invoice.model_dump(mode="json")}
    recorded = services.crm.invoice_purchase(
        customer_id,
        recorded_now(services, user, idempotency_key, request, invoice.institution),
        purchase_id=invoice.purchase_id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/payments", status_code=201)
def pay_invoice(
    customer_id: UUID,
    payment: Annotated[PaymentIn, Body()],
    services: ServicesDep,
    user: Finance,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record a payment against an invoice (409 above what is open on it)."""
    request = {"customer_id": str(customer_id), **payment.model_dump(mode="json")}
    recorded = services.crm.pay_invoice(
        customer_id,
        recorded_now(services, user, idempotency_key, request),
        invoice_number=payment.invoice_number,
        paid_on=payment.paid_on,
        amount=payment.amount,
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/credits", status_code=201)
def credit_invoice(
    customer_id: UUID,
    credit: Annotated[CreditIn, Body()],
    services: ServicesDep,
    user: Finance,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record a credit note against an invoice (409 above what is open on it)."""
    request = {"customer_id": str(customer_id), **credit.model_dump(mode="json")}
    recorded = services.crm.credit_invoice(
        customer_id,
        recorded_now(services, user, idempotency_key, request),
        invoice_number=credit.invoice_number,
        credited_on=credit.credited_on,
        amount=credit.amount,
        reason=credit.reason,
    )
    return RecordedOut(**vars(recorded))


@router.get("/finance/receivables")
def read_receivables(
    services: ServicesDep,
    user: Finance,
    access: AccessLogged,
    as_of: date | None = None,
    bucket: Bucket | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: After = None,
) -> ReceivablesOut:
    """Open invoices on a day (default today, Finnish time), oldest due first, with the
    count and sum open per ageing bucket (not due, 1-30, 31-60, 61-90, over 90 days late)."""
    view = services.views.get(Receivables)
    wait_until_visible(services, [view], after)
    day = as_of or today()
    rows, total = view.open_invoices(day, bucket, offset=offset, limit=limit)
    names = named(services, access, user, rows)
    return ReceivablesOut(
        as_of=day,
        buckets=[
            BucketOut(bucket=b, invoices=n, open=Decimal(amount))
            for b, (n, amount) in view.ageing(day).items()
        ],
        invoices=[
            OpenInvoiceOut.model_validate({**row, "customer_name": names.get(row["customer_id"])})
            for row in rows
        ],
        total=total,
        offset=offset,
    )


@router.get("/finance/revenue")
def read_revenue(
    services: ServicesDep,
    user: Finance,
    by: Dimension = "month",
    start: date | None = None,
    end: date | None = None,
    after: After = None,
) -> RevenueOut:
    """Revenue by month, institution, offering type or customer type for invoices dated from
    `start` (default: 1 January this year) to `end` (default today) inclusive."""
    view = services.views.get(Receivables)
    wait_until_visible(services, [view], after)
    first, last = revenue_period(start, end)
    rows = view.revenue(by, first, last)
    return RevenueOut(
        by=by, start=first, end=last, rows=[RevenueRowOut.model_validate(r) for r in rows]
    )


@router.get(
    "/finance/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": ",".join(EXPORT_COLUMNS)}},
)
def export_invoices(
    services: ServicesDep,
    user: Finance,
    access: AccessLogged,
    start: date | None = None,
    end: date | None = None,
) -> StreamingResponse:
    """The accounting export: every invoice dated in the period with what was paid and
    credited (columns in `docs/accounting-export.md`)."""
    first, last = revenue_period(start, end)
    text = export_csv(services, access, user, first, last)
    return StreamingResponse(
        iter([text]),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="invoices-{first}-{last}.csv"',
        },
    )


def revenue_period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for, defaulting to this year up to today; an end before the start
    is refused naming `end`."""
    last = end or today()
    first = start or date(last.year, 1, 1)
    if last < first:
        raise InvalidFieldError("end", "must not be before start")
    return first, last


def named(
    services: Services, access: AccessRecorder, user: User, rows: list[Any]
) -> dict[UUID, str | None]:
    """The customers' names for rows that list invoices (their numbers are personal too),
    the reading of every customer listed logged."""
    customers = list(dict.fromkeys(row["customer_id"] for row in rows))
    access.record(user, customers)
    return services.views.get(CustomerDirectory).names(customers)


def export_csv(
    services: Services, access: AccessRecorder, user: User, first: date, last: date
) -> str:
    """The accounting export's text for invoices dated from `first` to `last` inclusive."""
    rows = services.views.get(Receivables).invoices_dated(first, last, limit=EXPORT_LIMIT + 1)
    if len(rows) > EXPORT_LIMIT:
        raise InvalidFieldError("start", f"the period holds over {EXPORT_LIMIT} invoices")
    names = named(services, access, user, rows)
    return csv_text(EXPORT_COLUMNS, export_lines(rows, names))


def export_lines(rows: list[Any], names: dict[UUID, str | None]) -> Iterator[list[Any]]:
    for row in rows:
        yield [
            row["invoice_number"],
            row["invoice_date"].isoformat(),
            row["due_date"].isoformat(),
            str(row["customer_id"]),
            names.get(row["customer_id"]),
            row["customer_type"],
            row["institution"],
            row["offering_type"],
            row["offering_code"],
            f"{row['amount']:.2f}",
            f"{row['credited']:.2f}",
            f"{row['paid']:.2f}",
            f"{row['open']:.2f}",
            row["last_paid_on"].isoformat() if row["last_paid_on"] else "",
        ]
