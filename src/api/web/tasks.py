"""Task and correction pages: my tasks; plan, complete and cancel a task; retract or correct
an entry from the timeline. Every write is an application command, as through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.dependencies import provenance
from api.http.parameters import EntryVersion
from api.web.forms import form_key, link_position, refusal_text
from api.web.i18n import field_label, field_problem
from api.web.paging import list_page
from api.web.session import language_of, page_user
from api.web.templating import redirect, render, safe_next
from crm.application.imports import parse_time
from crm.application.users import User
from crm.domain.corrections import RETRACTABLE_KINDS
from crm.domain.customer import Provenance
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError, RuleViolationError
from crm.domain.tasks import due_window
from crm.domain.vocabulary import TASK_KINDS
from projections.views.directory import CustomerDirectory
from projections.views.tasks import WINDOWS, Tasks, Window
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 50
PROBLEMS: dict[str, str] = {
    "future": "future",
    "not_retractable": "not_retractable",
    "required": "missing",
    "not_found": "not_found",
}
"""The problem text (`problem.<type>`) of each named problem (`InvalidFieldError.code`)."""


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def customer_task_context(services: Services, user: User, customer_id: UUID) -> dict[str, Any]:
    """What the customer page shows of tasks and corrections: open tasks, the plan form's
    choices and which timeline entries may be retracted."""
    return {
        "open_tasks": services.views.get(Tasks).of_customer(customer_id),
        "task_kinds": TASK_KINDS,
        "task_key": str(uuid4()),
        "task_owner": user.name,
        "retractable_kinds": RETRACTABLE_KINDS,
    }


@router.get("/tasks")
def my_tasks(
    request: Request, user: SignedIn, access: AccessLogged, window: str = "open", offset: str = "0"
) -> Response:
    """The user's open tasks in a window of due days, soonest first, paged."""
    if window not in WINDOWS:
        return _refused(request, "window", "window", 422)
    services = _services(request)
    today, week_end = due_window(datetime.now(UTC))
    chosen: Window = window
    first = link_position(offset, 0)
    rows, total = services.views.get(Tasks).owned_by(
        user.name, chosen, today, week_end, offset=first, limit=PAGE_SIZE
    )
    names = services.views.get(CustomerDirectory).names(
        list(dict.fromkeys(row["customer_id"] for row in rows))
    )
    access.record(user, names)
    context = {
        "tasks": rows,
        "names": names,
        "window": chosen,
        "windows": WINDOWS,
        "today": today,
        **vars(list_page({"window": chosen}, "offset", first, len(rows), total, PAGE_SIZE)),
    }
    return render(request, "tasks.html", context)


@router.post("/customers/{customer_id}/tasks")
async def plan_task(request: Request, user: SignedIn, customer_id: str) -> Response:
    """Plan a task from the customer page's form."""
    form = await _form(request)
    due = _date(form.get("due_on", ""))
    if due is None:
        return _refused(request, "due_on", "date", 422, customer_id)
    services = _services(request)
    return _run(
        request,
        customer_id,
        form,
        lambda cid: services.crm.plan_task(
            cid,
            _provenance(services, user, form),
            task_kind=form.get("task_kind", ""),
            due_on=due,
            owner=form.get("owner", "").strip() or user.name,
            title=form.get("title", ""),
            notes=form.get("notes") or None,
            task_id=uuid4().hex,
        ),
        "tasks.planned",
    )


@router.post("/customers/{customer_id}/tasks/{task_id}/complete")
async def complete_task(
    request: Request, user: SignedIn, customer_id: str, task_id: str
) -> Response:
    """Complete a task: its touchpoint is recorded now, with the notes given."""
    form = await _form(request)
    services = _services(request)
    return _run(
        request,
        customer_id,
        form,
        lambda cid: services.crm.complete_task(
            cid, _provenance(services, user, form), task_id, notes=form.get("notes") or None
        ),
        "tasks.completed",
    )


@router.post("/customers/{customer_id}/tasks/{task_id}/cancel")
async def cancel_task(request: Request, user: SignedIn, customer_id: str, task_id: str) -> Response:
    """Cancel a task."""
    form = await _form(request)
    services = _services(request)
    return _run(
        request,
        customer_id,
        form,
        lambda cid: services.crm.cancel_task(
            cid, _provenance(services, user, form), task_id, form.get("reason") or None
        ),
        "tasks.cancelled",
    )


@router.post("/customers/{customer_id}/entries/{version}/retraction")
async def retract_entry(
    request: Request, user: SignedIn, customer_id: str, version: EntryVersion
) -> Response:
    """Retract a timeline entry, or correct its time when one is given."""
    form = await _form(request)
    services = _services(request)
    reason = form.get("reason", "")
    corrected = form.get("occurred_at", "").strip()
    if form.get("action") == "correct":
        if not corrected:
            return _refused(request, "occurred_at", "missing", 422, customer_id)
        try:
            at = parse_time(corrected)
        except InvalidFieldError:
            return _refused(request, "occurred_at", "date", 422, customer_id)
        return _run(
            request,
            customer_id,
            form,
            lambda cid: services.crm.correct_entry(
                cid, _provenance(services, user, form), version, {"occurred_at": at}, reason
            ),
            "corrections.corrected",
        )
    return _run(
        request,
        customer_id,
        form,
        lambda cid: services.crm.retract_entry(
            cid, _provenance(services, user, form), version, reason
        ),
        "corrections.retracted",
    )


# Mechanism ----------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _provenance(services: Services, user: User, form: dict[str, str]) -> Provenance:
    return provenance(
        user,
        occurred_at=None,
        institution="joint",
        channel="other",
        idempotency_key=form_key(services, user, form),
    )


def _date(text: str) -> date | None:
    """A day typed as 2027-12-01 (the date input) or 1.12.2027 (Finnish)."""
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _run(
    request: Request, customer_id: str, form: dict[str, str], command: Any, message: str
) -> Response:
    """Run a command on the customer; refusals come back as a page in the UI's language."""
    services = _services(request)
    try:
        cid = UUID(customer_id)
        recorded = command(cid)
    except (ValueError, CustomerNotFoundError) as error:
        if isinstance(error, InvalidFieldError):
            key = PROBLEMS.get(error.code or "")
            return _refused(request, error.field, key, 422, customer_id, error.problem)
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        return _refused(
            request, "", None, 409, customer_id, refusal_text(language_of(request), error)
        )
    for view in (services.views.get(Tasks), services.views.get(Timeline)):
        view.wait_for(recorded.position, services.settings.read_wait_timeout)
    back = safe_next(form.get("next")) if form.get("next") else f"/ui/customers/{customer_id}"
    separator = "&" if "?" in back else "?"
    return redirect(request, f"{back}{separator}{urlencode({'done': message})}")


def _refused(
    request: Request,
    field: str,
    key: str | None,
    status: int,
    customer_id: str | None = None,
    detail: str | None = None,
) -> HTMLResponse:
    language = language_of(request)
    if key:
        message = field_problem(language, field, key)
    elif field:
        message = f"{field_label(language, field)}: {detail or ''}"
    else:
        message = detail or ""
    context = {"message": message, "customer_id": customer_id, "lang": language}
    return render(request, "refused.html", context, status=status)
