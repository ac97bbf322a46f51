"""The administrator's user page: list, add and revoke users."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

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
    message = "users.revoked_done" if msg == "revoked" else None
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
