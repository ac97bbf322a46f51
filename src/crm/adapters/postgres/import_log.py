"""The import log in PostgreSQL: each import's progress and its invalid rows."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from crm.application.imports import MAX_REPORTED_ERRORS, ImportLog, ImportReport, RowError

SCHEMA = """
CREATE TABLE IF NOT EXISTS crm_imports (
    import_id text PRIMARY KEY,
    source text NOT NULL,
    mapping text NOT NULL,
    status text NOT NULL,
    last_line bigint NOT NULL DEFAULT 0,
    rows bigint NOT NULL DEFAULT 0,
    recorded bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    invalid bigint NOT NULL DEFAULT 0,
    customers_created bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS crm_import_errors (
    import_id text NOT NULL REFERENCES crm_imports ON DELETE CASCADE,
    line bigint NOT NULL,
    field text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (import_id, line, field)
);
"""
COUNTS = ("last_line", "rows", "recorded", "duplicates", "invalid", "customers_created")


class PostgresImportLog(ImportLog):
    """Import records in `crm_imports`, invalid rows in `crm_import_errors`."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def create_schema(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('asiakassilma-imports'))")
            conn.execute(SCHEMA)

    def start(self, import_id: str, source: str, mapping: str) -> ImportReport:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO crm_imports (import_id, source, mapping, status)"
                " VALUES (%s, %s, %s, 'running') ON CONFLICT (import_id) DO UPDATE"
                " SET status = 'running', updated_at = now()",
                (import_id, source, mapping),
            )
        report = self.get(import_id)
        assert report is not None
        return report

    def progress(self, report: ImportReport, errors: list[RowError]) -> None:
        with self.pool.connection() as conn, conn.transaction():
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
