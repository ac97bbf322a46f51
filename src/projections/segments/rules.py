"""The segment rule language: a JSON condition tree, validated into typed nodes.

A rule is one node. Each node is a JSON object whose single key says what it is:

- `{"all": [node, ...]}`, `{"any": [node, ...]}`, `{"not": node}`
- `{"field": F, "op": O, "value": V}`: compare an indicator field (see `FIELDS`)
- `{"consent": P}`: a consent for purpose P is valid at "now" (consent ledger)
- `{"webinars_attended": {"at_least": N, "days": D}}`: N or more webinars in the last D days
- `{"touchpoints": {"kind": K, "at_least": N, "days": D}}`: the same for any touchpoint kind
- `{"purchased_within_days": D}`: a purchase in the last D days
- `{"sector": S}` (case-insensitive), `{"institution": I}`, `{"lifecycle_stage": L}`
- `{"digimentor": true}`: the person is currently digimentor for an organisation
- `{"organisation": node}`: the person works for an organisation (a current affiliation)
  for which the node holds, e.g. `{"organisation": {"field": "customer_type", "op": "=",
  "value": "public_organisation"}}`

Errors name the path of the offending part, e.g. `all.2.webinars_attended.at_least`.
The full description lives in docs/segments.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from crm.domain.events import TOUCHPOINT_KINDS
from crm.domain.vocabulary import (
    CUSTOMER_KINDS,
    CUSTOMER_TYPES,
    INSTITUTIONS,
    MEMBERSHIP_TIERS,
    PURPOSES,
)
from projections.views.indicators import NPS_LOWEST_SCORES, STAGE_PRECEDENCE

STAGES = STAGE_PRECEDENCE
NPS_CLASSES = tuple(name for name, _ in NPS_LOWEST_SCORES)
MAX_DAYS = 36_500
MAX_NODES = 200
MAX_DEPTH = 12
MAX_TEXT = 200
MAX_LIST = 100

FieldType = Literal["number", "integer", "datetime", "text"]
FIELDS: dict[str, tuple[FieldType, tuple[str, ...] | None]] = {
    "revenue": ("number", None),
    "purchase_count": ("integer", None),
    "average_order_value": ("number", None),
    "events_attended": ("integer", None),
    "webinars_attended": ("integer", None),
    "webinars_registered": ("integer", None),
    "webinar_utilisation": ("number", None),
    "feedback_count": ("integer", None),
    "feedback_average": ("number", None),
    "last_feedback_score": ("integer", None),
    "nps_class": ("text", NPS_CLASSES),
    "engagement_score": ("number", None),
    "recency_score": ("integer", None),
    "frequency_score": ("integer", None),
    "monetary_score": ("integer", None),
    "tenure_days": ("integer", None),
    "first_seen": ("datetime", None),
    "last_activity": ("datetime", None),
    "first_purchase": ("datetime", None),
    "last_purchase": ("datetime", None),
    "kind": ("text", CUSTOMER_KINDS),
    "customer_type": ("text", CUSTOMER_TYPES),
    "sector": ("text", None),
    "institution": ("text", INSTITUTIONS),
    "account_manager": ("text", None),
    "lifecycle_stage": ("text", STAGES),
    "partner_tier": ("text", MEMBERSHIP_TIERS),
}
"""Indicator fields a comparison may name: (type, allowed values or None for free text)."""

ORDERED_OPS = ("<", "<=", ">", ">=")
LIST_OPS = ("in", "not_in")
Op = Literal["=", "!=", "<", "<=", ">", ">=", "in", "not_in"]
FieldName = Literal[tuple(FIELDS)]  # type: ignore[valid-type]
Purpose = Literal[PURPOSES]  # type: ignore[valid-type]
InstitutionName = Literal[INSTITUTIONS]  # type: ignore[valid-type]
Stage = Literal[STAGES]  # type: ignore[valid-type]
TouchpointKind = Literal[tuple(TOUCHPOINT_KINDS)]  # type: ignore[valid-type]
Days = Annotated[int, Field(strict=True, ge=1, le=MAX_DAYS)]
AtLeast = Annotated[int, Field(strict=True, ge=1, le=100_000)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]

Scalar = float | int | str | datetime


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AllOf(Node):
    """Every condition holds."""

    all: Annotated[list[Rule], Field(min_length=1, max_length=MAX_LIST)]


class AnyOf(Node):
    """At least one condition holds."""

    any: Annotated[list[Rule], Field(min_length=1, max_length=MAX_LIST)]


class Not(Node):
    """The condition does not hold."""

    not_: Rule = Field(alias="not")


def check_scalar(field: str, value: Any) -> Scalar:
    """One comparison value, converted to the field's type, or ValueError saying why not."""
    kind, allowed = FIELDS[field]
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{field} compares with a number")
        if kind == "integer" and isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{field} compares with a whole number")
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{field} compares with a finite number")
        return value
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueError(f"{field} compares with an ISO 8601 date-time with a time zone")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{field} compares with an ISO 8601 date-time with a time zone"
            ) from None
        if parsed.tzinfo is None:
            raise ValueError(f"{field}: the date-time needs a time zone (e.g. +02:00 or Z)")
        return parsed
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise ValueError(f"{field} compares with a text of 1 to {MAX_TEXT} characters")
    if allowed is not None and value not in allowed:
        raise ValueError(f"{field} is one of: {', '.join(allowed)}")
    return value


