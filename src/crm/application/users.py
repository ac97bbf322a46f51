"""Users and their credentials: add, revoke, set a password, authenticate by token or password.

Only hashes are stored: bearer tokens are 256 random bits, so SHA-256 is enough for them;
passwords use argon2. A process trusts a token it looked up for `TOKEN_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    MARKETING = "marketing"
    DPO = "dpo"
    FINANCE = "finance"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    name: str
    role: Role


class UserExistsError(ValueError):
    """A user with that name exists already."""


class WeakPasswordError(ValueError):
    """A password shorter than `MIN_PASSWORD_LENGTH`."""


MIN_PASSWORD_LENGTH = 10
TOKEN_CACHE_SECONDS = 5.0
"""How long a process trusts a token it has looked up; a token revoked by another process
(`crm users revoke`) stops working there within this time."""
TOKEN_CACHE_SIZE = 10_000

PASSWORDS = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = PASSWORDS.hash("no such user")


def hash_token(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore(Protocol):
    """Where users are kept (`crm.adapters.postgres.users.PostgresUserStore`)."""

    def insert(self, name: str, role: str, token_hash: str, password_hash: str | None) -> bool:
        """Store a new user; False if the name is taken."""

    def revoke(self, name: str) -> bool:
        """Forget an active user's hashes; True if there was one."""

    def by_token_hash(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of the active user holding the token."""

    def credentials(self, name: str) -> tuple[str, str, str | None] | None:
        """(name, role, password hash) of the active user of that name."""

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Replace an active user's password hash; True if the user exists."""

    def every(self) -> list[tuple[str, str, bool]]:
        """(name, role, revoked) of every user, by name."""


class Users:
    """The users' commands and look-ups, with this process's cache of known tokens."""

    def __init__(self, store: UserStore) -> None:
        self.store = store
        # token hash -> (user, monotonic time until which it is trusted); known tokens only,
        # so unknown tokens cannot grow it.
        self._tokens: dict[str, tuple[User, float]] = {}

    def add(self, name: str, role: Role, password: str | None = None) -> str:
        """Create a user and return its bearer token; only hashes are kept."""
        token = secrets.token_urlsafe(32)
        password_hash = _hash_password(password) if password is not None else None
        if not self.store.insert(name, role.value, hash_token(token), password_hash):
            raise UserExistsError(f"User {name} exists already.")
        return token

    def revoke(self, name: str) -> bool:
        """Revoke a user's token and password; True if the user existed."""
        self._tokens = {key: entry for key, entry in self._tokens.items() if entry[0].name != name}
        return self.store.revoke(name)

    def cached_by_token(self, token: str) -> User | None:
        """The token's user if this process looked it up less than TOKEN_CACHE_SECONDS ago
        (no database round trip); None means "look it up", not "unknown"."""
        entry = self._tokens.get(hash_token(token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def by_token(self, token: str) -> User | None:
        """The active user holding the token, looked up (and trusted for a while)."""
        token_hash = hash_token(token)
        found = self.store.by_token_hash(token_hash)
        if found is None:
            self._tokens.pop(token_hash, None)
            return None
        user = User(found[0], Role(found[1]))
        if len(self._tokens) >= TOKEN_CACHE_SIZE:
            self._tokens = {}
        self._tokens[token_hash] = (user, time.monotonic() + TOKEN_CACHE_SECONDS)
        return user

    def by_name(self, name: str) -> User | None:
        """The active user of that name (sessions re-check it on every request)."""
        found = self.store.credentials(name)
        return User(found[0], Role(found[1])) if found else None

    def set_password(self, name: str, password: str) -> bool:
        """Set an active user's web password; True if the user exists."""
        return self.store.set_password_hash(name, _hash_password(password))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the name and password match an active user, else None."""
        found = self.store.credentials(name)
        stored = found[2] if found and found[2] else _DUMMY_HASH
        try:
            PASSWORDS.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if found is None or not found[2]:
            return None
        if PASSWORDS.check_needs_rehash(stored):
            self.set_password(name, password)
        return User(found[0], Role(found[1]))

    def list(self) -> list[tuple[str, str, bool]]:
        """(name, role, revoked) of every user, by name."""
        return self.store.every()


def _hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return PASSWORDS.hash(password)
