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
    """Who acts: a person with a role, or an integration's service token (`permissions`
    then narrows what the role grants; None means the whole role)."""

    name: str
    role: Role
    permissions: frozenset[str] | None = None


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

    def insert(
        self, name: str, role: str, token_hash: str | None, password_hash: str | None
    ) -> bool:
        """Store a new user; False if the name is taken."""

    def revoke(self, name: str) -> bool:
        """Forget an active user's hashes and end the user's web sessions; True if there was
        one."""

    def by_token_hash(self, token_hash: str) -> tuple[str, str] | None:
        """(name, role) of the active user holding the token."""

    def credentials(self, name: str) -> tuple[str, str, str | None] | None:
        """(name, role, password hash) of the active user of that name."""

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Replace an active user's password hash and end the user's web sessions; True if
        the user exists."""

    def rehash_password(self, name: str, old_hash: str, new_hash: str) -> None:
        """Replace a password hash by a stronger one of the same password."""

    def set_role(self, name: str, role: str) -> bool:
        """Change an active user's role (ending the user's web sessions if it changed);
        True if the user exists."""

    def every(self) -> list[tuple[str, str, bool]]:
        """(name, role, revoked) of every user, by name."""


class ServiceTokenLookup(Protocol):
    """Service tokens as bearer tokens (`crm.application.service_tokens`)."""

    def used(self, token_hash: str) -> tuple[str, str, list[str]] | None:
        """(name, role, permissions) of the unrevoked, unexpired token, recording its use."""


class Users:
    """The users' commands and look-ups, with this process's cache of known tokens."""

    def __init__(self, store: UserStore, service_tokens: ServiceTokenLookup | None = None) -> None:
        self.store = store
        self.service_tokens = service_tokens
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
        self.forget(name)
        return self.store.revoke(name)

    def forget(self, name: str) -> None:
        """Drop this process's trust in the tokens of `name` (they are looked up again)."""
        self._tokens = {key: entry for key, entry in self._tokens.items() if entry[0].name != name}

    def cached_by_token(self, token: str) -> User | None:
        """The token's user if this process looked it up less than TOKEN_CACHE_SECONDS ago
        (no database round trip); None means "look it up", not "unknown"."""
        entry = self._tokens.get(hash_token(token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def by_token(self, token: str, *, service_tokens: bool = True) -> User | None:
        """The active user holding the token, looked up (and trusted for a while); with
        `service_tokens`, an integration's unexpired service token too (`service:<name>`)."""
        token_hash = hash_token(token)
        found = self.store.by_token_hash(token_hash)
        user: User | None = User(found[0], Role(found[1])) if found else None
        if user is None and service_tokens and self.service_tokens is not None:
            service = self.service_tokens.used(token_hash)
            if service is not None:
                name, role, permissions = service
                user = User(f"service:{name}", Role(role), frozenset(permissions))
        if user is None:
            self._tokens.pop(token_hash, None)
            return None
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
            self.store.rehash_password(name, stored, _hash_password(password))
        return User(found[0], Role(found[1]))

    def set_role(self, name: str, role: Role) -> bool:
        """Give an active user another role; the user's web sessions end (the next page asks
        to sign in again). True if the user exists."""
        self.forget(name)
        return self.store.set_role(name, role.value)

    def provisioned(self, name: str, role: Role | None) -> User | None:
        """The user an identity provider vouches for, created on first sign-in (with no token
        or password here) and given the role the provider grants now; with no role granted
        any more, the user is revoked (sessions end) and None returned. A user revoked here
        stays revoked (an administrator's decision outranks the provider's)."""
        found = self.store.credentials(name)
        if role is None:
            if found is not None:
                self.revoke(name)
            return None
        if found is None:
            return User(name, role) if self.store.insert(name, role.value, None, None) else None
        if found[1] != role.value:
            self.set_role(name, role)
        return User(name, role)

    def list(self) -> list[tuple[str, str, bool]]:
        """(name, role, revoked) of every user, by name."""
        return self.store.every()


def _hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return PASSWORDS.hash(password)
