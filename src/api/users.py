"""Users, roles, the permission matrix, bearer tokens (SHA-256) and passwords (argon2)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg_pool import ConnectionPool


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


PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
        "/static",
        "/",
        "/ui/login",
        "/ui/language/{language}",
    }
)
"""Paths anyone may open without credentials."""

AUTHENTICATED = None
"""In `ENDPOINT_PERMISSIONS`: any signed-in user, whatever the role."""

ENDPOINT_PERMISSIONS: dict[tuple[str, str], Permission | None] = {
    # HTTP API (bearer token)
    ("POST", "/customers"): Permission.WRITE_CUSTOMERS,
    ("GET", "/customers"): Permission.READ_CUSTOMERS,
    ("GET", "/customers/{customer_id}"): Permission.READ_CUSTOMERS,
    ("PUT", "/customers/{customer_id}/account-manager"): Permission.WRITE_CUSTOMERS,
    ("POST", "/customers/{customer_id}/affiliations"): Permission.WRITE_CUSTOMERS,
    ("DELETE", "/customers/{customer_id}/affiliations/{organisation_id}"): (
        Permission.WRITE_CUSTOMERS
    ),
    ("POST", "/customers/{customer_id}/touchpoints"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/customers/{customer_id}/timeline"): Permission.READ_TIMELINES,
    ("POST", "/imports"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/imports/{import_id}"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/privacy/erasures"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/erasures"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/erasures/{request_id}"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/exports/{customer_id}"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/restrictions"): Permission.RUN_PRIVACY,
    ("DELETE", "/privacy/restrictions/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/consents/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/access-log"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/retention-decisions"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/consent-audit"): Permission.RUN_PRIVACY,
    ("GET", "/customers/{customer_id}/indicators"): Permission.READ_CUSTOMERS,
    # Account managers and the DPO: the roles that read timelines.
    ("GET", "/customers/{customer_id}/consents"): Permission.READ_TIMELINES,
    ("GET", "/organisations/{organisation_id}/rollup"): Permission.READ_CUSTOMERS,
    ("GET", "/reports/funnel"): Permission.READ_CUSTOMERS,
    ("GET", "/reports/revenue"): Permission.READ_CUSTOMERS,
    # Segments: marketing builds and exports; the DPO lists every export.
    ("POST", "/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("PUT", "/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/preview"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/preview"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/explain"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/{segment_id}/exports"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/exports"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/sizes"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/members"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segment-exports"): Permission.RUN_PRIVACY,
    ("GET", "/customers/{customer_id}/segments"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/ui/segments/new"): Permission.MANAGE_SEGMENTS,
    ("GET", "/ui/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/builder"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/count"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/{segment_id}/export"): Permission.MANAGE_SEGMENTS,
    # Web UI pages (session cookie)
    ("GET", "/ui"): AUTHENTICATED,
    ("POST", "/ui/logout"): AUTHENTICATED,
    ("GET", "/ui/customers"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/customers/{customer_id}"): Permission.READ_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/touchpoints"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/my-customers"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/dashboard"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/privacy/consent-audit"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/consents/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/erasures"): Permission.RUN_PRIVACY,
    ("POST", "/ui/privacy/erasures"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/erasures/{request_id}"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/access-log"): Permission.RUN_PRIVACY,
    ("GET", "/ui/admin/users"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users/{name}/revoke"): Permission.MANAGE_USERS,
}
"""The permission matrix: which permission each endpoint and page needs, by method and path.

`require()` and the web pages look the route up here, and the permission tests check every
route of the app against it for every role, so a new endpoint must be listed to be tested.
"""


def permission_for(method: str, path: str, declared: Permission | None) -> Permission | None:
    """The permission an endpoint needs: its entry in the matrix, else what the route declares."""
    return ENDPOINT_PERMISSIONS.get((method, path), declared)


def roles_with(permission: Permission | None) -> frozenset[Role]:
    """The roles a permission (or `AUTHENTICATED`) lets through."""
    if permission is None:
        return frozenset(Role)
    return frozenset(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


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


PASSWORDS = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = PASSWORDS.hash("no such user")
MIN_PASSWORD_LENGTH = 10


class WeakPasswordError(ValueError):
    """A password shorter than `MIN_PASSWORD_LENGTH`."""


TOKEN_CACHE_SECONDS = 5.0
"""How long a process trusts a token it has looked up; a token revoked by another process
(`crm users revoke`) stops working there within this time."""
TOKEN_CACHE_SIZE = 10_000


class Users:
    """The user register in PostgreSQL."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        # token hash -> (user, monotonic time until which it is trusted); known tokens only,
        # so unknown tokens cannot grow it.
        self._tokens: dict[str, tuple[User, float]] = {}

    def add(self, name: str, role: Role, password: str | None = None) -> str:
        """Create a user and return its bearer token; only hashes are kept."""
        token = secrets.token_urlsafe(32)
        password_hash = _hash_password(password) if password is not None else None
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO api_users (name, role, token_hash, password_hash)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING RETURNING name",
                (name, role.value, hash_token(token), password_hash),
            ).fetchone()
        if row is None:
            raise UserExistsError(f"User {name} exists already.")
        return token

    def revoke(self, name: str) -> bool:
        """Revoke a user's token and password; True if the user existed."""
        self._tokens = {key: entry for key, entry in self._tokens.items() if entry[0].name != name}
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET revoked_at = now(), token_hash = NULL, password_hash = NULL"
                " WHERE name = %s AND revoked_at IS NULL",
                (name,),
            )
            return cursor.rowcount > 0

    def cached_by_token(self, token: str) -> User | None:
        """The token's user if this process looked it up less than TOKEN_CACHE_SECONDS ago
        (no database round trip); None means "look it up", not "unknown"."""
        entry = self._tokens.get(hash_token(token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def by_token(self, token: str) -> User | None:
        token_hash = hash_token(token)
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role FROM api_users WHERE token_hash = %s AND revoked_at IS NULL",
                (token_hash,),
            ).fetchone()
        if row is None:
            self._tokens.pop(token_hash, None)
            return None
        user = User(row[0], Role(row[1]))
        if len(self._tokens) >= TOKEN_CACHE_SIZE:
            self._tokens = {}
        self._tokens[token_hash] = (user, time.monotonic() + TOKEN_CACHE_SECONDS)
        return user

    def by_name(self, name: str) -> User | None:
        """The active user of that name (sessions re-check it on every request)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role FROM api_users WHERE name = %s AND revoked_at IS NULL", (name,)
            ).fetchone()
        return User(row[0], Role(row[1])) if row else None

    def set_password(self, name: str, password: str) -> bool:
        """Set an active user's web password; True if the user exists."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "UPDATE api_users SET password_hash = %s WHERE name = %s AND revoked_at IS NULL",
                (_hash_password(password), name),
            )
            return cursor.rowcount > 0

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the name and password match an active user, else None."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role, password_hash FROM api_users"
                " WHERE name = %s AND revoked_at IS NULL",
                (name,),
            ).fetchone()
        stored = row[2] if row and row[2] else _DUMMY_HASH
        try:
            PASSWORDS.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row[2]:
            return None
        if PASSWORDS.check_needs_rehash(stored):
            self.set_password(name, password)
        return User(row[0], Role(row[1]))

    def list(self) -> list[tuple[str, str, bool]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT name, role, revoked_at IS NOT NULL FROM api_users ORDER BY name"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]


def _hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return PASSWORDS.hash(password)
