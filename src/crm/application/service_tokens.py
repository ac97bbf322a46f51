"""Service tokens: bearer tokens for integrations (the joint web service, the chat service,
the e-mail tool posting touchpoints), each named, acting in a role but limited to the
permissions it was given, expiring, and with its last use recorded.

Like users' tokens they are 256 random bits shown once; only their SHA-256 is stored. They
authenticate through `Users.by_token`, the one bearer-token look-up, as a `User` named
`service:<name>` whose `permissions` narrow the role's. They never open a web session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from crm.application.users import Role, hash_token

SERVICE_PREFIX = "service:"
"""What a service token's user name starts with (in the access log, on records)."""
MAX_NAME_LENGTH = 100
MAX_VALID_DAYS = 730
"""The longest a service token may be valid: it is renewed at least every two years."""


@dataclass(frozen=True)
class ServiceToken:
    """A service token as an administrator sees it (never the token)."""

    number: int
    name: str
    role: Role
    permissions: tuple[str, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool


class ServiceTokenStore(Protocol):
    """Where service tokens are kept (`crm.adapters.postgres.service_tokens`)."""

    def insert(
        self,
        name: str,
        token_hash: str,
        role: str,
        permissions: list[str],
        created_by: str,
        expires_at: datetime,
    ) -> ServiceToken:
        """Store a new token."""

    def used(self, token_hash: str) -> tuple[str, str, list[str]] | None:
        """(name, role, permissions) of the unrevoked, unexpired token, recording its use."""

    def revoke(self, number: int) -> str | None:
        """Revoke an active token; its name, or None if there was none."""

    def every(self, offset: int, limit: int) -> tuple[list[ServiceToken], int]:
        """A page of every token, newest first, and how many there are."""


class ServiceTokens:
    """Issue, list and revoke service tokens."""

    def __init__(
        self, store: ServiceTokenStore, forget: Callable[[str], None] = lambda name: None
    ) -> None:
        self.store = store
        self.forget = forget
        """Called with a revoked token's user name, so this process stops trusting it at once."""

    def issue(
        self,
        name: str,
        role: Role,
        permissions: list[str],
        expires_at: datetime,
        created_by: str,
    ) -> tuple[ServiceToken, str]:
        """A new token and its secret; the secret is not kept and cannot be shown again.
        The caller checks that the permissions are the role's."""
        if not name or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"A service token needs a name of 1-{MAX_NAME_LENGTH} characters.")
        if not permissions:
            raise ValueError("A service token needs at least one permission.")
        token = secrets.token_urlsafe(32)
        issued = self.store.insert(
            name, hash_token(token), role.value, sorted(set(permissions)), created_by, expires_at
        )
        return issued, token

    def revoke(self, number: int) -> bool:
        """Revoke a token: refused at once in this process, elsewhere within 5 s."""
        name = self.store.revoke(number)
        if name is not None:
            self.forget(f"{SERVICE_PREFIX}{name}")
        return name is not None

    def page(self, offset: int = 0, limit: int = 50) -> tuple[list[ServiceToken], int]:
        return self.store.every(offset, limit)
