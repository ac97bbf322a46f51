"""Tasks and corrections: plan, complete, cancel; "my tasks"; retract or correct an entry."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import IdempotencyHeader, ServicesDep, client_key, provenance
from api.http.parameters import EntryVersion, Offset
from api.http.schemas import RecordedOut
from api.permissions import Permission
from crm.application.imports import parse_time
from crm.application.users import User
from crm.domain.customer import Provenance
from crm.domain.tasks import due_window
from crm.domain.vocabulary import Institution, TaskKind
from projections.views.tasks import Tasks, Window

router = APIRouter(tags=["tasks"])
Recorder = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]


class TaskIn(BaseModel):
    """A task to plan: what, with whom (the path's customer), by when and for whom."""

    model_config = ConfigDict(extra="forbid")
    task_kind: TaskKind
    due_on: date
    owner: str | None = Field(None, max_length=200, description="Defaults to the caller.")
    title: str = Field(min_length=1, max_length=500)
    notes: str | None = Field(None, max_length=5000)
    institution: Institution = "joint"


class TaskDoneIn(BaseModel):
    """Completing a task records the touchpoint it planned, now."""

    model_config = ConfigDict(extra="forbid")
    notes: str | None = Field(None, max_length=5000)
    next_review_due: date | None = None
    institution: Institution = "joint"


class TaskCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=2000)


class RetractionIn(BaseModel):
    """Why the entry was recorded in error."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class CorrectionIn(BaseModel):
    """The corrected fields (any of the entry's own fields, and `occurred_at`) and why."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    changes: dict[str, Any] = Field(min_length=1)


class TaskOut(BaseModel):
    customer_id: UUID
    task_id: str
    task_kind: str
    due_on: date
    owner: str
    title: str | None
    state: Literal["open", "completed", "cancelled", "erased"]
    entry_version: int | None


class TaskPageOut(BaseModel):
    """A page of tasks and what it covers: items `offset + 1` to `offset + len(tasks)` of
    `total`."""

    tasks: list[TaskOut]
    total: int
    offset: int
    window: Window


class PlannedOut(RecordedOut):
    task_id: str


def recorded_now(
    services: Services,
    user: User,
    idempotency_key: str | None,
    request: dict[str, Any],
    institution: str = "joint",
) -> Provenance:
    """The provenance of a task or correction command: recorded now, by the caller. A client's
    key is stored scoped to the caller and tied to the request, never as given."""
    return provenance(
        user,
        occurred_at=None,
        institution=institution,
        channel="other",
        idempotency_key=client_key(services, user, idempotency_key, request),
    )


@router.post("/customers/{customer_id}/tasks", status_code=201)
def plan_task(
    customer_id: UUID,
    task: Annotated[TaskIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> PlannedOut:
    """Plan a call, visit, meeting or review with the customer, due on a day."""
    request = {"customer_id": str(customer_id), **task.model_dump(mode="json")}
    recorded_by = recorded_now(services, user, idempotency_key, request, task.institution)
    # A repeated request (same caller, key and request) names the same task.
    task_id = (
        hashlib.sha256(recorded_by.idempotency_key.encode()).hexdigest()[:32]
        if idempotency_key
        else uuid4().hex
    )
    recorded = services.crm.plan_task(
        customer_id,
        recorded_by,
        task_kind=task.task_kind,
        due_on=task.due_on,
        owner=task.owner or user.name,
        title=task.title,
        notes=task.notes,
        task_id=task_id,
    )
    return PlannedOut(**vars(recorded), task_id=task_id)


@router.post("/customers/{customer_id}/tasks/{task_id}/completion", status_code=201)
def complete_task(
    customer_id: UUID,
    task_id: str,
    done: Annotated[TaskDoneIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record the touchpoint the task planned (a call, a visit or a review) and the task as
    done, in one command."""
    recorded = services.crm.complete_task(
        customer_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {"customer_id": str(customer_id), "task_id": task_id, **done.model_dump(mode="json")},
            done.institution,
        ),
        task_id,
        notes=done.notes,
        next_review_due=done.next_review_due,
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/tasks/{task_id}/cancellation", status_code=201)
def cancel_task(
    customer_id: UUID,
    task_id: str,
    cancel: Annotated[TaskCancelIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record that a planned task will not be done."""
    recorded = services.crm.cancel_task(
        customer_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {"customer_id": str(customer_id), "task_id": task_id, **cancel.model_dump()},
        ),
        task_id,
        cancel.reason,
    )
    return RecordedOut(**vars(recorded))


@router.get("/tasks")
def read_my_tasks(
    services: ServicesDep,
    user: Recorder,
    access: AccessLogged,
    window: Window = "open",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskPageOut:
    """The caller's open tasks in a window of due days (overdue, today, this week in Finnish
    time, or all open), soonest due first, paged, with the total the window holds."""
    today, week_end = due_window(datetime.now(UTC))
    rows, total = services.views.get(Tasks).owned_by(
        user.name, window, today, week_end, offset=offset, limit=limit
    )
    access.record(user, {row["customer_id"] for row in rows})
    return TaskPageOut(
        tasks=[TaskOut.model_validate(dict(row)) for row in rows],
        total=total,
        offset=offset,
        window=window,
    )


@router.post("/customers/{customer_id}/entries/{version}/retraction", status_code=201)
def retract_entry(
    customer_id: UUID,
    version: EntryVersion,
    retraction: Annotated[RetractionIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Retract an entry recorded in error: it stays on the timeline struck through and no
    view counts it. Purchases, refunds, lead stages, consent withdrawals and memberships
    cannot be retracted (422 says what to do instead)."""
    recorded = services.crm.retract_entry(
        customer_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {"customer_id": str(customer_id), "version": version, **retraction.model_dump()},
        ),
        version,
        retraction.reason,
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/entries/{version}/correction", status_code=201)
def correct_entry(
    customer_id: UUID,
    version: EntryVersion,
    correction: Annotated[CorrectionIn, Body()],
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record the entry again with the changes and retract the one in error, in one command;
    the answer is the retraction (the corrected entry is the version before it)."""
    changes = dict(correction.changes)
    if "occurred_at" in changes:
        changes["occurred_at"] = parse_time(str(changes["occurred_at"]))
    recorded = services.crm.correct_entry(
        customer_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {
                "customer_id": str(customer_id),
                "version": version,
                **correction.model_dump(mode="json"),
            },
        ),
        version,
        changes,
        correction.reason,
    )
    return RecordedOut(**vars(recorded))
