"""The lead pipeline page: the account manager's leads by stage, moved on by buttons (the
lead is the card's own, a purchase is picked from the customer's), each move an event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.services.pipeline import pipeline_page
from api.web.forms import domain_field_error, field_problems, parse_touchpoint, refusal_text
from api.web.paging import list_page, offset_of
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError, RuleViolationError
from crm.domain.vocabulary import CHANNELS
from projections.views.funnel import LEAD_SORTS, STAGES, Funnel, LeadSort, Stage
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 50
MOVES: dict[str, str] = {
    "qualify": "lead_qualified",
    "convert": "lead_converted",
    "lose": "lead_lost",
}
"""The buttons of a card and the touchpoint each records."""
MESSAGES = {
    "qualify": "pipeline.moved_qualify",
    "convert": "pipeline.moved_convert",
    "lose": "pipeline.moved_lose",
}
"""The notice after a move, by the move the redirect names."""


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _page(
    request: Request,
    user: User,
    access: AccessRecorder,
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    params = request.query_params
    stage: Stage = next((s for s in STAGES if s == params.get("stage")), "captured")
    sort: LeadSort = next((s for s in LEAD_SORTS if s == params.get("sort")), "captured")
    channel = params.get("channel") if params.get("channel") in CHANNELS else None
    first = offset_of(params.get("offset"))
    page = pipeline_page(
        _services(request),
        user.name,
        (stage,),
        datetime.now(UTC),
        source_channel=channel,
        sort=sort,
        offset=first,
        limit=PAGE_SIZE,
    )
    # Cards show customers' names and leads' interests: personal data, logged.
    access.record(user, list(dict.fromkeys(lead.customer_id for lead in page.leads)))
    filters = {"stage": stage, "sort": params.get("sort") or "", "channel": channel or ""}
    context = {
        "pipeline": page,
        "stage": stage,
        "stages": STAGES,
        "sort": sort,
        "sorts": LEAD_SORTS,
        "channel": channel or "",
        "channels": CHANNELS,
        "page": list_page(filters, "offset", first, len(page.leads), page.total, PAGE_SIZE),
        "problem": problem,
        "uuid": lambda: str(uuid4()),
        "message": MESSAGES.get(params.get("done") or ""),
    }
    return render(request, "pipeline.html", context, status)


@router.get("/pipeline")
def pipeline(request: Request, user: SignedIn, access: AccessLogged) -> HTMLResponse:
    """The user's leads by stage (captured, qualified, converted, lost), with age, interest
    and source channel; converted leads link to their purchase."""
    return _page(request, user, access)


@router.post("/pipeline/{customer_id}/move")
async def move_lead(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Qualify, convert or lose a lead from its card; a refusal comes back on the page."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    language = language_of(request)
    kind = MOVES.get(form.get("move", ""))
    if kind is None:
        problem: dict[str, Any] = {
            "customer_id": customer_id,
            "lead_id": form.get("lead_id"),
            "field": "move",
        }
        return _page(request, user, access, problem=problem, status=422)
    touchpoint, errors = parse_touchpoint(kind, form, language)
    if touchpoint is None:
        problem = {"customer_id": customer_id, "lead_id": form.get("lead_id"), "errors": errors}
        return _page(request, user, access, problem=problem, status=422)
    services = _services(request)
    fields = touchpoint.model_dump(
        exclude={"kind", "occurred_at", "institution", "channel", "idempotency_key"}
    )
    try:
        recorded = services.crm.record_touchpoint(
            UUID(customer_id),
            provenance(
                user,
                occurred_at=None,
                institution=form.get("institution") or "joint",
                channel="other",
                idempotency_key=f"web:{form.get('idempotency_key') or uuid4()}",
            ),
            kind,
            fields,
        )
    except InvalidFieldError as error:
        problem = {
            "customer_id": customer_id,
            "lead_id": form.get("lead_id"),
            "errors": field_problems(language, [domain_field_error(error)]),
        }
        return _page(request, user, access, problem=problem, status=422)
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        problem = {
            "customer_id": customer_id,
            "lead_id": form.get("lead_id"),
            "refusal": refusal_text(language, error),
        }
        return _page(request, user, access, problem=problem, status=409)
    for view in (services.views.get(Funnel), services.views.get(Timeline)):
        view.wait_for(recorded.position, services.settings.read_wait_timeout)
    back = form.get("back_stage") if form.get("back_stage") in STAGES else "captured"
    return redirect(request, f"/ui/pipeline?stage={back}&done={form['move']}")
