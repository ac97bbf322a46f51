"""VACUUM after an erasure: the write side's tables that lost a customer's rows.

A DELETE leaves the old row version in the table (a dead tuple) until a VACUUM removes it;
until then a wrapped data key, a blind-index claim or a snapshot of the erased customer can
still be read from the table's files. VACUUM runs outside any transaction, so each table is
vacuumed on a connection in autocommit mode. What VACUUM cannot reach: the bytes of a freed
row version until PostgreSQL reuses its space, the write-ahead log until its segments are
recycled (and any WAL archive), and backups taken before the erasure.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from crm.adapters.postgres.event_store import SNAPSHOTS_TABLE

ERASURE_TABLES = (
    "customer_data_keys",
    "identity_claims",
    SNAPSHOTS_TABLE,
    "crm_imports",
    "crm_import_customers",
)
"""The tables an erasure deletes rows from on the write side."""


def vacuum(database_url: str, tables: Iterable[str]) -> list[str]:
    """VACUUM each existing table, outside a transaction; returns those vacuumed."""
    done = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in tables:
            found = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if found is None or found[0] is None:
                continue
            conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(table)))
            done.append(table)
    return done


class ErasureVacuum:
    """Vacuums the write side's erasure tables (called by the erasure use case)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self) -> list[str]:
        return vacuum(self.database_url, ERASURE_TABLES)
