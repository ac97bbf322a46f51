"""Web sessions in PostgreSQL (`web_sessions`, migration 3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool


class PostgresWebSessionStore:
    """Rows of `web_sessions`; an ended session keeps its row with the time and reason until
    the session's absolute timeout has passed (`purge_started_before`, a daily job)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def start(self, id_hash: str, user_name: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO web_sessions (id_hash, user_name) VALUES (%s, %s)",
                (id_hash, user_name),
            )

    def active(
        self, id_hash: str, idle: timedelta, absolute: timedelta, touch_after: timedelta
    ) -> tuple[str, str] | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT s.session_number, u.name, u.role, s.last_seen_at < now() - %s"
                " FROM web_sessions s JOIN api_users u ON u.name = s.user_name"
                " WHERE s.id_hash = %s AND s.ended_at IS NULL AND u.revoked_at IS NULL"
                " AND s.last_seen_at > now() - %s AND s.started_at > now() - %s",
                (touch_after, id_hash, idle, absolute),
            ).fetchone()
            if row is None:
                return None
            if row[3]:
                conn.execute(
                    "UPDATE web_sessions SET last_seen_at = now() WHERE session_number = %s",
                    (row[0],),
                )
        return (row[1], row[2])

    def end(self, id_hash: str, reason: str) -> bool:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE web_sessions SET ended_at = now(), end_reason = %s"
                " WHERE id_hash = %s AND ended_at IS NULL",
                (reason, id_hash),
            )
            return cursor.rowcount > 0

    def end_number(self, user_name: str, number: int, reason: str) -> bool:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE web_sessions SET ended_at = now(), end_reason = %s"
                " WHERE session_number = %s AND user_name = %s AND ended_at IS NULL",
                (reason, number, user_name),
            )
            return cursor.rowcount > 0

    def open_of(
        self, user_name: str, idle: timedelta, absolute: timedelta
    ) -> list[tuple[int, datetime, datetime]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT session_number, started_at, last_seen_at FROM web_sessions"
                " WHERE user_name = %s AND ended_at IS NULL"
                " AND last_seen_at > now() - %s AND started_at > now() - %s"
                " ORDER BY started_at DESC",
                (user_name, idle, absolute),
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def purge_started_before(self, age: timedelta) -> int:
        with self.pool.connection() as conn:
            cursor = conn.execute("DELETE FROM web_sessions WHERE started_at < now() - %s", (age,))
            return cursor.rowcount


def end_sessions_of(conn: Connection[Any], user_name: str, reason: str) -> None:
    """End every open session of a user, inside the caller's transaction (`conn`)."""
    conn.execute(
        "UPDATE web_sessions SET ended_at = now(), end_reason = %s"
        " WHERE user_name = %s AND ended_at IS NULL",
        (reason, user_name),
    )