class Compare(Node):
    """An indicator field compared with a value (a list of values for `in` and `not_in`)."""

    field: FieldName  # type: ignore[valid-type]
    op: Op
    value: Any

    @field_validator("op")
    @classmethod
    def _op_fits_field(cls, op: str, info: ValidationInfo) -> str:
        field = info.data.get("field")
        if field is not None and FIELDS[field][0] == "text" and op in ORDERED_OPS:
            raise ValueError(f"{field} is text: use =, !=, in or not_in")
        return op

    @field_validator("value", mode="plain")
    @classmethod
    def _value_fits_field(cls, value: Any, info: ValidationInfo) -> Any:
        field, op = info.data.get("field"), info.data.get("op")
        if field is None or op is None:
            return value
        if op in LIST_OPS:
            if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
                raise ValueError(f"{op} needs a list of 1 to {MAX_LIST} values")
            return tuple(check_scalar(field, item) for item in value)
        if isinstance(value, list):
            raise ValueError(f"{op} compares with one value; use in for a list")
        return check_scalar(field, value)


class Consent(Node):
    """A consent for the purpose is valid at "now"."""

    consent: Purpose


class Window(Node):
    at_least: AtLeast
    days: Days


class KindWindow(Window):
    kind: TouchpointKind  # type: ignore[valid-type]


class WebinarsAttended(Node):
    """At least `at_least` webinars attended in the last `days` days."""

    webinars_attended: Window


class Touchpoints(Node):
    """At least `at_least` touchpoints of `kind` in the last `days` days."""

    touchpoints: KindWindow


class PurchasedWithin(Node):
    """A purchase in the last `purchased_within_days` days."""

    purchased_within_days: Days


class Sector(Node):
    """The organisation's sector (case-insensitive)."""

    sector: Text


class InstitutionIs(Node):
    """The institution that registered the customer."""

    institution: InstitutionName


class LifecycleStage(Node):
    """The lifecycle stage at "now"."""

    lifecycle_stage: Stage


class IsDigimentor(Node):
    """The person is currently named digimentor for an organisation (any one)."""

    digimentor: Literal[True]


class WorksFor(Node):
    """The person has a current affiliation with an organisation for which the condition
    holds (evaluated on the organisation's own indicators, consents and history)."""

    organisation: Rule


NODE_KEYS: dict[str, type[Node]] = {
    "all": AllOf,
    "any": AnyOf,
    "not": Not,
    "field": Compare,
    "consent": Consent,
    "webinars_attended": WebinarsAttended,
    "touchpoints": Touchpoints,
    "purchased_within_days": PurchasedWithin,
    "sector": Sector,
    "institution": InstitutionIs,
    "lifecycle_stage": LifecycleStage,
    "digimentor": IsDigimentor,
    "organisation": WorksFor,
}


