"""Web sign-ins kept on the server: started, looked up, ended; idle and absolute timeouts.

The browser holds only a random session id (256 bits), so a session ends when the server
says so: at sign-out, when an administrator revokes it or the user, and when the user's
password or role changes (the user store ends a user's sessions in the same transaction as
the change). Only the id's SHA-256 is stored, so a copy of the table signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from crm.application.users import Role, User

LAST_SEEN_RESOLUTION = timedelta(seconds=60)
"""A session's last use is written at most this often (not on every page)."""


@dataclass(frozen=True)
class OpenSession:
    """A signed-in session as an administrator sees it (never its id)."""

    number: int
    started_at: datetime
    last_seen_at: datetime


class EndReason:
    SIGNED_OUT = "signed_out"
    REVOKED = "revoked"
    USER_REVOKED = "user_revoked"
    PASSWORD_CHANGED = "password_changed"
    ROLE_CHANGED = "role_changed"


class WebSessionStore(Protocol):
    """Where sessions are kept (`crm.adapters.postgres.web_sessions.PostgresWebSessionStore`)."""

    def start(self, id_hash: str, user_name: str) -> None:
        """Store a new session of an active user."""

    def active(
        self, id_hash: str, idle: timedelta, absolute: timedelta, touch_after: timedelta
    ) -> tuple[str, str] | None:
        """(name, role) of the active user of an open session within both timeouts; its
        last use is updated when older than `touch_after`."""

    def end(self, id_hash: str, reason: str) -> bool:
        """End an open session; True if there was one."""

    def end_number(self, user_name: str, number: int, reason: str) -> bool:
        """End a user's open session by its number; True if there was one."""

    def open_of(
        self, user_name: str, idle: timedelta, absolute: timedelta
    ) -> list[tuple[int, datetime, datetime]]:
        """(number, started, last seen) of the user's sessions still within the timeouts."""

    def purge_started_before(self, age: timedelta) -> int:
        """Delete every session, open or ended, started more than `age` ago; how many."""


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class WebSessions:
    """Start, find, end and list web sessions."""

    def __init__(self, store: WebSessionStore, idle: timedelta, absolute: timedelta) -> None:
        self.store = store
        self.idle = idle
        self.absolute = absolute

    def start(self, user: User) -> str:
        """A new session for the user; the returned id goes into the cookie only."""
        session_id = secrets.token_urlsafe(32)
        self.store.start(hash_session_id(session_id), user.name)
        return session_id

    def user_of(self, session_id: str) -> User | None:
        """The session's user while the session is open, within its timeouts, and the user is
        active (with the role the user has now)."""
        found = self.store.active(
            hash_session_id(session_id), self.idle, self.absolute, LAST_SEEN_RESOLUTION
        )
        return User(found[0], Role(found[1])) if found else None

    def end(self, session_id: str) -> bool:
        """Sign out: the session id stops working everywhere at once."""
        return self.store.end(hash_session_id(session_id), EndReason.SIGNED_OUT)

    def revoke(self, user_name: str, number: int) -> bool:
        """An administrator ends one of a user's sessions."""
        return self.store.end_number(user_name, number, EndReason.REVOKED)

    def purge_expired(self) -> int:
        """Delete the rows of sessions past their absolute timeout (none of them can sign in
        again, ended or not); returns how many."""
        return self.store.purge_started_before(self.absolute)

    def open_sessions(self, user_name: str) -> list[OpenSession]:
        """The user's sessions that still sign in, newest first."""
        return [
            OpenSession(number, started, last_seen)
            for number, started, last_seen in self.store.open_of(
                user_name, self.idle, self.absolute
            )
        ]
