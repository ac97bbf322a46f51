"""Marketing's segment builder: rule editor with live count, preview, explain, CSV export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged, AccessRecorder
from api.permissions import Permission, can
from api.services.customer_search import find_customers
from api.services.segments import (
    EXCEL_CSV,
    ExportFile,
    compile_for,
    export_coverages,
    export_segment,
)
from api.services.spreadsheet import XLSX_MEDIA_TYPE
from api.web.forms import refusal_text
from api.web.i18n import field_problem
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.users import User
from crm.domain.events import TOUCHPOINT_KINDS
from crm.domain.vocabulary import INSTITUTIONS, PURPOSES
from projections.segments import compiler as queries
from projections.segments.compiler import Compiled, Tables
from projections.segments.rules import (
    FIELDS,
    NODE_KEYS,
    ORDERED_OPS,
    STAGES,
    Node,
    RuleError,
    nodes,
    parse_rule,
    rule_json,
)
from projections.segments.store import (
    SegmentNameTakenError,
    SegmentNotFoundError,
    StaleVersionError,
)
from projections.views.directory import CustomerDirectory

router = APIRouter(prefix="/ui/segments", include_in_schema=False)
Marketer = Annotated[User, Depends(page_user)]
PREVIEW_ROWS = 20
CHOICES = 10
"""Customers offered when a name picks more than one to explain."""
MAX_CUSTOMER_TEXT = 200
MAX_RULE_TEXT = 50_000
EXAMPLE_RULE = {
    "all": [
        {"field": "engagement_score", "op": ">=", "value": 5},
        {"consent": "email_marketing"},
        {"sector": "ICT"},
        {"not": {"purchased_within_days": 365}},
    ]
}


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _parse(text: str, language: str) -> tuple[Node | None, list[str]]:
    """The rule in the editor, or the problems with it as `path: message` lines."""
    if len(text) > MAX_RULE_TEXT:
        problem = field_problem(language, "rule", "string_too_long", {"max_length": MAX_RULE_TEXT})
        return None, [problem]
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, [field_problem(language, "rule", "json_invalid", {"error": error})]
    try:
        return parse_rule(data), []
    except RuleError as error:
        return None, [f"{item['path']}: {item['msg']}" for item in error.errors]


EXPORT_FILES = {
    "excel_csv": EXCEL_CSV,
    "xlsx": ExportFile(format="xlsx"),
    "audience_csv": ExportFile(layout="audience"),
}
"""The files the page offers: CSV as Finnish Excel opens it (the default), a workbook, and an
e-mail tool's audience list."""


def _segment_context(services: Services, segment_id: UUID) -> dict[str, Any]:
    segments = services.segment_store
    segment = segments.get(segment_id)
    return {
        "segment": segment,
        "export_files": list(EXPORT_FILES),
        "coverages": export_coverages(services, segment),
        "exports": segments.exports(segment_id=segment_id, limit=20),
        "sizes": segments.sizes(segment_id)[-30:],
    }


def _explained(
    services: Services,
    tables: Tables,
    compiled: Compiled,
    rule: Node,
    customer_id: UUID,
) -> dict[str, Any] | None:
    explanation = queries.explain(tables, compiled, customer_id)
    if explanation is None:
        return None
    return {
        "explanation": explanation,
        "name": services.views.get(CustomerDirectory).names([customer_id]).get(customer_id),
        "conditions": [
            (json.dumps(rule_json(node), ensure_ascii=False), held)
            for node, held in zip(nodes(rule), explanation.held, strict=True)
        ],
    }


def _builder(
    request: Request,
    user: User,
    *,
    segment_id: UUID | None,
    name: str,
    rule_text: str,
    action: str = "",
    customer: str = "",
    access: AccessRecorder | None = None,
    status: int = 200,
    errors: list[str] | None = None,
) -> HTMLResponse:
    """The builder page. Members and explanations (with names, for roles that may read
    customers) are shown only when asked for, and then logged as read through `access`."""
    services = _services(request)
    context: dict[str, Any] = {
        "segment": None,
        "name": name,
        "rule_text": rule_text,
        "customer": customer,
        "purposes": PURPOSES,
        "errors": errors or [],
        "count": None,
        "members": [],
        "names": {},
        "choices": [],
        "explained": None,
        **_vocabulary(),
    }
    if segment_id is not None:
        context.update(_segment_context(services, segment_id))
    language = language_of(request)
    rule, problems = _parse(rule_text, language)
    context["errors"] += problems
    shown: list[UUID] = []
    if rule is not None and not errors:
        now = datetime.now(UTC)
        tables, compiled = compile_for(services, rule, now)
        context["count"] = queries.count(tables, compiled)
        if access is not None and action in ("preview", "explain"):
            context["members"] = queries.preview(tables, compiled, PREVIEW_ROWS)
            shown += [member["customer_id"] for member in context["members"]]
        if access is not None and action == "explain":
            wanted = customer.strip()
            try:
                picked: list[UUID] = [UUID(wanted)]
            except ValueError:
                rows, _ = find_customers(
                    services,
                    wanted,
                    by_contacts=can(user, Permission.READ_CONTACT_DETAILS),
                    limit=CHOICES,
                )
                picked = [row["customer_id"] for row in rows] if wanted else []
            if len(picked) == 1:
                context["explained"] = _explained(services, tables, compiled, rule, picked[0])
                shown += picked
            if len(picked) > 1:
                context["choices"] = picked
                shown += picked
            if not picked or (len(picked) == 1 and context["explained"] is None):
                context["errors"].append(field_problem(language, "customer", "not_found"))
    if shown and access is not None and can(user, Permission.READ_CUSTOMERS):
        context["names"] = services.views.get(CustomerDirectory).names(shown)
        access.record(user, [i for i in dict.fromkeys(shown) if i in context["names"]])
    if context["errors"]:
        status = 422
    return render(request, "segments_builder.html", context, status)


