"""The user register in PostgreSQL (`api_users`): names, roles, token and password hashes."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from crm.adapters.postgres.web_sessions import end_sessions_of
from crm.application.web_sessions import EndReason


class PostgresUserStore:
    """Rows of `api_users`; a revoked user keeps its row (and name) with no hashes left.

    Revoking a user and changing a password or a role end the user's web sessions in the
    same transaction, so no session outlives the credentials or the role it was opened with.
    """

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def insert(
        self, name: str, role: str, token_hash: str | None, password_hash: str | None
    ) -> bool:
        """Store a new user; False if the name is taken (by an active or revoked user)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO api_users (name, role, token_hash, password_hash)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING name",
                (name, role, token_hash, password_hash),
            ).fetchone()
        return row is not None

    def revoke(self, name: str) -> bool:
        """Forget an active user's token and password hashes; True if there was one."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET revoked_at = now(), token_hash = NULL, password_hash = NULL"
                " WHERE name = %s AND revoked_at IS NULL",
                (name,),
            )
            end_sessions_of(conn, name, EndReason.USER_REVOKED)
            return cursor.rowcount > 0

    def by_token_hash(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of the active user holding the token."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role FROM api_users WHERE token_hash = %s AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
        return (row[0], row[1]) if row else None

    def credentials(self, name: str) -> tuple[str, str, str | None] | None:
        """(name, role, password hash) of the active user of that name."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role, password_hash FROM api_users"
                " WHERE name = %s AND revoked_at IS NULL",
                (name,),
            ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Replace an active user's password hash; True if the user exists."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET password_hash = %s WHERE name = %s AND revoked_at IS NULL",
                (password_hash, name),
            )
            end_sessions_of(conn, name, EndReason.PASSWORD_CHANGED)
            return cursor.rowcount > 0

    def rehash_password(self, name: str, old_hash: str, new_hash: str) -> None:
        """Store a stronger hash of the same password (sessions stay: nothing changed)."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE api_users SET password_hash = %s WHERE name = %s AND password_hash = %s",
                (new_hash, name, old_hash),
            )

    def set_role(self, name: str, role: str) -> bool:
        """Change an active user's role; True if the user exists."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET role = %s WHERE name = %s AND revoked_at IS NULL"
                " AND role <> %s",
                (role, name, role),
            )
            if cursor.rowcount > 0:
                end_sessions_of(conn, name, EndReason.ROLE_CHANGED)
                return True
            found = conn.execute(
                "SELECT 1 FROM api_users WHERE name = %s AND revoked_at IS NULL", (name,)
            ).fetchone()
            return found is not None

    def every(self) -> list[tuple[str, str, bool]]:
        """(name, role, revoked) of every user, by name."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, role, revoked_at IS NOT NULL FROM api_users ORDER BY name"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
