"""Changing customers from the UI: register one (with a duplicate warning), correct contact
details, assign the owner, and add or end a person's role in an organisation."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.http.dependencies import provenance
from api.web.customers import account_managers, customer_page_with
from api.web.forms import form_key, refusal_text
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.crm import Recorded
from crm.application.users import User
from crm.domain.customer import Provenance
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError, RuleViolationError
from crm.domain.vocabulary import CUSTOMER_TYPES
from projections.engine.view import View
from projections.views.directory import CustomerDirectory
from projections.views.organisations import Organisations
from projections.views.timeline import Timeline

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]

PROFILE_FIELDS: dict[str, int] = {"name": 200, "email": 254, "phone": 40, "sector": 100}
"""Contact details a form may correct, with their longest allowed length."""
CANDIDATES = 10


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _form(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}


def _by(services: Services, user: User, form: dict[str, str]) -> Provenance:
    """The provenance of a change made now from a form, under the form's idempotency key."""
    key = form_key(services, user, form)
    return provenance(
        user, occurred_at=None, institution="joint", channel="other", idempotency_key=key
    )


def _visible(services: Services, recorded: Recorded, *views: type[View]) -> None:
    """Read-your-writes: the page after the redirect shows the change."""
    for view in views:
        services.views.get(view).wait_for(recorded.position, services.settings.read_wait_timeout)


def _too_long(form: dict[str, str]) -> dict[str, str]:
    return {
        name: "error.too_long"
        for name, limit in PROFILE_FIELDS.items()
        if len(form.get(name, "")) > limit
    }


# Registering -------------------------------------------------------------------------------


def _new_page(
    request: Request,
    user: User,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    candidates: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "form": {"kind": "person", "account_manager": user.name, **form},
        "errors": errors or {},
        "candidates": candidates or [],
        "email_taken": any(c["same_email"] for c in candidates or []),
        "customer_types": CUSTOMER_TYPES,
        "managers": account_managers(_services(request)),
        "idempotency_key": form.get("idempotency_key") or str(uuid4()),
    }
    return render(request, "customer_new.html", context, status)


@router.get("/customers/new")
def new_customer_page(request: Request, user: SignedIn, kind: str = "person") -> HTMLResponse:
    """The form to register a person or an organisation."""
    return _new_page(
        request, user, {"kind": "organisation" if kind == "organisation" else "person"}
    )


def _duplicates(services: Services, form: dict[str, str]) -> list[dict[str, Any]]:
    """Known customers with the same e-mail or a name containing (or contained in) this one."""
    directory = services.views.get(CustomerDirectory)
    by_email = None
    if form.get("email"):
        try:
            by_email = services.crm.find_by_email(form["email"])
        except InvalidFieldError:
            by_email = None
    rows = directory.similar(form["name"], CANDIDATES)
    found = {row["customer_id"]: dict(row, same_email=False) for row in rows}
    if by_email is not None:
        row = directory.rows([by_email]).get(by_email, {"customer_id": by_email})
        found.pop(by_email, None)
        return [dict(row, same_email=True), *found.values()]
    return list(found.values())


@router.post("/customers/new")
async def register_customer(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """Register from the form; a known e-mail or a close name asks before going on."""
    services = _services(request)
    form = await _form(request)
    kind = form.get("kind", "")
    errors = _too_long(form)
    if kind not in ("person", "organisation"):
        errors["kind"] = "error.choose"
    if not form.get("name"):
        errors["name"] = "error.required"
    customer_type = "individual" if kind == "person" else form.get("customer_type", "")
    if kind == "organisation" and customer_type not in (
        "private_organisation",
        "public_organisation",
    ):
        errors["customer_type"] = "error.choose"
    if errors:
        return _new_page(request, user, form, errors, status=422)
    candidates = _duplicates(services, form)
    confirmed = form.get("confirmed") == "yes" and not any(c["same_email"] for c in candidates)
    if candidates and not confirmed:
        access.record(user, [c["customer_id"] for c in candidates])
        return _new_page(request, user, form, candidates=candidates, status=409)
    try:
        recorded = services.crm.register_customer(
            _by(services, user, form),
            customer_kind=kind,
            customer_type=customer_type,
            name=form["name"],
            email=form.get("email") or None,
            phone=form.get("phone") or None,
            sector=form.get("sector") or None,
            account_manager=form.get("account_manager") or None,
        )
    except InvalidFieldError as error:
        return _new_page(request, user, form, {error.field: error.problem}, status=422)
    _visible(services, recorded, CustomerDirectory, Timeline)
    return redirect(request, f"/ui/customers/{recorded.customer_id}?msg=created")


# Editing ----------------------------------------------------------------------------------


def _refused(
    request: Request,
    user: User,
    access: AccessRecorder,
    customer_id: str,
    section: str,
    form: dict[str, str],
    errors: Any,
) -> HTMLResponse:
    """The customer page again, with the form's values and what was wrong with them."""
    edit = {"section": section, "form": form, "errors": errors}
    return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=422)


