"""Bearer-token authentication and the permission check every route declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
    user = users.cached_by_token(token) or await run_in_threadpool(users.by_token, token)
    if user is None:
        raise HTTPException(401, "Unknown or revoked token.", {"WWW-Authenticate": "Bearer"})
    return user  # type: ignore[no-any-return]  # app.state is untyped


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
            raise HTTPException(403, f"The {user.role} role may not {needed.replace('_', ' ')}.")
        return user

    check.permission = permission  # type: ignore[attr-defined]  # read by the matrix tests
    return check
