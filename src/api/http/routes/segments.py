"""Segments: named rules over indicators, consent and touchpoint history; count, preview,
explain, consent-checked CSV export, and membership history from daily snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import AwareDatetime, BaseModel, Field

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import BIGINT_MAX, After
from api.permissions import Permission
from api.services.segments import ExportFile, compile_for, export_segment
from api.services.spreadsheet import XLSX_MEDIA_TYPE
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError
from crm.domain.vocabulary import PURPOSES
from projections.segments import compiler as queries
from projections.segments.compiler import Tables
from projections.segments.rules import Node, RuleError, nodes, parse_rule, rule_json
from projections.segments.store import Segment, SegmentNotFoundError

router = APIRouter(tags=["segments"])
Marketer = Annotated[User, Depends(require(Permission.MANAGE_SEGMENTS))]
Reader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]
Auditor = Annotated[User, Depends(require(Permission.RUN_PRIVACY))]
PurposeName = Literal[PURPOSES]  # type: ignore[valid-type]
RULE_DOC = 'A condition tree (see docs/segments.md), e.g. {"all": [{"consent": "newsletter"}]}.'
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str | None, Field(max_length=2000)]
AsOf = Annotated[
    AwareDatetime | None, Query(description="Evaluate time-relative conditions here (now).")
]


class SegmentIn(BaseModel):
    """A new segment."""

    name: Name
    description: Description = None
    rule: Any = Field(description=RULE_DOC)


class SegmentChangeIn(BaseModel):
    """A new version of a segment: its rule, and optionally a new name or description."""

    rule: Any = Field(description=RULE_DOC)
    name: Name | None = None
    description: Description = None
    expected_version: int | None = Field(
        None,
        ge=1,
        le=BIGINT_MAX,
        description="Refuse (409) if the segment has moved past this version.",
    )


class SegmentOut(BaseModel):
    """A segment at one version."""

    segment_id: UUID
    name: str
    version: int
    latest_version: int
    rule: Any
    description: str | None
    created_by: str
    created_at: datetime
    changed_by: str
    changed_at: datetime


class RuleIn(BaseModel):
    """A rule being edited: count it and preview its first members."""

    rule: Any = Field(description=RULE_DOC)
    limit: int = Field(20, ge=0, le=200, description="How many members to preview.")


class MemberOut(BaseModel):
    """A member in a preview: non-personal facts only."""

    customer_id: UUID
    kind: str | None
    customer_type: str | None
    sector: str | None
    institution: str | None
    account_manager: str | None
    lifecycle_stage: str
    revenue: Decimal
    purchase_count: int
    last_activity: datetime | None


class PreviewOut(BaseModel):
    """How many customers the rule selects now, and the most recently active of them."""

    as_of: datetime
    count: int
    members: list[MemberOut]


class ExplainIn(BaseModel):
    """A rule and a customer to explain it for."""

    rule: Any = Field(description=RULE_DOC)
    customer_id: UUID


class ConditionOut(BaseModel):
    """One condition of the rule (pre-order), its path and whether it held."""

    path: str
    condition: Any
    held: bool


class ExplainOut(BaseModel):
    """Which conditions held for the customer, and whether that makes them a member."""

    customer_id: UUID
    as_of: datetime
    member: bool
    erased: bool
    restricted: bool
    merged_into: UUID | None = Field(
        default=None,
        description="The survivor this record is merged into: no member of its own while merged;"
        " its conditions are evaluated over its own history.",
    )
    conditions: list[ConditionOut]


class ExportIn(BaseModel):
    """The marketing purpose the export is for (only consents for it count), and the file."""

    purpose: PurposeName
    layout: Literal["contacts", "audience"] = Field(
        "contacts",
        description="contacts: customer_id, name, email; audience (for an e-mail tool):"
        " email, name, consent_purpose, consent_given_at, customer_id.",
    )
    format: Literal["csv", "xlsx"] = Field(
        "csv", description="CSV, or an .xlsx workbook with a summary sheet."
    )
    delimiter: Literal[",", ";"] = Field(
        ",", description="CSV separator; `;` is what Excel expects in a Finnish locale."
    )
    byte_order_mark: bool = Field(
        False, description="Begin the CSV with a UTF-8 byte-order mark, as Excel needs."
    )


class ExportOut(BaseModel):
    """A recorded export."""

    export_id: UUID
    segment_id: UUID
    segment_name: str
    version: int
    purpose: str
    exported_by: str
    exported_role: str
    exported_at: datetime
    consent_checked_at: datetime
    row_count: int


class SnapshotOut(BaseModel):
    """The segment's size on a snapshot day, and how many entered and left that day."""

    day: date
    version: int
    size: int
    entered: int
    left: int


