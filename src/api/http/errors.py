"""Maps domain and infrastructure errors to HTTP answers, in one place."""

from __future__ import annotations

import logging

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from crm.application.group_commit import CommitUnavailableError
from crm.domain.errors import (
    InvalidFieldError,
    MergeNotAllowedError,
    NotFoundError,
    RuleViolationError,
)

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "2"
UNAVAILABLE = (
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    StoreOperationalError,
    StoreInterfaceError,
    CommitUnavailableError,
)


class ViewBehindError(Exception):
    """A read asked for a log position the view has not reached within the wait limit."""

    def __init__(self, position: int) -> None:
        super().__init__(f"The view has not reached position {position} yet; retry shortly.")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        details = []
        for item in error.errors():
            item = dict(item)
            # A bad or missing discriminator: name the field the client got wrong.
            if item.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                item["loc"] = (*item["loc"], "kind")
            details.append(item)
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(details)})

    @app.exception_handler(InvalidFieldError)
    async def invalid_field(request: Request, error: InvalidFieldError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": [
                    {"loc": ["body", error.field], "msg": error.problem, "type": "value_error"}
                ]
            },
        )

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(error)})

    @app.exception_handler(MergeNotAllowedError)
    async def merge_not_allowed(request: Request, error: MergeNotAllowedError) -> JSONResponse:
        return JSONResponse(status_code=403, content={"detail": str(error)})

    @app.exception_handler(RuleViolationError)
    async def rule_violation(request: Request, error: RuleViolationError) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": str(error)})

    @app.exception_handler(ViewBehindError)
    async def view_behind(request: Request, error: ViewBehindError) -> JSONResponse:
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "1"},
            content={"detail": str(error)},
        )

    for error_class in UNAVAILABLE:

        @app.exception_handler(error_class)
        async def unavailable(request: Request, error: Exception) -> JSONResponse:
            log.warning("database unavailable: %s", error)
            return JSONResponse(
                status_code=503,
                headers={"Retry-After": RETRY_AFTER_SECONDS},
                content={"detail": "The database is unavailable; retry shortly."},
            )
