"""The import log in PostgreSQL: each import's progress and its invalid rows."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from psycopg_pool import ConnectionPool

from crm.application.imports import (
    ERASED_SOURCE,
    MAX_REPORTED_ERRORS,
    ImportLog,
    ImportReport,
    RowError,
)

COUNTS = ("last_line", "rows", "recorded", "duplicates", "invalid", "customers_created")


class PostgresImportLog(ImportLog):
    """Import records in `crm_imports`, invalid rows in `crm_import_errors`."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def start(self, import_id: str, source: str, mapping: str) -> ImportReport:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO crm_imports (import_id, source, mapping, status)"
                " VALUES (%s, %s, %s, 'running') ON CONFLICT (import_id) DO UPDATE"
                " SET status = 'running', updated_at = now()",
                (import_id, source, mapping),
            )
            # Why an earlier run stopped no longer holds once the import goes on.
            conn.execute(
                "DELETE FROM crm_import_errors WHERE import_id = %s AND field = 'file'",
                (import_id,),
            )
        report = self.get(import_id)
        assert report is not None
        return report

    def progress(
        self, report: ImportReport, errors: list[RowError], customers: Collection[UUID] = ()
    ) -> None:
        with self.pool.connection() as conn, conn.transaction():
            if customers:
                conn.execute(
                    "INSERT INTO crm_import_customers (customer_id, import_id)"
                    " SELECT unnest(%s::uuid[]), %s ON CONFLICT DO NOTHING",
                    (list(customers), report.import_id),
                )
            if errors:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO crm_import_errors (import_id, line, field, reason)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        [(report.import_id, e.line, e.field, e.reason) for e in errors],
                    )
            conn.execute(
                "UPDATE crm_imports SET status = %s, last_line = %s, rows = %s, recorded = %s,"
                " duplicates = %s, invalid = %s, customers_created = %s, updated_at = now()"
                " WHERE import_id = %s",
                (report.status, *(getattr(report, c) for c in COUNTS), report.import_id),
            )

    def forget_customer(self, customer_id: UUID) -> int:
        with self.pool.connection() as conn, conn.transaction():
            changed = conn.execute(
                "UPDATE crm_imports SET source = %s WHERE source <> %s AND import_id IN"
                " (SELECT import_id FROM crm_import_customers WHERE customer_id = %s)",
                (ERASED_SOURCE, ERASED_SOURCE, customer_id),
            ).rowcount
            conn.execute("DELETE FROM crm_import_customers WHERE customer_id = %s", (customer_id,))
        return changed

    def customers(self, import_id: str, limit: int) -> tuple[list[UUID], int]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT customer_id, count(*) OVER () FROM crm_import_customers"
                " WHERE import_id = %s ORDER BY customer_id LIMIT %s",
                (import_id, limit),
            ).fetchall()
        return [row[0] for row in rows], int(rows[0][1]) if rows else 0

    def get(self, import_id: str) -> ImportReport | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT source, mapping, status, " + ", ".join(COUNTS) + " FROM crm_imports"
                " WHERE import_id = %s",
                (import_id,),
            ).fetchone()
            if row is None:
                return None
            errors = conn.execute(
                "SELECT line, field, reason FROM crm_import_errors WHERE import_id = %s"
                " ORDER BY line, field LIMIT %s",
                (import_id, MAX_REPORTED_ERRORS),
            ).fetchall()
        source, mapping, status, *counts = row
        report = ImportReport(import_id, source, mapping, status)
        for name, value in zip(COUNTS, counts, strict=True):
            setattr(report, name, int(value))
        report.errors = [RowError(int(line), field, reason) for line, field, reason in errors]
        return report