class MembersOut(BaseModel):
    """The members as of a day (from the latest snapshot on or before it)."""

    segment_id: UUID
    as_of: date
    count: int
    customer_ids: list[UUID]


class StayOut(BaseModel):
    """A stay in a segment: entered on a snapshot day, left on a later one (or still in)."""

    segment_id: UUID
    segment_name: str
    entered_on: date
    left_on: date | None


def checked_rule(rule: Any, field: str = "rule") -> Node:
    """The rule validated; 422 naming every problem's path within the body."""
    try:
        return parse_rule(rule)
    except RuleError as error:
        raise HTTPException(
            422,
            [
                {"loc": ["body", field, *item["loc"]], "msg": item["msg"], "type": item["type"]}
                for item in error.errors
            ],
        ) from None


@contextmanager
def known_segment() -> Iterator[None]:
    try:
        yield
    except SegmentNotFoundError as error:
        raise HTTPException(404, f"No segment {error.args[0]} (or no such version).") from None


def segment_out(segment: Segment) -> SegmentOut:
    return SegmentOut(**vars(segment))


def caught_up(services: Services, tables: Tables, after: int | None) -> None:
    """Read-your-writes across every view a rule reads."""
    views = (
        tables.indicators,
        tables.restrictions,
        tables.touchpoints,
        tables.consents,
        tables.organisations,
    )
    wait_until_visible(services, views, after)


def preview_of(
    services: Services, rule: Node, now: datetime, limit: int, after: int | None
) -> PreviewOut:
    tables, compiled = compile_for(services, rule, now)
    caught_up(services, tables, after)
    rows = queries.preview(tables, compiled, limit) if limit else []
    return PreviewOut(
        as_of=now,
        count=queries.count(tables, compiled),
        members=[MemberOut(**row) for row in rows],
    )


def paths(rule: Node) -> list[str]:
    """Each node's path in pre-order, as validation errors name them."""
    found: list[str] = []

    def walk(node: Node, path: str) -> None:
        found.append(path or "rule")
        data = rule_json(node)
        key = next(iter(data))
        if key in ("all", "any"):
            for i, child in enumerate(getattr(node, key)):
                walk(child, f"{path}.{key}.{i}".lstrip("."))
        elif key == "not":
            walk(node.not_, f"{path}.not".lstrip("."))  # type: ignore[attr-defined]

    walk(rule, "")
    return found


@router.post("/segments", status_code=201)
def create_segment(body: SegmentIn, services: ServicesDep, user: Marketer) -> SegmentOut:
    """Store a new segment (version 1); 409 if the name is taken."""
    rule = checked_rule(body.rule)
    return segment_out(
        services.segment_store.create(body.name, rule_json(rule), body.description, user.name)
    )


@router.get("/segments")
def list_segments(services: ServicesDep, user: Marketer) -> list[SegmentOut]:
    """Every segment at its latest version, by name."""
    return [segment_out(segment) for segment in services.segment_store.every()]


@router.get("/segments/{segment_id}")
def read_segment(
    segment_id: UUID,
    services: ServicesDep,
    user: Marketer,
    version: Annotated[
        int | None, Query(ge=1, le=BIGINT_MAX, description="A past version.")
    ] = None,
) -> SegmentOut:
    """The segment at its latest (or the given) version."""
    with known_segment():
        return segment_out(services.segment_store.get(segment_id, version))


@router.put("/segments/{segment_id}")
def change_segment(
    segment_id: UUID, body: SegmentChangeIn, services: ServicesDep, user: Marketer
) -> SegmentOut:
    """Save a new version of the rule; 409 if `expected_version` is stale or the name taken."""
    rule = checked_rule(body.rule)
    with known_segment():
        return segment_out(
            services.segment_store.change(
                segment_id,
                name=body.name,
                rule=rule_json(rule),
                description=body.description,
                user=user.name,
                expected_version=body.expected_version,
            )
        )


@router.post("/segments/preview")
def preview_rule(
    body: RuleIn, services: ServicesDep, user: Marketer, as_of: AsOf = None, after: After = None
) -> PreviewOut:
    """Live count and preview of a rule being edited (not stored)."""
    rule = checked_rule(body.rule)
    return preview_of(services, rule, as_of or datetime.now(UTC), body.limit, after)