def _vocabulary() -> dict[str, Any]:
    """What the condition rows offer: condition kinds, indicator fields with their types and
    values, operators, and the vocabularies conditions pick from."""
    return {
        "condition_keys": list(NODE_KEYS),
        "rule_fields": FIELDS,
        "ordered_ops": ORDERED_OPS,
        "touchpoint_kinds": list(TOUCHPOINT_KINDS),
        "institutions": INSTITUTIONS,
        "stages": STAGES,
    }


@router.get("")
def segments_page(request: Request, user: Marketer) -> HTMLResponse:
    """Every segment, with a link to the builder."""
    return render(request, "segments.html", {"segments": _services(request).segment_store.every()})


@router.get("/new")
def new_segment_page(request: Request, user: Marketer) -> HTMLResponse:
    """The builder with an example rule."""
    return _builder(
        request, user, segment_id=None, name="", rule_text=json.dumps(EXAMPLE_RULE, indent=2)
    )


@router.get("/{segment_id}")
def segment_page(request: Request, user: Marketer, segment_id: str) -> HTMLResponse:
    """A stored segment in the builder, with its exports and size over time."""
    try:
        segment = _services(request).segment_store.get(UUID(segment_id))
    except (ValueError, SegmentNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    return _builder(
        request,
        user,
        segment_id=segment.segment_id,
        name=segment.name,
        rule_text=json.dumps(segment.rule, indent=2, ensure_ascii=False),
    )


@router.post("/builder")
async def builder_form(request: Request, user: Marketer, access: AccessLogged) -> Response:
    """Count, preview (by name), explain (for a customer picked by name) or save the rule in
    the editor."""
    form = await request.form()
    fields = {key: str(form.get(key) or "") for key in ("segment_id", "name", "rule", "action")}
    customer = str(form.get("customer") or "")[:MAX_CUSTOMER_TEXT]
    if form.get("pick"):
        fields["action"], customer = "explain", str(form.get("pick"))[:MAX_CUSTOMER_TEXT]
    try:
        segment_id = UUID(fields["segment_id"]) if fields["segment_id"] else None
        if segment_id is not None:
            _services(request).segment_store.get(segment_id)
    except (ValueError, SegmentNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    name = fields["name"].strip()[:200]
    if fields["action"] != "save":
        return _builder(
            request,
            user,
            segment_id=segment_id,
            name=name,
            rule_text=fields["rule"],
            action=fields["action"],
            customer=customer,
            access=access,
        )
    rule, problems = _parse(fields["rule"], language_of(request))
    if not name:
        problems.append(field_problem(language_of(request), "name", "missing"))
    if rule is None or problems:
        return _builder(
            request,
            user,
            segment_id=segment_id,
            name=name,
            rule_text=fields["rule"],
            errors=problems,
        )
    segments = _services(request).segment_store
    try:
        if segment_id is None:
            saved = segments.create(name, rule_json(rule), None, user.name)
        else:
            saved = segments.change(
                segment_id,
                name=name,
                rule=rule_json(rule),
                description=None,
                user=user.name,
                expected_version=None,
            )
    except (SegmentNameTakenError, StaleVersionError) as error:
        return _builder(
            request,
            user,
            segment_id=segment_id,
            name=name,
            rule_text=fields["rule"],
            errors=[refusal_text(language_of(request), error)],
        )
    return redirect(request, f"/ui/segments/{saved.segment_id}")


@router.post("/count")
async def live_count(request: Request, user: Marketer) -> JSONResponse:
    """The live count while editing (the builder's script calls this as the rule changes)."""
    form = await request.form()
    rule, problems = _parse(str(form.get("rule") or ""), language_of(request))
    if rule is None:
        return JSONResponse({"count": None, "errors": problems}, status_code=422)
    tables, compiled = compile_for(_services(request), rule, datetime.now(UTC))
    return JSONResponse({"count": queries.count(tables, compiled), "errors": []})


@router.post(
    "/{segment_id}/export",
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}},
)
async def export_page(request: Request, user: Marketer, segment_id: str) -> Response:
    """Download the segment's consent-checked contact list (recorded as an export)."""
    services = _services(request)
    form = await request.form()
    purpose = str(form.get("purpose") or "")
    try:
        segment = services.segment_store.get(UUID(segment_id))
    except (ValueError, SegmentNotFoundError):
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    chosen = str(form.get("file") or "excel_csv")
    problems = []
    if purpose not in PURPOSES:
        problems.append(field_problem(language_of(request), "purpose", "literal_error"))
    if chosen not in EXPORT_FILES:
        problems.append(field_problem(language_of(request), "file", "literal_error"))
    if problems:
        return _builder(
            request,
            user,
            segment_id=segment.segment_id,
            name=segment.name,
            rule_text=json.dumps(segment.rule, indent=2, ensure_ascii=False),
            errors=problems,
        )
    export = export_segment(services, segment, purpose, user, file=EXPORT_FILES[chosen])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        export.content,
        media_type=export.file.media_type,
        headers={
            "Content-Disposition": "attachment;"
            f' filename="{export.filename(segment.segment_id, stamp)}"',
            **export.headers(),
        },
    )
