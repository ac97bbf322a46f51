"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.http.dependencies import ServicesDep
from api.http.schemas import HealthOut
from crm.adapters.postgres.pool import database_reachable

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health(services: ServicesDep, response: Response) -> HealthOut:
    """Whether the service can reach its database (503 when it cannot)."""
    if not database_reachable(services.pool):
        response.status_code = 503
        return HealthOut(status="unavailable", database=False)
    return HealthOut(status="ok", database=True)
