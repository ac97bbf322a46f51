"""Users, roles and bearer tokens; tokens are stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from psycopg_pool import ConnectionPool

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_users (
    name text PRIMARY KEY,
    role text NOT NULL,
    token_hash text UNIQUE,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
"""


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    MARKETING = "marketing"
    DPO = "dpo"
    ADMIN = "admin"


class Permission(StrEnum):
    READ_CUSTOMERS = "read_customers"
    WRITE_CUSTOMERS = "write_customers"
    READ_TIMELINES = "read_timelines"
    RECORD_TOUCHPOINTS = "record_touchpoints"
    MANAGE_SEGMENTS = "manage_segments"
    RUN_PRIVACY = "run_privacy"
    MANAGE_USERS = "manage_users"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ACCOUNT_MANAGER: frozenset(
        {
            Permission.READ_CUSTOMERS,
            Permission.WRITE_CUSTOMERS,
            Permission.READ_TIMELINES,
            Permission.RECORD_TOUCHPOINTS,
        }
    ),
    Role.MARKETING: frozenset({Permission.READ_CUSTOMERS, Permission.MANAGE_SEGMENTS}),
    Role.DPO: frozenset(
        {Permission.READ_CUSTOMERS, Permission.READ_TIMELINES, Permission.RUN_PRIVACY}
    ),
    Role.ADMIN: frozenset({Permission.MANAGE_USERS}),
}


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


class UserExistsError(ValueError):
    """A user with that name exists already."""


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; passwords use argon2.
    return hashlib.sha256(token.encode()).hexdigest()


class Users:
    """The user register in PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def create_schema(self) -> None:
        with self.pool.connection() as conn:
            conn.execute(SCHEMA)

    def add(self, name: str, role: Role) -> str:
        """Create a user and return its bearer token; only the hash is kept."""
        token = secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO api_users (name, role, token_hash) VALUES (%s, %s, %s)"
                " ON CONFLICT (name) DO NOTHING RETURNING name",
                (name, role.value, hash_token(token)),
            ).fetchone()
        if row is None:
            raise UserExistsError(f"User {name} exists already.")
        return token

    def revoke(self, name: str) -> bool:
        """Revoke a user's token and password; True if the user existed."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET revoked_at = now(), token_hash = NULL, password_hash = NULL"
                " WHERE name = %s AND revoked_at IS NULL",
                (name,),
            )
            return cursor.rowcount > 0

    def by_token(self, token: str) -> User | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role FROM api_users WHERE token_hash = %s AND revoked_at IS NULL",
                (hash_token(token),),
            ).fetchone()
        return User(row[0], Role(row[1])) if row else None

    def list(self) -> list[tuple[str, str, bool]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, role, revoked_at IS NOT NULL FROM api_users ORDER BY name"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
