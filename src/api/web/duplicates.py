"""The probable-duplicates page: scored pairs with the evidence that matched, paged."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.services.duplicates import duplicate_candidates
from api.web.forms import link_position
from api.web.session import page_user
from api.web.templating import render
from crm.application.users import User
from projections.views.directory import CustomerDirectory

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
