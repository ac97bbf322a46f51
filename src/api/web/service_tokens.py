"""The administrator's service-token page: issue (shown once), list with expiry and last use,
revoke."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.http.parameters import BIGINT_MAX
from api.permissions import ROLE_PERMISSIONS, Permission
from api.web.session import page_user
from api.web.templating import redirect, render
from crm.application.service_tokens import MAX_NAME_LENGTH, MAX_VALID_DAYS
from crm.application.users import Role, User

router = APIRouter(prefix="/ui/admin/service-tokens", include_in_schema=False)
Admin = Annotated[User, Depends(page_user)]
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9._ -]{{1,{MAX_NAME_LENGTH}}}$")
PAGE_SIZE = 50


def _page(
    request: Request,
    page: int = 1,
    context: dict[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    offset = (page - 1) * PAGE_SIZE
    tokens, total = request.app.state.services.service_tokens.page(offset, PAGE_SIZE)
    return render(
        request,
        "service_tokens.html",
        {
            "tokens": tokens,
            "total": total,
            "first": offset + 1 if tokens else 0,
            "last": offset + len(tokens),
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "roles": list(Role),
            "permissions": list(Permission),
            "now": datetime.now(UTC),
            "max_days": MAX_VALID_DAYS,
            "valid_days": 365,
            **(context or {}),
        },
        status,
    )


@router.get("")
def service_tokens_page(
    request: Request,
    user: Admin,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    msg: str = "",
) -> HTMLResponse:
    """Every service token, newest first, and a form to issue one."""
    message = "tokens.revoked_done" if msg == "revoked" else None
    return _page(request, page, {"message": message})


@router.post("")
def issue_token(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=MAX_NAME_LENGTH)] = "",
    role: Annotated[str, Form(max_length=50)] = "",
    permission: Annotated[list[str] | None, Form(max_length=len(Permission))] = None,
    valid_days: Annotated[int, Form(ge=1, le=MAX_VALID_DAYS)] = 365,
) -> Response:
    """Issue a token for an integration: its permissions must be among the role's. The token
    is on this answer only."""
    name = name.strip()
    form = {
        "form_name": name,
        "form_role": role,
        "form_permissions": permission or [],
        "valid_days": valid_days,
    }
    if not NAME_PATTERN.match(name):
        return _page(request, 1, {"error": "tokens.bad_name", **form}, 422)
    if role not in {r.value for r in Role}:
        return _page(request, 1, {"error": "users.role_invalid", **form}, 422)
    chosen = set(permission or [])
    granted = {p.value for p in ROLE_PERMISSIONS[Role(role)]}
    if not chosen or not chosen <= granted:
        return _page(request, 1, {"error": "tokens.bad_permissions", **form}, 422)
    expires_at = datetime.now(UTC) + timedelta(days=valid_days)
    issued, token = request.app.state.services.service_tokens.issue(
        name, Role(role), sorted(chosen), expires_at, user.name
    )
    return _page(request, 1, {"issued": issued, "token": token}, 201)


@router.post("/{number}/revoke")
def revoke_token(
    request: Request, user: Admin, number: Annotated[int, Path(ge=1, le=BIGINT_MAX)]
) -> Response:
    """Revoke a service token (other processes stop accepting it within 5 s)."""
    request.app.state.services.service_tokens.revoke(number)
    return redirect(request, "/ui/admin/service-tokens?msg=revoked")
