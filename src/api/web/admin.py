"""The administrator's user pages: list, add, revoke users and change their roles; a user's
open web sessions, each revocable."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response

from api.http.parameters import BIGINT_MAX
from api.web.session import page_user
from api.web.templating import redirect, render
from crm.application.users import Role, User, UserExistsError, WeakPasswordError

router = APIRouter(prefix="/ui/admin", include_in_schema=False)
Admin = Annotated[User, Depends(page_user)]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def _users_page(
    request: Request, context: dict[str, object] | None = None, status: int = 200
) -> HTMLResponse:
    users = request.app.state.services.users.list()
    return render(
        request, "users.html", {"users": users, "roles": list(Role), **(context or {})}, status
    )


@router.get("/users")
def users_page(request: Request, user: Admin, msg: str | None = None) -> HTMLResponse:
    """Every user with role and status, a form to add one and a button to revoke."""
    message = {"revoked": "users.revoked_done", "role": "users.role_done"}.get(msg or "")
    return _users_page(request, {"message": message})


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=50)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Add a user; the API token is shown once, the password is stored as an argon2 hash."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        return _users_page(request, {"error": "users.bad_name", "form_name": name}, 422)
    if role not in {r.value for r in Role}:
        return _users_page(request, {"error": "users.role", "form_name": name}, 422)
    try:
        token = request.app.state.services.users.add(name, Role(role), password or None)
    except WeakPasswordError:
        return _users_page(request, {"error": "users.weak", "form_name": name}, 422)
    except UserExistsError:
        return _users_page(request, {"error": "users.exists", "form_name": name}, 409)
    return _users_page(request, {"created": name, "token": token}, 201)


@router.post("/users/{name}/revoke")
def revoke_user(request: Request, user: Admin, name: str) -> Response:
    """Revoke a user's token, password and open sessions."""
    request.app.state.services.users.revoke(name)
    return redirect(request, "/ui/admin/users?msg=revoked")


@router.post("/users/{name}/role")
def change_role(
    request: Request,
    user: Admin,
    name: Annotated[str, Path(max_length=100)],
    role: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    """Give a user another role; the user's web sessions end, so the next page is the
    sign-in form and the new role applies from the first request."""
    if role not in {r.value for r in Role}:
        return _users_page(request, {"role_error": "users.role_invalid"}, 422)
    if not request.app.state.services.users.set_role(name, Role(role)):
        raise HTTPException(404, f"No active user {name}.")
    return redirect(request, "/ui/admin/users?msg=role")


@router.get("/users/{name}/sessions")
def sessions_page(
    request: Request, user: Admin, name: Annotated[str, Path(max_length=100)], msg: str = ""
) -> HTMLResponse:
    """The user's web sessions that still sign in: started, last used, and a revoke button."""
    sessions = request.app.state.services.web_sessions.open_sessions(name)
    message = "sessions.revoked_done" if msg == "revoked" else None
    context = {"name": name, "sessions": sessions, "message": message}
    return render(request, "user_sessions.html", context)


@router.post("/users/{name}/sessions/{number}/revoke")
def revoke_session(
    request: Request,
    user: Admin,
    name: Annotated[str, Path(max_length=100)],
    number: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
) -> Response:
    """End one session of the user at once (in every process)."""
    request.app.state.services.web_sessions.revoke(name, number)
    return redirect(request, f"/ui/admin/users/{quote(name)}/sessions?msg=revoked")
