"""Schema migrations: numbered SQL files that a new install and an upgrade both run, in order.

Each file in `migrations/` is named `NNNN_what_it_does.sql`; its number is its version.
`migrate` applies the ones a database lacks, lowest first, each in a transaction of its own
together with its row in `schema_migrations(version, name, applied_at)`, so a migration is
either applied and recorded or neither. Every transaction first takes one advisory lock, so
processes starting at once queue on it; one that waited re-reads the table and skips what
the other applied.

Migration 1 is the schema of the last release before migrations existed, written with
`IF NOT EXISTS` and `CREATE OR REPLACE`: a database that release created (its tables, no
`schema_migrations`) is adopted as version 1 without error. Later migrations only add
(tables, nullable or defaulted columns, indexes), so processes of the previous version keep
working while an upgrade rolls out; a version once released is never edited.

Only the project's own tables and functions are migrations. The tables the `eventsourcing`
library owns (`crm_events`, `crm_snapshots`, each view's tracking table, the library's insert
functions) are created by its recorders (`CREATE_TABLE=y`) and change with the library pin.
A view's own tables are created by the view code for each generation and change by the
view's `version`, which a rebuild beside the live generation fills (`projections.engine`).

Plain SQL files (package data) rather than Python modules: a migration then holds nothing
that could change with the code after its release (no imported constants), reads as the DDL
it runs, and can be run by hand with psql. A library was not taken: alembic needs SQLAlchemy,
which the project does not use; yoyo-migrations brings its own connections and a lock table
where an advisory lock on our pool does; pgmigrate has been unmaintained since 2008. What is
needed here (ordered files, one table, one lock) is this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from importlib.resources.abc import Traversable

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
# One lock for all schema changes; the key names the purpose so no other lock collides.
LOCK = "SELECT pg_advisory_xact_lock(hashtext('asiakassilma-schema-migrations'))"
MIGRATIONS = resources.files(__name__.rpartition(".")[0]).joinpath("migrations")
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationFilesError(RuntimeError):
    """The migration files are not numbered 1, 2, 3 … without gaps or repeats."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


@dataclass(frozen=True)
class AppliedMigration:
    """A row of `schema_migrations`."""

    version: int
    name: str
    applied_at: datetime


def load_migrations(folder: Traversable = MIGRATIONS) -> list[Migration]:
    """The migrations in `folder` (by default those shipped with the code), in version order."""
    migrations = []
    for entry in folder.iterdir():
        match = FILE_NAME.match(entry.name)
        if match is None:
            continue
        migrations.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationFilesError(f"migration versions must run 1, 2, 3 …; found {versions}")
    return migrations


def migrate(pool: ConnectionPool, migrations: list[Migration] | None = None) -> list[int]:
    """Bring the schema up to the newest migration; returns the versions this call applied."""
    pending = load_migrations() if migrations is None else migrations
    with pool.connection() as conn:
        with conn.transaction():
            conn.execute(LOCK)
            conn.execute(MIGRATIONS_TABLE, prepare=False)
            done = _applied_versions(conn)
        applied = []
        for migration in pending:
            if migration.version in done:
                continue
            with conn.transaction():
                conn.execute(LOCK)
                # Another process may have applied it while this one waited for the lock.
                if migration.version in _applied_versions(conn):
                    continue
                conn.execute(migration.sql.encode(), prepare=False)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            applied.append(migration.version)
    return applied


def applied_migrations(pool: ConnectionPool) -> list[AppliedMigration]:
    """The migrations recorded in the database, in version order."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
    return [AppliedMigration(*row) for row in rows]


def _applied_versions(conn: Connection[TupleRow]) -> set[int]:
    return {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations")}