@router.get("/segments/{segment_id}/preview")
def preview_segment(
    segment_id: UUID,
    services: ServicesDep,
    user: Marketer,
    as_of: AsOf = None,
    after: After = None,
    limit: Annotated[int, Query(ge=0, le=200)] = 20,
) -> PreviewOut:
    """Count and preview of a stored segment's latest version."""
    with known_segment():
        segment = services.segment_store.get(segment_id)
    return preview_of(services, parse_rule(segment.rule), as_of or datetime.now(UTC), limit, after)


@router.post("/segments/explain")
def explain_rule(
    body: ExplainIn,
    services: ServicesDep,
    user: Marketer,
    access: AccessLogged,
    as_of: AsOf = None,
    after: After = None,
) -> ExplainOut:
    """For one customer: which conditions of the rule held and which did not."""
    rule = checked_rule(body.rule)
    now = as_of or datetime.now(UTC)
    tables, compiled = compile_for(services, rule, now)
    caught_up(services, tables, after)
    explanation = queries.explain(tables, compiled, body.customer_id)
    if explanation is None:
        raise CustomerNotFoundError(body.customer_id)
    access.record(user, [body.customer_id])
    return ExplainOut(
        customer_id=body.customer_id,
        as_of=now,
        member=explanation.member,
        erased=explanation.erased,
        restricted=explanation.restricted,
        merged_into=explanation.merged_into,
        conditions=[
            ConditionOut(path=path, condition=rule_json(node), held=held)
            for path, node, held in zip(paths(rule), nodes(rule), explanation.held, strict=True)
        ],
    )


EXPORT_HEADERS = (
    "X-Row-Count (rows), X-Selected-Count and X-Left-Out-Restricted / -No-Consent /"
    " -No-Email (members of the segment not listed, by reason)"
)


@router.post(
    "/segments/{segment_id}/exports",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
            "description": f"The file; headers {EXPORT_HEADERS}",
        }
    },
)
def export_segment_file(
    segment_id: UUID, body: ExportIn, services: ServicesDep, user: Marketer
) -> Response:
    """The members with a consent for the purpose valid now (never erased or restricted
    ones), as CSV or .xlsx. The export is recorded and access-logged; its headers say how
    many members were left out and why."""
    with known_segment():
        segment = services.segment_store.get(segment_id)
    file = ExportFile(body.layout, body.format, body.delimiter, body.byte_order_mark)
    export = export_segment(services, segment, body.purpose, user, file=file)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        export.content,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(segment_id, stamp)}"',
            **export.headers(),
        },
    )


@router.get("/segments/{segment_id}/exports")
def list_segment_exports(
    segment_id: UUID, services: ServicesDep, user: Marketer
) -> list[ExportOut]:
    """The segment's exports, newest first."""
    with known_segment():
        services.segment_store.get(segment_id)
    return [ExportOut(**row) for row in services.segment_store.exports(segment_id=segment_id)]


@router.get("/segment-exports")
def list_exports(
    services: ServicesDep,
    user: Auditor,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ExportOut]:
    """Every segment export (who, when, which version, purpose, rows), newest first."""
    return [ExportOut(**row) for row in services.segment_store.exports(limit=limit)]


@router.get("/segments/{segment_id}/sizes")
def read_segment_sizes(
    segment_id: UUID, services: ServicesDep, user: Marketer
) -> list[SnapshotOut]:
    """The segment's size over time, one entry per daily snapshot."""
    with known_segment():
        services.segment_store.get(segment_id)
    return [SnapshotOut(**vars(s)) for s in services.segment_store.sizes(segment_id)]


@router.get("/segments/{segment_id}/members")
def read_segment_members(
    segment_id: UUID,
    services: ServicesDep,
    user: Marketer,
    as_of: Annotated[date, Query(description="The day (from the daily snapshots).")],
) -> MembersOut:
    """The members as of a day, from the snapshots (ids only)."""
    with known_segment():
        services.segment_store.get(segment_id)
    ids = services.segment_store.members_as_of(segment_id, as_of)
    return MembersOut(segment_id=segment_id, as_of=as_of, count=len(ids), customer_ids=ids)


@router.get("/customers/{customer_id}/segments")
def read_customer_segments(
    customer_id: UUID, services: ServicesDep, user: Reader, access: AccessLogged
) -> list[StayOut]:
    """When the customer entered and left each segment (from the daily snapshots)."""
    stays = [StayOut(**row) for row in services.segment_store.stays(customer_id)]
    access.record(user, [customer_id])
    return stays
