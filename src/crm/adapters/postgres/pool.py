"""Connection pools for the project's own tables."""

from __future__ import annotations

from psycopg_pool import ConnectionPool


def open_pool(database_url: str, max_size: int = 10) -> ConnectionPool:
    """A connection pool for the project's own tables, checked on borrow."""
    pool = ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        open=False,
        check=ConnectionPool.check_connection,
        kwargs={"autocommit": True},
        timeout=5,
    )
    pool.open(wait=True, timeout=30)
    return pool


def database_reachable(pool: ConnectionPool, timeout: float = 2.0) -> bool:
    """Whether a connection can be borrowed and answers a trivial query within `timeout`."""
    try:
        with pool.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return False
    return True
