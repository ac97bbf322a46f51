"""The probable-duplicates page: scored pairs with the evidence that matched, paged."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.services.duplicates import duplicate_candidates
from api.web.forms import link_position, refusal_text
from api.web.i18n import translate
from api.web.session import language_of, page_user
from api.web.templating import error_page, redirect, render
from crm.application.users import Role, User
from crm.domain.customer import Provenance
from crm.domain.errors import CustomerNotFoundError, MergeNotAllowedError, RuleViolationError
from projections.engine.merges import MergeMap
from projections.views.directory import CustomerDirectory
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 25


@router.get("/duplicates")
def duplicates_page(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    offset: str = "0",
    customer: str = "",
) -> HTMLResponse:
    """Probable duplicates with at least one of the user's customers (an admin: all), best
    first; `customer`: only the pairs of that customer."""
    services: Services = request.app.state.services
    try:
        only = UUID(customer) if customer else None
    except ValueError:
        only = None  # a hand-edited link lists every pair rather than an error page
    visible = duplicate_candidates(services, user, only)
    found = visible.found
    first = link_position(offset, 0)
    page = found.pairs[first : first + PAGE_SIZE]
    ids = list(dict.fromkeys(i for c in page for i in (c.first, c.second)))
    rows = services.views.get(CustomerDirectory).rows(ids)
    access.record(user, ids)
    total = len(found.pairs)
    context = {
        "pairs": page,
        "rows": rows,
        "total": total,
        "first": first + 1 if page else 0,
        "last": first + len(page) if page else 0,
        "compared": found.customers_compared,
        "left_out": found.keys_left_out,
        "customer": only,
        "mergeable": visible.mergeable,
        "previous": _link(max(first - PAGE_SIZE, 0), only) if first else None,
        "next": _link(first + PAGE_SIZE, only) if first + len(page) < total else None,
    }
    return render(request, "duplicates.html", context)


def _link(offset: int, customer: UUID | None) -> str:
    return urlencode({"offset": offset, **({"customer": str(customer)} if customer else {})})


MERGED_FIELDS = ("name", "email", "phone", "sector")
REASON_LIMIT = 2000


@router.get("/duplicates/compare")
def compare_page(
    request: Request, user: SignedIn, access: AccessLogged, first: str = "", second: str = ""
) -> HTMLResponse:
    """Two customers side by side, with a form to merge one into the other."""
    return _compare(request, user, access, first, second)


def _compare(
    request: Request,
    user: User,
    access: AccessRecorder,
    first: str,
    second: str,
    *,
    form: dict[str, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    services: Services = request.app.state.services
    try:
        pair = [services.crm.get_customer(UUID(first)), services.crm.get_customer(UUID(second))]
    except (ValueError, CustomerNotFoundError):
        return error_page(request, "error.not_found", 404)
    timeline = services.views.get(Timeline)
    access.record(user, [customer.id for customer in pair])
    # Each value defaults to the first customer's, or the second's where the first has none.
    defaults = {
        f"value_{field}": "second"
        if not getattr(pair[0], field) and getattr(pair[1], field)
        else "first"
        for field in MERGED_FIELDS
    }
    context = {
        "pair": pair,
        "entries": [timeline.count(customer.id) for customer in pair],
        "fields": MERGED_FIELDS,
        "form": {"survivor": "first", **defaults, **(form or {})},
        "problems": problems or [],
        "idempotency_key": (form or {}).get("idempotency_key") or str(uuid4()),
    }
    return render(request, "duplicates_compare.html", context, status)


@router.post("/duplicates/merge")
async def merge(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """Merge the pair as the comparison form chose: which one survives, whose value of each
    profile field it keeps, and why."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    language = language_of(request)
    first, second = form.get("first", ""), form.get("second", "")
    problems = []
    reason = form.get("reason", "").strip()
    if not reason:
        problems.append(translate(language, "merge.reason_missing"))
    elif len(reason) > REASON_LIMIT:
        problems.append(translate(language, "merge.reason_too_long"))
    if form.get("survivor") not in ("first", "second"):
        problems.append(translate(language, "merge.survivor_missing"))
    if problems:
        page = _compare(request, user, access, first, second, form=form, problems=problems)
        if page.status_code == 404:
            return error_page(request, "merge.refused", 422, problems=problems)
        page.status_code = 422
        return page
    survivor_side = form["survivor"]
    ids = {"first": first, "second": second}
    absorbed_side = "second" if survivor_side == "first" else "first"
    taken = [field for field in MERGED_FIELDS if form.get(f"value_{field}") == absorbed_side]
    services: Services = request.app.state.services
    try:
        survivor_id, absorbed_id = UUID(ids[survivor_side]), UUID(ids[absorbed_side])
        recorded = services.crm.merge_customers(
            survivor_id,
            absorbed_id,
            _provenance(user, form),
            take_from_absorbed=taken,
            reason=reason,
            owner=None if user.role is Role.ADMIN else user.name,
        )
    except (ValueError, CustomerNotFoundError):
        return error_page(request, "error.not_found", 404)
    except MergeNotAllowedError:
        return error_page(request, "merge.not_yours", 403)
    except RuleViolationError as error:
        return _compare(
            request,
            user,
            access,
            first,
            second,
            form=form,
            problems=[refusal_text(language_of(request), error)],
            status=409,
        )
    _wait(services, recorded.position)
    return redirect(request, f"/ui/customers/{survivor_id}?msg=merged")


@router.post("/customers/{customer_id}/merges/{absorbed_id}/undo")
async def undo(request: Request, user: SignedIn, customer_id: str, absorbed_id: str) -> Response:
    """Undo a merge from the survivor's page."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    language = language_of(request)
    reason = form.get("reason", "").strip()
    if not reason or len(reason) > REASON_LIMIT:
        key = "merge.reason_missing" if not reason else "merge.reason_too_long"
        return error_page(request, "merge.refused", 422, problems=[translate(language, key)])
    services: Services = request.app.state.services
    try:
        recorded = services.crm.undo_merge(
            UUID(customer_id),
            UUID(absorbed_id),
            _provenance(user, form),
            reason=reason,
            owner=None if user.role is Role.ADMIN else user.name,
        )
    except (ValueError, CustomerNotFoundError):
        return error_page(request, "error.not_found", 404)
    except MergeNotAllowedError:
        return error_page(request, "merge.not_yours", 403)
    except RuleViolationError as error:
        return error_page(
            request, "merge.refused", 409, problems=[refusal_text(language_of(request), error)]
        )
    _wait(services, recorded.position)
    return redirect(request, f"/ui/customers/{customer_id}?msg=merge_undone")


def _provenance(user: User, form: dict[str, str]) -> Provenance:
    return provenance(
        user,
        occurred_at=None,
        institution="joint",
        channel="other",
        idempotency_key=f"web:{form.get('idempotency_key') or uuid4()}",
    )


def _wait(services: Services, position: int | None) -> None:
    """Read-your-writes: the pages after the redirect show the merge or its undo."""
    for view in (CustomerDirectory, MergeMap, Timeline):
        services.views.get(view).wait_for(position, services.settings.read_wait_timeout)
