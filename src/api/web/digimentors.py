"""Digimentors on pages: the list for account managers (organisations, owners, last contact;
filtered and paged), and naming a person digimentor or ending the role from the person's or
the organisation's page."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.dependencies import provenance
from api.services.digimentors import digimentor_page
from api.web.customers import account_managers, customer_page_with
from api.web.forms import form_key, refusal_text
from api.web.paging import list_page, offset_of
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError, RuleViolationError
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
LIST_SIZE = 50


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/digimentors")
def digimentor_list(
    request: Request,
    user: SignedIn,
    access: AccessLogged,
    organisation: str = "",
    owner: str = "",
    offset: str = "",
) -> Response:
    """Current digimentors with their organisations, owners and last contact; filtered by
    organisation or by the organisation's account manager; paged."""
    services = _services(request)
    try:
        organisation_id = UUID(organisation) if organisation else None
    except ValueError:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    # Any name: an organisation may still be owned by an account manager no longer active.
    chosen_owner = owner.strip()[:200]
    owners = account_managers(services)
    if chosen_owner and chosen_owner not in owners:
        owners = [chosen_owner, *owners]
    first = offset_of(offset)
    rows, total = digimentor_page(
        services,
        organisation=organisation_id,
        owner=chosen_owner or None,
        offset=first,
        limit=LIST_SIZE,
    )
    organisation_name: str | None = None
    if organisation_id is not None:
        names = services.views.get(CustomerDirectory).names([organisation_id])
        organisation_name = names.get(organisation_id)
    access.record(user, {row["person_id"] for row in rows})
    params = {
        "organisation": str(organisation_id) if organisation_id else "",
        "owner": chosen_owner,
        "offset": str(first) if first else "",
    }
    context = {
        "rows": rows,
        "page": list_page(params, "offset", first, len(rows), total, LIST_SIZE),
        "params": params,
        "owners": owners,
        "organisation_name": organisation_name,
    }
    return render(request, "digimentors.html", context)


@router.post("/customers/{customer_id}/digimentor-roles")
async def name_digimentor(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Name a person digimentor for an organisation, from either side's page (`other_id`)."""
    return await _change(request, user, access, customer_id, None, naming=True)


@router.post("/customers/{customer_id}/digimentor-roles/{other_id}/end")
async def end_digimentor_role(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str, other_id: str
) -> Response:
    """End a person's role as digimentor for an organisation, from either side's page."""
    return await _change(request, user, access, customer_id, other_id, naming=False)


async def _change(
    request: Request,
    user: User,
    access: AccessLogged,
    customer_id: str,
    other_id: str | None,
    *,
    naming: bool,
) -> Response:
    services = _services(request)
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    try:
        other = UUID(other_id if other_id is not None else form.get("other_id", ""))
    except ValueError:
        edit = {"section": "digimentor", "form": form, "errors": {"other_id": "error.choose"}}
        return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=422)
    person_id, organisation_id = (
        (customer.id, other) if customer.kind == "person" else (other, customer.id)
    )
    command = services.crm.name_digimentor if naming else services.crm.end_digimentor_role
    key = form_key(services, user, form)
    try:
        recorded = command(
            person_id,
            provenance(
                user, occurred_at=None, institution="joint", channel="other", idempotency_key=key
            ),
            organisation_id,
        )
    except CustomerNotFoundError:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        refusal = refusal_text(language_of(request), error)
        edit = {"section": "digimentor", "form": {}, "errors": {}, "refusal": refusal}
        return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=409)
    for view in (Digimentors, Timeline):
        services.views.get(view).wait_for(recorded.position, services.settings.read_wait_timeout)
    message = "digimentor_named" if naming else "digimentor_ended"
    return redirect(request, f"/ui/customers/{customer_id}?msg={message}#relations")
