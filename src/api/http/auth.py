"""Bearer-token authentication and the permission check every route declares."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http.sign_in_limits import AttemptLimiter
from api.permissions import Permission, can, permission_for
from crm.application.users import User

bearer = HTTPBearer(auto_error=False, description="A token from `crm users add`.")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def current_user(request: Request, credentials: Credentials) -> User:
    """The authenticated user, or 401."""
    return await authenticate(request, credentials)


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user a bearer token belongs to, or 401.

    `async` so a request does not hop through the thread pool; only a token not seen in the
    last seconds costs a database look-up.
    """
    if credentials is None:
        raise HTTPException(401, "Authentication required.", {"WWW-Authenticate": "Bearer"})
    users = request.app.state.services.users
    token = credentials.credentials
    user: User | None = users.cached_by_token(token)
    if user is not None:
        return user
    limiter = attempt_limiter(request)
    keys = limiter.keys(client_address(request), api=True)
    refuse_while_delayed(limiter, keys)
    user = await run_in_threadpool(users.by_token, token)
    if user is None:
        limiter.failed(keys)
        raise HTTPException(401, "Unknown or revoked token.", {"WWW-Authenticate": "Bearer"})
    return user


class TooManyAttemptsError(HTTPException):
    """Too many failed sign-ins from this address or for this name: wait (429)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429,
            f"Too many failed attempts; try again in {retry_after} s.",
            {"Retry-After": str(retry_after)},
        )


def client_address(request: Request) -> str | None:
    """The client's address (the proxy's client when the proxy is trusted)."""
    return request.client.host if request.client else None


def attempt_limiter(request: Request) -> AttemptLimiter:
    """This app's failed-attempt counts (`api.http.sign_in_limits`)."""
    limiter: AttemptLimiter | None = getattr(request.app.state, "attempt_limiter", None)
    if limiter is None:
        limiter = request.app.state.attempt_limiter = AttemptLimiter()
    return limiter


def refuse_while_delayed(limiter: AttemptLimiter, keys: list[str]) -> None:
    """429 while any of the keys still waits out its delay."""
    wait = limiter.retry_after(keys)
    if wait > 0:
        raise TooManyAttemptsError(wait)


def _lowest_cpu_priority() -> None:
    """Run this thread (and the threads argon2 starts from it) at the lowest CPU priority:
    a password check then takes only the CPU nothing else wants."""
    # Not Linux: the check still runs, at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


_PASSWORD_CHECKS = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="password-check", initializer=_lowest_cpu_priority
)


async def off_the_event_loop(check: Callable[[], User | None]) -> User | None:
    """Run a password check on its own thread, one at a time per process, at the lowest CPU
    priority: argon2 keeps every core busy for a quarter of a second by design, and neither
    the event loop nor other requests may wait on it (`/health` must answer while wrong
    passwords arrive)."""
    return await asyncio.get_running_loop().run_in_executor(_PASSWORD_CHECKS, check)


def require(
    permission: Permission,
) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[User]]:
    """A dependency that lets only users whose role grants the permission through (else 403).

    The permission matrix in `api.permissions.ENDPOINT_PERMISSIONS` has the last word: a route
    listed there needs the permission listed, whatever it declares. It authenticates by
    itself rather than through `current_user`: each dependency level costs every request
    the framework's resolution work.
    """

    async def check(request: Request, credentials: Credentials) -> User:
        user = await authenticate(request, credentials)
        route = request.scope.get("route")
        needed = permission_for(request.method, getattr(route, "path", ""), permission)
        if needed is not None and not can(user, needed):
            who = "This service token" if user.permissions is not None else f"The {user.role} role"
            raise HTTPException(403, f"{who} may not {needed.replace('_', ' ')}.")
        return user

    check.permission = permission  # type: ignore[attr-defined]  # read by the matrix tests
    return check
