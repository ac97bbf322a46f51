"""Saved column mappings in PostgreSQL (`import_mappings`): one per name, replaced on save."""

from __future__ import annotations

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crm.application.import_formats import ColumnMapping
from crm.application.import_formats.mappings import SAVED_PREFIX, saved_mapping


class PostgresImportMappings:
    """Column mappings people saved for exports the import does not recognise."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def save(self, mapping: ColumnMapping, saved_by: str) -> None:
        name = mapping.name.removeprefix(SAVED_PREFIX)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO import_mappings (name, kind, columns, defaults, saved_by)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET"
                " kind = excluded.kind, columns = excluded.columns,"
                " defaults = excluded.defaults, saved_by = excluded.saved_by, saved_at = now()",
                (name, mapping.kind, Jsonb(mapping.columns), Jsonb(mapping.defaults), saved_by),
            )

    def get(self, name: str) -> ColumnMapping | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, kind, columns, defaults FROM import_mappings WHERE name = %s",
                (name.removeprefix(SAVED_PREFIX),),
            ).fetchone()
        return None if row is None else saved_mapping(*row)

    def every(self) -> list[ColumnMapping]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, kind, columns, defaults FROM import_mappings ORDER BY name"
            ).fetchall()
        return [saved_mapping(*row) for row in rows]
