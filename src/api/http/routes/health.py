"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.http.dependencies import ServicesDep
from api.http.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health(services: ServicesDep, response: Response) -> HealthOut:
    """Whether the service can reach its database (503 when it cannot)."""
    try:
        with services.pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
    except Exception:
        response.status_code = 503
        return HealthOut(status="unavailable", database=False)
    return HealthOut(status="ok", database=True)
