"""Schema migrations: an upgrade from the previous release, a fresh install, concurrent starts.

`data/previous_release.sql` is a database the last release before migrations (commit
d8a3abe) created: that release's wiring started once on an empty database with the keys
below, registered Aino Aiempi and recorded one company visit, and the database was dumped
with `pg_dump --no-owner --inserts` (psql's `\\restrict` lines removed). Its lifetime tables
are missing, as that release created them only at the first fit.
"""

from __future__ import annotations

import base64
import threading
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from api.bootstrap.embedded_database import drop_database, ensure_database, with_database
from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from crm.adapters.postgres.migrations import (
    Migration,
    applied_migrations,
    load_migrations,
    migrate,
)
from crm.adapters.postgres.pool import open_pool
from projections.views.timeline import Timeline
from tests.factories import provenance

PREVIOUS_RELEASE = Path(__file__).parent / "data" / "previous_release.sql"
MASTER_KEY = base64.b64encode(b"previous-release-master-key-32b!").decode()
BLIND_INDEX_KEY = base64.b64encode(b"previous-release-blind-index-32b").decode()
CUSTOMER_ID = UUID("13316655-912a-4bbb-ad10-645d8ebc9f63")
LATEST = load_migrations()[-1].version


@pytest.fixture
def previous_release_database(new_database: str) -> str:
    """A database as the previous release left it."""
    with psycopg.connect(new_database, autocommit=True) as conn:
        conn.execute(PREVIOUS_RELEASE.read_bytes())
    return new_database


def start(database_url: str, data_dir: Path) -> Services:
    """The current wiring on the database, with the keys the previous release used."""
    return build_services(
        Settings(
            database_url=database_url,
            data_dir=data_dir,
            master_key=MASTER_KEY,  # type: ignore[arg-type]
            blind_index_key=BLIND_INDEX_KEY,  # type: ignore[arg-type]
            run_projections=False,
        )
    )


def schema_of(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Columns, indexes and functions of the public schema, in a canonical order."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        "functions": "SELECT p.proname, pg_get_function_arguments(p.oid), p.prosrc"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'",
    }
    with psycopg.connect(database_url) as conn:
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in queries.items()}


def test_a_database_of_the_previous_release_is_upgraded_and_its_customer_still_reads(
    previous_release_database: str, tmp_path: Path
) -> None:
    services = start(previous_release_database, tmp_path)
    try:
        assert [m.version for m in applied_migrations(services.pool)] == list(range(1, LATEST + 1))
        assert services.crm.get_customer(CUSTOMER_ID).name == "Aino Aiempi"
        timeline = services.views.get(Timeline)
        # A view whose version changed since that release starts afresh: fill it.
        services.projector.catch_up(timeline)
        rows, _ = timeline.page(CUSTOMER_ID)
        assert [row["kind"] for row in rows] == ["registered", "company_visited"]
        assert rows[1]["personal"]["notes"] == "Talked about coaching for the team"
        # The insert function the migration replaced still records.
        recorded = services.crm.record_touchpoint(
            CUSTOMER_ID, provenance(), "company_visited", {"notes": None, "topic": "Follow-up"}
        )
        assert recorded.version == 3
    finally:
        services.close()


def test_a_fresh_install_ends_at_the_same_schema_as_an_upgraded_one(
    previous_release_database: str, server_url: str, tmp_path: Path
) -> None:
    maintenance = with_database(server_url, "postgres")
    name = f"crm_migrate_{uuid.uuid4().hex[:10]}"
    fresh = ensure_database(maintenance, name)
    try:
        for url in (previous_release_database, fresh):
            start(url, tmp_path).close()
        upgraded, installed = schema_of(previous_release_database), schema_of(fresh)
    finally:
        drop_database(maintenance, name)
    assert upgraded == installed
    assert ("lifetime_fits", "fit_id") in {row[:2] for row in installed["columns"]}


def test_migrating_twice_changes_nothing(new_database: str) -> None:
    pool = open_pool(new_database)
    try:
        assert migrate(pool) == list(range(1, LATEST + 1))
        schema, recorded = schema_of(new_database), applied_migrations(pool)
        assert migrate(pool) == []
        assert schema_of(new_database) == schema
        assert applied_migrations(pool) == recorded
    finally:
        pool.close()


def test_two_processes_migrating_a_fresh_database_at_once_apply_each_migration_once(
    new_database: str,
) -> None:
    pools = [open_pool(new_database) for _ in range(2)]
    ready = threading.Barrier(len(pools))
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def run(pool: ConnectionPool) -> None:
        ready.wait()
        try:
            applied.append(migrate(pool))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(pool,)) for pool in pools]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sorted(version for versions in applied for version in versions) == list(
            range(1, LATEST + 1)
        )
        assert [m.version for m in applied_migrations(pools[0])] == list(range(1, LATEST + 1))
    finally:
        for pool in pools:
            pool.close()


def test_a_later_migration_runs_once_after_the_ones_applied_before(new_database: str) -> None:
    later = Migration(LATEST + 1, "add_notes", "CREATE TABLE migration_notes (note text)")
    pool = open_pool(new_database)
    try:
        migrate(pool)
        assert migrate(pool, [*load_migrations(), later]) == [later.version]
        assert migrate(pool, [*load_migrations(), later]) == []
        assert applied_migrations(pool)[-1].name == "add_notes"
    finally:
        pool.close()


def test_a_failing_migration_leaves_neither_its_changes_nor_its_record(
    new_database: str,
) -> None:
    broken = Migration(LATEST + 1, "broken", "CREATE TABLE half_done (x int); SELECT 1 / 0")
    pool = open_pool(new_database)
    try:
        with pytest.raises(psycopg.errors.DivisionByZero):
            migrate(pool, [*load_migrations(), broken])
        assert applied_migrations(pool)[-1].version == LATEST
        with pool.connection() as conn:
            assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
    finally:
        pool.close()
