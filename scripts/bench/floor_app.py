"""The framework's floor: a FastAPI app with the touchpoint route's shape and nothing behind it.

It validates a small JSON body and answers 201, served by the same uvicorn settings as the
service. Its rate on this machine is the most any FastAPI route can reach here, whatever the
route does.

    .venv/bin/uvicorn scripts.bench.floor_app:app --port 8001
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Visit(BaseModel):
    kind: str
    page: str


class Accepted(BaseModel):
    customer_id: str


@app.post("/customers/{customer_id}/touchpoints", status_code=201)
async def accept(customer_id: str, visit: Visit) -> Accepted:
    return Accepted(customer_id=customer_id)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