def node_tag(value: Any) -> str | None:
    """Which node a JSON object is: the first of its keys that names a node."""
    if isinstance(value, Node):
        return next(key for key, cls in NODE_KEYS.items() if isinstance(value, cls))
    if isinstance(value, dict):
        return next((key for key in value if key in NODE_KEYS), None)
    return None


Rule = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Compare, Tag("field")]
    | Annotated[Consent, Tag("consent")]
    | Annotated[WebinarsAttended, Tag("webinars_attended")]
    | Annotated[Touchpoints, Tag("touchpoints")]
    | Annotated[PurchasedWithin, Tag("purchased_within_days")]
    | Annotated[Sector, Tag("sector")]
    | Annotated[InstitutionIs, Tag("institution")]
    | Annotated[LifecycleStage, Tag("lifecycle_stage")]
    | Annotated[IsDigimentor, Tag("digimentor")]
    | Annotated[WorksFor, Tag("organisation")],
    Discriminator(
        node_tag,
        custom_error_type="unknown_condition",
        custom_error_message=(
            "A condition is an object with one of the keys: " + ", ".join(NODE_KEYS)
        ),
    ),
]
for _model in (AllOf, AnyOf, Not, WorksFor):
    _model.model_rebuild()

RULE = TypeAdapter(Rule)


class RuleError(ValueError):
    """A rule that does not validate; `errors` name each problem's path within the rule."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{error['path']}: {error['msg']}" for error in errors))
        self.errors = errors


def _path(loc: tuple[int | str, ...]) -> list[int | str]:
    """The location without the union's tags (pydantic inserts one at every node)."""
    path: list[int | str] = []
    state = "tag"
    for part in loc:
        if state == "tag" and isinstance(part, str) and part in NODE_KEYS:
            state = "field"
            continue
        path.append(part)
        if state == "field":
            nested = part in ("not", "organisation")
            state = "tag" if nested else "index" if part in ("all", "any") else "rest"
        elif state == "index":
            state = "tag" if isinstance(part, int) else "rest"
    return path


def nodes(rule: Node) -> list[Node]:
    """The rule's nodes in pre-order (the order explain reports them in). An organisation
    condition is one node: what it asks of the organisation is not about this customer."""
    found: list[Node] = [rule]
    for child in children(rule):
        found.extend(nodes(child))
    return found


def size(rule: Node) -> int:
    """How many conditions the rule has, those asked of organisations included."""
    inner = size(rule.organisation) if isinstance(rule, WorksFor) else 0
    return 1 + inner + sum(size(child) for child in children(rule))


def children(rule: Node) -> list[Node]:
    if isinstance(rule, AllOf):
        return list(rule.all)
    if isinstance(rule, AnyOf):
        return list(rule.any)
    if isinstance(rule, Not):
        return [rule.not_]
    return []


def depth(rule: Node) -> int:
    inner = [rule.organisation] if isinstance(rule, WorksFor) else []
    return 1 + max((depth(child) for child in [*children(rule), *inner]), default=0)


def parse_rule(data: Any) -> Node:
    """Validate a rule's JSON; RuleError lists every problem with its path."""
    try:
        rule: Node = RULE.validate_python(data)
    except ValidationError as error:
        raise RuleError(
            [
                {
                    "path": ".".join(str(part) for part in _path(item["loc"])) or "rule",
                    "loc": _path(item["loc"]),
                    "msg": item["msg"].removeprefix("Value error, "),
                    "type": item["type"],
                }
                for item in error.errors(include_url=False)
            ]
        ) from None
    if size(rule) > MAX_NODES:
        raise RuleError(
            [
                {
                    "path": "rule",
                    "loc": [],
                    "msg": f"at most {MAX_NODES} conditions",
                    "type": "too_big",
                }
            ]
        )
    if depth(rule) > MAX_DEPTH:
        raise RuleError(
            [{"path": "rule", "loc": [], "msg": f"at most {MAX_DEPTH} levels", "type": "too_deep"}]
        )
    return rule


def rule_json(rule: Node) -> Any:
    """The rule as JSON again (aliases, ISO date-times), as stored and shown."""
    return RULE.dump_python(
        rule,  # type: ignore[arg-type]  # every Node is one of the union
        mode="json",
        by_alias=True,
    )