@router.post("/customers/{customer_id}/profile")
async def correct_profile(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Correct contact details; only the fields that changed go into the correction."""
    services = _services(request)
    form = await _form(request)
    errors = _too_long(form)
    if errors:
        return _refused(request, user, access, customer_id, "profile", form, errors)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    changes = {
        name: form[name]
        for name in PROFILE_FIELDS
        if form.get(name) and form[name] != getattr(customer, name)
    }
    if not changes:
        return redirect(request, f"/ui/customers/{customer_id}?msg=unchanged#profile")
    try:
        recorded = services.crm.correct_profile(
            customer.id,
            _by(services, user, form),
            **changes,
        )
    except InvalidFieldError as error:
        return _refused(
            request, user, access, customer_id, "profile", form, {error.field: error.problem}
        )
    _visible(services, recorded, CustomerDirectory, Timeline)
    return redirect(request, f"/ui/customers/{customer_id}?msg=corrected#profile")


@router.post("/customers/{customer_id}/owner")
async def assign_owner(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Make an account manager the customer's owner."""
    services = _services(request)
    form = await _form(request)
    owner = form.get("account_manager", "")
    if not owner or len(owner) > 100:
        errors = {"account_manager": "error.required" if not owner else "error.too_long"}
        return _refused(request, user, access, customer_id, "owner", form, errors)
    try:
        recorded = services.crm.assign_account_manager(
            UUID(customer_id),
            _by(services, user, form),
            owner,
        )
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    _visible(services, recorded, CustomerDirectory, Timeline)
    return redirect(request, f"/ui/customers/{customer_id}?msg=owner#profile")


def _pick(
    services: Services, form: dict[str, str], kind: str
) -> tuple[UUID | None, list[dict[str, Any]]]:
    """The other side of an affiliation: the chosen id, or matches of the name typed."""
    if form.get("other_id"):
        try:
            return UUID(form["other_id"]), []
        except ValueError:
            return None, []
    text = form.get("other", "")
    if not text:
        return None, []
    directory = services.views.get(CustomerDirectory)
    if "@" in text:
        try:
            found = services.crm.find_by_email(text)
        except InvalidFieldError:
            found = None
        rows = list(directory.rows([found]).values()) if found else []
    else:
        rows = directory.similar(text, CANDIDATES, kind=kind)
    rows = [row for row in rows if row["kind"] == kind]
    exact = [row for row in rows if (row["name"] or "").lower() == text.lower()]
    if len(exact) == 1 or len(rows) == 1:
        return (exact or rows)[0]["customer_id"], []
    return None, rows


@router.post("/customers/{customer_id}/affiliations")
async def start_affiliation(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str
) -> Response:
    """Add a person to an organisation with a role, from the person's or the organisation's page."""
    services = _services(request)
    form = await _form(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    if len(form.get("role", "")) > 200:
        return _refused(
            request, user, access, customer_id, "affiliation", form, {"role": "error.too_long"}
        )
    person_side = customer.kind == "person"
    other_id, choices = _pick(services, form, "organisation" if person_side else "person")
    if other_id is None:
        access.record(user, [row["customer_id"] for row in choices])
        problem = "error.choose" if choices else "error.no_match"
        edit = {"section": "affiliation", "form": form, "errors": {"other": problem}}
        return customer_page_with(
            request, user, access, customer_id, {"edit": {**edit, "choices": choices}}, status=422
        )
    person_id, organisation_id = (customer.id, other_id) if person_side else (other_id, customer.id)
    try:
        recorded = services.crm.start_affiliation(
            person_id,
            _by(services, user, form),
            organisation_id,
            form.get("role") or None,
        )
    except CustomerNotFoundError:
        return _refused(
            request, user, access, customer_id, "affiliation", form, {"other": "error.no_match"}
        )
    except RuleViolationError as error:
        edit = {
            "section": "affiliation",
            "form": form,
            "errors": {},
            "refusal": refusal_text(language_of(request), error),
        }
        return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=409)
    _visible(services, recorded, Organisations, Timeline)
    return redirect(request, f"/ui/customers/{customer_id}?msg=affiliated#relations")


@router.post("/customers/{customer_id}/affiliations/{other_id}/end")
async def end_affiliation(
    request: Request, user: SignedIn, access: AccessLogged, customer_id: str, other_id: str
) -> Response:
    """End a person's role in an organisation, from either side."""
    services = _services(request)
    form = await _form(request)
    try:
        customer = services.crm.get_customer(UUID(customer_id))
        other = UUID(other_id)
    except (ValueError, CustomerNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    person_id, organisation_id = (
        (customer.id, other) if customer.kind == "person" else (other, customer.id)
    )
    try:
        recorded = services.crm.end_affiliation(
            person_id,
            _by(services, user, form),
            organisation_id,
        )
    except CustomerNotFoundError:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    except RuleViolationError as error:
        edit = {
            "section": "affiliation",
            "form": {},
            "errors": {},
            "refusal": refusal_text(language_of(request), error),
        }
        return customer_page_with(request, user, access, customer_id, {"edit": edit}, status=409)
    _visible(services, recorded, Organisations, Timeline)
    return redirect(request, f"/ui/customers/{customer_id}?msg=affiliation_ended#relations")
