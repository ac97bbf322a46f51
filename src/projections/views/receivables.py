"""Finance follow-up: purchases, their invoices, payments and credits (personal, erasable).

One row per invoice with what was paid and credited against it, the purchase's offering type,
catalogue code and institution, and the customer's type, copied when the invoice is applied.
Open receivables are aged by days past the due date; revenue is recognised by invoice date
(invoiced less credited). Invoice numbers and purchase ids are personal: held in clear for the
finance pages and cleared when the customer is erased, while amounts and dates remain.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View

Bucket = Literal["not_due", "1_30", "31_60", "61_90", "over_90"]
BUCKETS: tuple[Bucket, ...] = ("not_due", "1_30", "31_60", "61_90", "over_90")
BUCKET_SQL = """CASE WHEN due_date >= %(as_of)s THEN 'not_due'
  WHEN %(as_of)s - due_date <= 30 THEN '1_30'
  WHEN %(as_of)s - due_date <= 60 THEN '31_60'
  WHEN %(as_of)s - due_date <= 90 THEN '61_90'
  ELSE 'over_90' END"""
"""The ageing bucket of an open invoice on the day `as_of`, by days past its due date."""
OPEN = "amount - paid - credited"

Dimension = Literal["month", "institution", "offering_type", "customer_type"]
DIMENSIONS: tuple[Dimension, ...] = ("month", "institution", "offering_type", "customer_type")
DIMENSION_SQL: dict[Dimension, str] = {
    "month": "to_char(invoice_date, 'YYYY-MM')",
    "institution": "institution",
    "offering_type": "offering_type",
    "customer_type": "customer_type",
}


class Receivables(View):
    """Invoices with their payments and credits, and the purchases not yet invoiced."""

    name = "receivables"
    version = 1
    topics = (ev.Registered, ev.PurchaseMade, *ev.FINANCE_CLASSES, ev.Erased)
    needs_personal_data = True

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}customers ("
            " customer_id uuid PRIMARY KEY, customer_type text NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {p}purchases ("
            " customer_id uuid NOT NULL, purchase_id text NOT NULL, offering_type text NOT NULL,"
            " offering_code text, institution text NOT NULL, amount numeric NOT NULL,"
            " purchased_at timestamptz NOT NULL, invoiced numeric NOT NULL DEFAULT 0,"
            " PRIMARY KEY (customer_id, purchase_id))",
            "CREATE INDEX IF NOT EXISTS {p}purchases_uninvoiced"
            " ON {p}purchases (purchased_at) WHERE invoiced < amount",
            "CREATE TABLE IF NOT EXISTS {p}invoices ("
            " customer_id uuid NOT NULL, invoiced_position bigint NOT NULL,"
            " invoice_number text, purchase_id text, invoice_date date NOT NULL,"
            " due_date date NOT NULL, amount numeric NOT NULL, paid numeric NOT NULL DEFAULT 0,"
            " credited numeric NOT NULL DEFAULT 0, last_paid_on date,"
            " institution text NOT NULL, offering_type text NOT NULL, offering_code text,"
            " customer_type text NOT NULL,"
            " PRIMARY KEY (customer_id, invoiced_position))",
            "CREATE UNIQUE INDEX IF NOT EXISTS {p}invoices_by_number"
            " ON {p}invoices (customer_id, invoice_number)",
            "CREATE INDEX IF NOT EXISTS {p}invoices_open"
            " ON {p}invoices (due_date) WHERE amount - paid - credited > 0",
            "CREATE INDEX IF NOT EXISTS {p}invoices_by_date ON {p}invoices (invoice_date)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        with cursor.connection.pipeline():
            for position, event in batch:
                self._apply(cursor, position, event)

    def _apply(self, cursor: Cursor[DictRow], position: int, event: ev.CustomerEvent) -> None:
        p = self.prefix
        key: dict[str, Any] = {"id": event.originator_id}
        if isinstance(event, ev.Registered):
            cursor.execute(
                f"INSERT INTO {p}customers VALUES (%(id)s, %(type)s) ON CONFLICT DO NOTHING",
                {**key, "type": event.customer_type},
            )
        elif isinstance(event, ev.PurchaseMade):
            cursor.execute(
                f"INSERT INTO {p}purchases (customer_id, purchase_id, offering_type,"
                " offering_code, institution, amount, purchased_at) VALUES (%(id)s,"
                " %(purchase)s, %(type)s, %(code)s, %(institution)s, %(amount)s, %(at)s)"
                " ON CONFLICT DO NOTHING",
                {
                    **key,
                    "purchase": event.purchase_id,
                    "type": event.offering_type,
                    "code": event.offering_code,
                    "institution": event.institution,
                    "amount": event.amount,
                    "at": event.occurred_at,
                },
            )
        elif isinstance(event, ev.PurchaseInvoiced):
            values = {
                **key,
                "position": position,
                "number": event.invoice_number,
                "purchase": event.purchase_id,
                "date": event.invoice_date,
                "due": event.due_date,
                "amount": event.amount,
            }
            cursor.execute(
                f"INSERT INTO {p}invoices (customer_id, invoiced_position, invoice_number,"
                " purchase_id, invoice_date, due_date, amount, institution, offering_type,"
                " offering_code, customer_type)"
                " SELECT %(id)s, %(position)s, %(number)s, %(purchase)s, %(date)s, %(due)s,"
                " %(amount)s, coalesce(pu.institution, 'joint'),"
                " coalesce(pu.offering_type, 'open_training'), pu.offering_code,"
                " coalesce(c.customer_type, 'individual')"
                f" FROM (SELECT 1) one LEFT JOIN {p}purchases pu"
                " ON pu.customer_id = %(id)s AND pu.purchase_id = %(purchase)s"
                f" LEFT JOIN {p}customers c ON c.customer_id = %(id)s"
                " ON CONFLICT DO NOTHING",
                values,
            )
            cursor.execute(
                f"UPDATE {p}purchases SET invoiced = invoiced + %(amount)s"
                " WHERE customer_id = %(id)s AND purchase_id = %(purchase)s",
                values,
            )
        elif isinstance(event, ev.InvoicePaid):
            cursor.execute(
                f"UPDATE {p}invoices SET paid = paid + %(amount)s,"
                " last_paid_on = greatest(last_paid_on, %(on)s)"
                " WHERE customer_id = %(id)s AND invoice_number = %(number)s",
                {
                    **key,
                    "amount": event.amount,
                    "on": event.paid_on,
                    "number": event.invoice_number,
                },
            )
        elif isinstance(event, ev.InvoiceCredited):
            cursor.execute(
                f"UPDATE {p}invoices SET credited = credited + %(amount)s"
                " WHERE customer_id = %(id)s AND invoice_number = %(number)s",
                {**key, "amount": event.amount, "number": event.invoice_number},
            )
        elif isinstance(event, ev.Erased):
            cursor.execute(f"DELETE FROM {p}purchases WHERE customer_id = %(id)s", key)
            cursor.execute(
                f"UPDATE {p}invoices SET invoice_number = NULL, purchase_id = NULL"
                " WHERE customer_id = %(id)s",
                key,
            )

    # Reads --------------------------------------------------------------------------------

    def ageing(self, as_of: date) -> dict[Bucket, tuple[int, Any]]:
        """Per ageing bucket on the day: how many invoices are open and how much is open."""
        rows = self.query(
            f"SELECT {BUCKET_SQL} AS bucket, count(*) AS n, sum({OPEN}) AS open"
            f" FROM {{p}}invoices WHERE {OPEN} > 0 GROUP BY 1",
            {"as_of": as_of},
        )
        found = {row["bucket"]: (int(row["n"]), row["open"]) for row in rows}
        return {bucket: found.get(bucket, (0, 0)) for bucket in BUCKETS}

    def open_invoices(
        self, as_of: date, bucket: Bucket | None = None, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[DictRow], int]:
        """A page of open invoices (oldest due first) with their bucket and days overdue,
        and how many are open in all (in the bucket, when one is given)."""
        where = f"{OPEN} > 0" + (f" AND {BUCKET_SQL} = %(bucket)s" if bucket else "")
        params = {"as_of": as_of, "bucket": bucket, "offset": offset, "limit": limit}
        rows = self.query(
            f"SELECT *, {OPEN} AS open, {BUCKET_SQL} AS bucket,"
            " greatest(%(as_of)s - due_date, 0) AS days_overdue, count(*) OVER () AS total"
            f" FROM {{p}}invoices WHERE {where}"
            " ORDER BY due_date, invoice_date, customer_id, invoiced_position"
            " OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(
            rows, offset, f"SELECT count(*) AS n FROM {{p}}invoices WHERE {where}", params
        )

    def revenue(self, by: Dimension, start: date, end: date) -> list[DictRow]:
        """Revenue (invoiced less credited) by a dimension for invoices dated from `start` up
        to `end` inclusive, with the number of invoices."""
        return self.query(
            f"SELECT {DIMENSION_SQL[by]} AS key, sum(amount - credited) AS revenue,"
            " count(*) AS invoices FROM {p}invoices"
            " WHERE invoice_date >= %(start)s AND invoice_date <= %(end)s"
            " GROUP BY 1 ORDER BY 1",
            {"start": start, "end": end},
        )

    def uninvoiced(self, *, offset: int = 0, limit: int = 50) -> tuple[list[DictRow], int]:
        """A page of purchases not (wholly) invoiced yet, newest first, and how many in all."""
        rows = self.query(
            "SELECT *, amount - invoiced AS uninvoiced, count(*) OVER () AS total"
            " FROM {p}purchases WHERE invoiced < amount"
            " ORDER BY purchased_at DESC, customer_id, purchase_id"
            " OFFSET %(offset)s LIMIT %(limit)s",
            {"offset": offset, "limit": limit},
        )
        return self.page_and_total(
            rows, offset, "SELECT count(*) AS n FROM {p}purchases WHERE invoiced < amount"
        )

    def invoices_dated(
        self, start: date, end: date, *, offset: int = 0, limit: int = 10_000
    ) -> list[DictRow]:
        """Invoices dated from `start` up to `end` inclusive, by date and number (the
        accounting export)."""
        return self.query(
            f"SELECT *, {OPEN} AS open FROM {{p}}invoices"
            " WHERE invoice_date >= %(start)s AND invoice_date <= %(end)s"
            " ORDER BY invoice_date, invoice_number, customer_id, invoiced_position"
            " OFFSET %(offset)s LIMIT %(limit)s",
            {"start": start, "end": end, "offset": offset, "limit": limit},
        )
