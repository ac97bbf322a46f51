"""The offering catalogue page: everyone reads it; admins and marketing add offerings and
retire or reinstate them. Every write is a catalogue command, as through the API."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.routes.offerings import OfferingIn
from api.permissions import Permission, can
from api.services.offering_mapping import mapping_report
from api.web.forms import domain_field_error, field_problems, link_position, refusal_text
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.users import User
from crm.domain.errors import InvalidFieldError, NotFoundError, RuleViolationError
from crm.domain.vocabulary import INSTITUTIONS, OFFERING_TYPES
from projections.views.offerings import Offerings

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 50
STATES = ("active", "retired", "all")
DONE = {"retire": "offerings.retired", "reinstate": "offerings.reinstated"}
"""The notice each state change ends with."""
TERMS = ("code", "name_fi", "name_en", "offering_type", "institution", "list_price", "credits")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/offerings")
def catalogue_page(
    request: Request,
    user: SignedIn,
    text: str = "",
    offering_type: str = "",
    institution: str = "",
    state: str = "active",
    offset: str = "0",
) -> Response:
    """The catalogue, filtered and paged; the add form for those who maintain it."""
    filters = {
        "text": text[:200],
        "offering_type": offering_type,
        "institution": institution,
        "state": state,
    }
    return _page(request, user, filters, offset)


@router.get("/offerings/mapping")
def mapping_page(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """The mapping report of legacy free-text offering names to the catalogue."""
    report = mapping_report(_services(request))
    access.record(user, report.customers)
    return render(request, "offering_mapping.html", {"report": report})


@router.post("/offerings")
async def add_offering(request: Request, user: SignedIn) -> Response:
    """Add an offering from the page's form."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    language = language_of(request)
    data = {name: form.get(name, "").strip() for name in TERMS}
    if not data["credits"]:
        data.pop("credits")
    for name in ("list_price", "credits"):
        if name in data:
            data[name] = data[name].replace(",", ".").replace(" ", "")
    problems: dict[str, str] = {}
    status = 422
    services = _services(request)
    try:
        offering = OfferingIn.model_validate(data)
        recorded = services.catalogue.add_offering(offering.code, offering.terms(), user.name)
    except ValidationError as error:
        problems = field_problems(language, error.errors())
    except InvalidFieldError as error:
        problems = field_problems(language, [domain_field_error(error)])
    except RuleViolationError as error:
        problems, status = {"code": refusal_text(language, error)}, 409
    if problems:
        return _page(request, user, {"state": "active"}, "0", form=data, problems=problems,
                     status=status)  # fmt: skip
    services.views.get(Offerings).wait_for(recorded.position, services.settings.read_wait_timeout)
    shown = {"text": recorded.code, "done": "offerings.added"}
    return redirect(request, f"/ui/offerings?{urlencode(shown)}")


@router.post("/offerings/{code}/state")
async def change_state(request: Request, user: SignedIn, code: str) -> Response:
    """Retire an offering, or reinstate a retired one (`action`)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    services = _services(request)
    action = form.get("action", "")
    commands = {
        "retire": services.catalogue.retire_offering,
        "reinstate": services.catalogue.reinstate_offering,
    }
    if action not in commands:
        problems = {"action": field_problems(language_of(request), [
            {"loc": ("action",), "type": "literal_error",
             "ctx": {"expected": "retire, reinstate"}}])["action"]}  # fmt: skip
        return _page(request, user, {}, "0", problems=problems, status=422)
    try:
        recorded = commands[action](code, user.name)
    except InvalidFieldError as error:
        problems = field_problems(language_of(request), [domain_field_error(error)])
        return _page(request, user, {}, "0", problems=problems, status=422)
    except NotFoundError:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        return _page(
            request,
            user,
            {},
            "0",
            problems={"action": refusal_text(language_of(request), error)},
            status=409,
        )
    services.views.get(Offerings).wait_for(recorded.position, services.settings.read_wait_timeout)
    shown = {"text": recorded.code, "state": "all", "done": DONE[action]}
    return redirect(request, f"/ui/offerings?{urlencode(shown)}")


def _page(
    request: Request,
    user: User,
    filters: dict[str, str],
    offset: str,
    *,
    form: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    chosen = {
        "text": filters.get("text", ""),
        "offering_type": filters.get("offering_type", "")
        if filters.get("offering_type") in OFFERING_TYPES
        else "",
        "institution": filters.get("institution", "")
        if filters.get("institution") in INSTITUTIONS
        else "",
        "state": filters.get("state", "active") if filters.get("state") in STATES else "active",
    }
    first = link_position(offset, 0)
    rows, total = (
        _services(request)
        .views.get(Offerings)
        .page(
            text=chosen["text"],
            offering_type=chosen["offering_type"] or None,
            institution=chosen["institution"] or None,
            active=None if chosen["state"] == "all" else chosen["state"] == "active",
            offset=first,
            limit=PAGE_SIZE,
        )
    )
    context: dict[str, Any] = {
        "offerings": rows,
        "filters": chosen,
        "states": STATES,
        "offering_types": OFFERING_TYPES,
        "institutions": INSTITUTIONS,
        "total": total,
        "first": first + 1 if rows else 0,
        "last": first + len(rows),
        "previous": urlencode({**chosen, "offset": max(first - PAGE_SIZE, 0)}) if first else None,
        "next": urlencode({**chosen, "offset": first + PAGE_SIZE})
        if first + len(rows) < total
        else None,
        "may_maintain": can(user, Permission.MANAGE_OFFERINGS),
        "may_map": can(user, Permission.MAP_OFFERINGS),
        "form": form or {},
        "problems": problems or {},
    }
    return render(request, "offerings.html", context, status=status)
