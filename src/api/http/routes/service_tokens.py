"""Service tokens for integrations: issue (the token shown once), list, revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.http.auth import require
from api.http.dependencies import ServicesDep
from api.http.parameters import BIGINT_MAX, Offset
from api.permissions import ROLE_PERMISSIONS, Permission
from crm.application.service_tokens import MAX_NAME_LENGTH, MAX_VALID_DAYS, ServiceToken
from crm.application.users import Role, User

router = APIRouter(prefix="/service-tokens", tags=["service tokens"])
Admin = Annotated[User, Depends(require(Permission.MANAGE_USERS))]


class ServiceTokenIn(BaseModel):
    """A token for one integration: the role it acts in and the permissions it needs."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=r"^[A-Za-z0-9._ -]+$",
        description="What uses the token, e.g. `web-service`.",
    )
    role: Role
    permissions: list[Permission] = Field(
        min_length=1,
        max_length=len(Permission),
        description="What the token may do; each must be one the role grants.",
    )
    valid_days: int = Field(default=365, ge=1, le=MAX_VALID_DAYS)

    @model_validator(mode="after")
    def permissions_of_the_role(self) -> ServiceTokenIn:
        extra = sorted(set(self.permissions) - ROLE_PERMISSIONS[self.role])
        if extra:
            raise ValueError(
                f"permissions: the {self.role.value} role does not grant {', '.join(extra)}"
            )
        return self


class ServiceTokenOut(BaseModel):
    number: int
    name: str
    role: Role
    permissions: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool


class IssuedServiceTokenOut(ServiceTokenOut):
    token: str = Field(description="The bearer token, shown only in this answer.")


class ServiceTokenPageOut(BaseModel):
    tokens: list[ServiceTokenOut]
    offset: int
    total: int


def token_out(token: ServiceToken) -> ServiceTokenOut:
    return ServiceTokenOut(**{**vars(token), "permissions": list(token.permissions)})


@router.post("", status_code=201)
def issue_service_token(
    body: ServiceTokenIn, services: ServicesDep, user: Admin
) -> IssuedServiceTokenOut:
    """Issue a token for an integration; the token is in this answer only (its hash is kept)."""
    expires_at = datetime.now(UTC) + timedelta(days=body.valid_days)
    issued, token = services.service_tokens.issue(
        body.name, body.role, [p.value for p in body.permissions], expires_at, user.name
    )
    return IssuedServiceTokenOut(**token_out(issued).model_dump(), token=token)


@router.get("")
def list_service_tokens(
    services: ServicesDep,
    user: Admin,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ServiceTokenPageOut:
    """Every service token, newest first, with expiry and last use (never the token)."""
    tokens, total = services.service_tokens.page(offset, limit)
    return ServiceTokenPageOut(tokens=[token_out(t) for t in tokens], offset=offset, total=total)


@router.delete("/{number}", status_code=204)
def revoke_service_token(
    number: Annotated[int, Path(ge=1, le=BIGINT_MAX)], services: ServicesDep, user: Admin
) -> None:
    """Revoke a token (other processes stop accepting it within 5 s)."""
    if not services.service_tokens.revoke(number):
        raise HTTPException(404, f"No active service token {number}.")
