"""Segment rules compiled to parameterised SQL over the read models: count, preview, members,
explain for one customer, and the contact list of an export.

Identifiers in the SQL come from this module only (the `FIELD_SQL` whitelist and the views'
table prefixes, which the `View` class validates); every value from a rule is a bind
parameter. Each condition compiles to a boolean that is never NULL (`coalesce(..., false)`),
so `not` means "the condition does not hold" even where a field is missing.

Only customers who are neither erased nor restricted (GDPR art. 18) are ever members.

Rules range over customers as they read through the merge map (`projections.engine.merges`):
a survivor's indicators, engagement, touchpoints and affiliations are those of its merged
history, and a record merged into another is never a member of its own while merged. The
consent and restriction conditions still read the survivor's own rows of the consent ledger
and the restrictions view.
Time-relative conditions (engagement, lifecycle stage, tenure, "in the last D days", consent,
restriction) are evaluated at the `now` given; totals (revenue, counts) are the view's current
ones. Consent and restriction at `now` follow the rule in `crm.domain.in_force`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.rows import DictRow

from crm.domain.consents import consent_covers
from projections.engine.generations import LiveViews
from projections.engine.merges import MergeMap
from projections.segments.rules import (
    FIELDS,
    AllOf,
    AnyOf,
    Compare,
    Consent,
    InstitutionIs,
    IsDigimentor,
    LifecycleStage,
    Node,
    Not,
    PurchasedWithin,
    Sector,
    Touchpoints,
    WebinarsAttended,
    WorksFor,
    nodes,
)
from projections.views.consent_ledger import ConsentLedger, consented_at, person_intervals_sql
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.indicators import (
    DEFAULT_WEIGHTS,
    DERIVED_SQL,
    RFM_OF_ALL,
    STAGE_SQL,
    CustomerIndicators,
    days_since_epoch,
)
from projections.views.organisations import Organisations
from projections.views.restrictions import Restrictions, restricted_at
from projections.views.touchpoint_index import TouchpointIndex

FIELD_SQL: dict[str, str] = {
    "revenue": "c.revenue",
    "purchase_count": "c.purchase_count",
    "events_attended": "c.events_attended",
    "webinars_attended": "c.webinars_attended",
    "webinars_registered": "c.webinars_registered",
    "feedback_count": "c.feedback_count",
    "last_feedback_score": "c.last_feedback_score",
    **DERIVED_SQL,
    # A correlated sum: the planner runs costly conditions last, so only customers that
    # pass the rule's cheaper conditions have their engagement summed.
    "engagement_score": "coalesce((SELECT sum(e.decayed_sum::float8"
    " * coalesce((%(weight_values)s::float8[])[array_position(%(weight_kinds)s::text[], e.kind)],"
    " 0)) FROM {indicators}engagement e WHERE e.customer_id = ANY({histories})), 0)"
    " * %(engagement_factor)s",
    "recency_score": "rfm.recency_score",
    "frequency_score": "rfm.frequency_score",
    "monetary_score": "rfm.monetary_score",
    "first_seen": "c.first_seen",
    "last_activity": "c.last_activity",
    "first_purchase": "c.first_purchase",
    "last_purchase": "c.last_purchase",
    "kind": "c.kind",
    "customer_type": "c.customer_type",
    "sector": "c.sector",
    "institution": "c.institution",
    "account_manager": "c.account_manager",
    "lifecycle_stage": STAGE_SQL.strip(),
    # A partner's tier while the membership lasts; none once it ended.
    "partner_tier": "CASE WHEN c.membership_active THEN c.membership_tier END",
}
assert set(FIELD_SQL) == set(FIELDS)
CASTS = {"number": "numeric", "integer": "numeric", "datetime": "timestamptz", "text": "text"}
SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
RFM_FIELDS = {"recency_score", "frequency_score", "monetary_score"}
PREVIEW_COLUMNS = (
    "c.customer_id, c.kind, c.customer_type, c.sector, c.institution, c.account_manager,"
    " c.revenue, c.purchase_count, c.last_activity"
)


@dataclass(frozen=True)
class Tables:
    """The live table prefixes of the views a rule reads, and a way to run SQL on them."""

    views: LiveViews
    indicators: CustomerIndicators
    restrictions: Restrictions
    touchpoints: TouchpointIndex
    consents: ConsentLedger
    directory: CustomerDirectory
    organisations: Organisations
    digimentors: Digimentors
    merges: MergeMap

    @classmethod
    def of(cls, views: LiveViews) -> Tables:
        return cls(
            views,
            views.get(CustomerIndicators),
            views.get(Restrictions),
            views.get(TouchpointIndex),
            views.get(ConsentLedger),
            views.get(CustomerDirectory),
            views.get(Organisations),
            views.get(Digimentors),
            views.get(MergeMap),
        )

    def consent_intervals(self) -> str:
        """The consent ledger's intervals as each person's: a survivor's over its merged
        history, none for a record while it is merged into another."""
        return f"({person_intervals_sql(self.consents.prefix, f'{self.merges.prefix}merged')})"

    def run(self, sql: str, params: dict[str, Any]) -> list[DictRow]:
        with self.indicators.datastore.transaction(commit=False) as cursor:
            # Correlated sums make the planner's cost estimates large, and JIT compiling
            # such a query costs more than running it.
            cursor.execute("SELECT set_config('jit', 'off', true)")
            # The SQL is built from this module's constants and validated table prefixes only.
            cursor.execute(sql, params)
            return cursor.fetchall()

    def positions(self) -> int:
        """The lowest log position all the rule's views have applied."""
        views = (
            self.indicators,
            self.restrictions,
            self.touchpoints,
            self.consents,
            self.organisations,
            self.digimentors,
            self.merges,
        )
        return min(view.position() for view in views)


@dataclass
class Compiled:
    """A rule as SQL: one boolean expression per node (pre-order) and the bind parameters."""

    expressions: list[str]
    params: dict[str, Any]
    needs_rfm: bool = False

    @property
    def where(self) -> str:
        return self.expressions[0]


@dataclass
class Compiler:
    """Turns rule nodes into SQL over `Tables`, naming each value as a bind parameter."""

    tables: Tables
    now: datetime
    weights: dict[str, float]
    half_life_days: float
    params: dict[str, Any] = field(default_factory=dict)
    expressions: dict[int, str] = field(default_factory=dict)
    needs_rfm: bool = False

    def compile(self, rule: Node) -> Compiled:
        self.params.update(
            now=self.now,
            engagement_factor=2.0 ** (-days_since_epoch(self.now) / self.half_life_days),
            weight_kinds=list(self.weights),
            weight_values=list(self.weights.values()),
        )
        self.node(rule)
        order = [self.expressions[id(node)] for node in nodes(rule)]
        return Compiled(order, self.params, self.needs_rfm)

    def bind(self, value: Any) -> str:
        name = f"v{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def node(self, rule: Node) -> str:
        expression = self._node(rule)
        self.expressions[id(rule)] = expression
        return expression

    def _node(self, rule: Node) -> str:
        if isinstance(rule, AllOf):
            return "(" + " AND ".join(self.node(child) for child in rule.all) + ")"
        if isinstance(rule, AnyOf):
            return "(" + " OR ".join(self.node(child) for child in rule.any) + ")"
        if isinstance(rule, Not):
            return f"(NOT {self.node(rule.not_)})"
        return f"coalesce({self.leaf(rule)}, false)"

    def leaf(self, rule: Node) -> str:
        p = self.tables
        if isinstance(rule, Compare):
            return self.compare(rule)
        if isinstance(rule, Consent):
            consented = consented_at(
                p.consent_intervals(),
                self.bind(rule.consent),
                "%(now)s",
                p.consents.validity_months,
            )
            return f"c.customer_id IN ({consented})"
        if isinstance(rule, WebinarsAttended):
            window = rule.webinars_attended
            return self.touchpoints("webinar_attended", window.at_least, window.days)
        if isinstance(rule, Touchpoints):
            window = rule.touchpoints
            return self.touchpoints(window.kind, window.at_least, window.days)
        if isinstance(rule, PurchasedWithin):
            days = self.bind(rule.purchased_within_days)
            return (
                f"(c.last_purchase > %(now)s - make_interval(days => {days})"
                " AND c.first_purchase <= %(now)s)"
            )
        if isinstance(rule, Sector):
            return f"lower(c.sector) = lower({self.bind(rule.sector)})"
        if isinstance(rule, InstitutionIs):
            return f"c.institution = {self.bind(rule.institution)}"
        if isinstance(rule, LifecycleStage):
            return f"({FIELD_SQL['lifecycle_stage']}) = {self.bind(rule.lifecycle_stage)}"
        if isinstance(rule, IsDigimentor):
            return (
                f"c.customer_id IN (SELECT person_id FROM {p.digimentors.prefix}roles WHERE active)"
            )
        if isinstance(rule, WorksFor):
            return self.works_for(rule)
        raise TypeError(f"not a condition: {rule!r}")

    def works_for(self, rule: WorksFor) -> str:
        """The people currently affiliated with an organisation the inner condition selects.
        The inner condition is compiled in a scope of its own where `c` is the organisation
        (with its own RFM join if it asks for one); erased or restricted organisations select
        no one."""
        inner = Compiler(self.tables, self.now, self.weights, self.half_life_days, self.params)
        condition = inner.node(rule.organisation)
        organisations = from_clause(self.tables, Compiled([], {}, inner.needs_rfm))
        links = self.tables.organisations.links(self.tables.merges)
        return (
            f"c.customer_id IN (SELECT a.person_id FROM {organisations}"
            f" JOIN {links} a ON a.organisation_id = c.customer_id"
            f" WHERE a.active AND {eligible(self.tables)} AND {condition})"
        )

    def touchpoints(self, kind: str, at_least: int, days: int) -> str:
        reads = self.tables.merges.reads_as("t.customer_id")
        return (
            f"c.customer_id IN (SELECT {reads.id}"
            f" FROM {self.tables.touchpoints.prefix}touchpoints t{reads.join}"
            f" WHERE t.kind = {self.bind(kind)}"
            f" AND t.occurred_at > %(now)s - make_interval(days => {self.bind(days)})"
            f" AND t.occurred_at <= %(now)s"
            f" GROUP BY 1 HAVING count(*) >= {self.bind(at_least)})"
        )

    def compare(self, rule: Compare) -> str:
        kind = FIELDS[rule.field][0]
        if rule.field in RFM_FIELDS:
            self.needs_rfm = True
        column = f"({FIELD_SQL[rule.field]})".replace(
            "{indicators}", self.tables.indicators.prefix
        ).replace("{histories}", self.tables.merges.histories_sql("c.customer_id"))
        cast = CASTS[kind]
        value = rule.value
        if kind in ("number", "integer"):
            column = f"{column}::numeric"
            # Decimals bind as numeric whether the JSON held an int or a float.
            value = tuple(map(_decimal, value)) if isinstance(value, tuple) else _decimal(value)
        if rule.op in ("in", "not_in"):
            values = self.bind(list(value))
            test = f"{column} = ANY({values}::{cast}[])"
            return test if rule.op == "in" else f"({column} IS NOT NULL AND NOT {test})"
        return f"{column} {SQL_OPS[rule.op]} {self.bind(value)}::{cast}"


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def compile_rule(
    tables: Tables,
    rule: Node,
    now: datetime,
    weights: dict[str, float] | None = None,
) -> Compiled:
    """The rule as SQL expressions over `FROM` in `from_clause`, evaluated at `now`."""
    return Compiler(
        tables, now, {**DEFAULT_WEIGHTS, **(weights or {})}, tables.indicators.half_life_days
    ).compile(rule)


def from_clause(tables: Tables, compiled: Compiled, customers: str | None = None) -> str:
    """The customers the expressions range over (as they read through merges, or the
    relation `customers`), with only the joins the rule needs."""
    merged = tables.indicators.merged_customers(tables.merges)
    joins = [f"{customers or merged} c"]
    if compiled.needs_rfm:
        rfm = RFM_OF_ALL.replace("{customers}", merged)
        joins.append(f"LEFT JOIN ({rfm}) rfm ON rfm.customer_id = c.customer_id")
    return " ".join(joins)


def restricted(tables: Tables) -> str:
    """SQL that holds when customer `c` is restricted at `now`."""
    return restricted_at("c.customer_id", f"{tables.restrictions.prefix}intervals", "%(now)s")


def eligible(tables: Tables) -> str:
    """SQL that holds when customer `c` may be a member at all: not erased, not restricted."""
    return f"(NOT c.erased AND NOT {restricted(tables)})"


def count(tables: Tables, compiled: Compiled) -> int:
    """How many customers the rule selects."""
    rows = tables.run(
        f"SELECT count(*) AS n FROM {from_clause(tables, compiled)}"
        f" WHERE {eligible(tables)} AND {compiled.where}",
        compiled.params,
    )
    return int(rows[0]["n"])


def preview(tables: Tables, compiled: Compiled, limit: int) -> list[DictRow]:
    """The first members by most recent activity: non-personal facts only."""
    return tables.run(
        f"SELECT {PREVIEW_COLUMNS}, ({STAGE_SQL}) AS lifecycle_stage"
        f" FROM {from_clause(tables, compiled)} WHERE {eligible(tables)} AND {compiled.where}"
        " ORDER BY c.last_activity DESC NULLS LAST, c.customer_id LIMIT %(preview_limit)s",
        {**compiled.params, "preview_limit": limit},
    )


def member_ids(tables: Tables, compiled: Compiled) -> list[UUID]:
    """Every member's id."""
    rows = tables.run(
        f"SELECT c.customer_id FROM {from_clause(tables, compiled)}"
        f" WHERE {eligible(tables)} AND {compiled.where}",
        compiled.params,
    )
    return [row["customer_id"] for row in rows]


@dataclass(frozen=True)
class Explanation:
    """Which of the rule's conditions held for one customer (pre-order, like `nodes`)."""

    customer_id: UUID
    erased: bool
    restricted: bool
    held: list[bool]
    merged_into: UUID | None = None
    """The survivor, while the customer is merged into one: never a member of its own."""

    @property
    def member(self) -> bool:
        return not self.erased and not self.restricted and self.merged_into is None and self.held[0]


def explain(tables: Tables, compiled: Compiled, customer_id: UUID) -> Explanation | None:
    """Each condition's outcome for the customer over its merged history (a record merged
    into another: over its own, and it is no member); None if the view does not know it."""
    columns = ", ".join(
        f"{expression} AS n{i}" for i, expression in enumerate(compiled.expressions)
    )
    one = tables.indicators.history_of(tables.merges, "%(explain_id)s::uuid")
    rows = tables.run(
        f"SELECT c.erased, {restricted(tables)} AS restricted, {columns}"
        f" FROM {from_clause(tables, compiled, one)}",
        {**compiled.params, "explain_id": customer_id},
    )
    if not rows:
        return None
    row = rows[0]
    held = [bool(row[f"n{i}"]) for i in range(len(compiled.expressions))]
    return Explanation(
        customer_id,
        bool(row["erased"]),
        bool(row["restricted"]),
        held,
        tables.merges.survivor_of(customer_id),
    )


def _consented_since(tables: Tables) -> str:
    """SQL of (customer_id, consented_at): when each consent for `%(export_purpose)s` valid
    at `now` was given (the latest grant, should two overlap)."""
    intervals = tables.consent_intervals()
    covered = consent_covers("i", "%(now)s", tables.consents.validity_months)
    return (
        f"SELECT i.customer_id, max(i.valid_from) AS consented_at FROM {intervals} i"
        f" WHERE i.purpose = %(export_purpose)s AND {covered} GROUP BY i.customer_id"
    )


def export_rows(tables: Tables, compiled: Compiled, purpose: str) -> list[DictRow]:
    """Members with a consent for `purpose` valid at `now` and an e-mail: id, name, e-mail
    and when the consent in force was given."""
    return tables.run(
        f"SELECT c.customer_id, d.name, d.email, k.consented_at"
        f" FROM {from_clause(tables, compiled)}"
        f" JOIN {tables.directory.prefix}customers d ON d.customer_id = c.customer_id"
        f" JOIN ({_consented_since(tables)}) k ON k.customer_id = c.customer_id"
        f" WHERE {eligible(tables)} AND d.email IS NOT NULL AND {compiled.where}"
        " ORDER BY d.name, c.customer_id",
        {**compiled.params, "export_purpose": purpose},
    )


@dataclass(frozen=True)
class ExportCoverage:
    """Of the customers the rule selects (erased ones aside), how many an export for one
    purpose lists, and how many it leaves out for which reason (each counted once, in
    this order: restricted, no consent for the purpose, no e-mail address)."""

    purpose: str
    selected: int
    exported: int
    restricted: int
    no_consent: int
    no_email: int


def export_coverage(tables: Tables, compiled: Compiled, purpose: str) -> ExportCoverage:
    """How an export of the rule for `purpose` at `now` covers the customers it selects."""
    rows = tables.run(
        "SELECT count(*) AS selected,"
        " count(*) FILTER (WHERE r) AS restricted,"
        " count(*) FILTER (WHERE NOT r AND k.customer_id IS NULL) AS no_consent,"
        " count(*) FILTER (WHERE NOT r AND k.customer_id IS NOT NULL AND d.email IS NULL)"
        " AS no_email"
        f" FROM (SELECT c.customer_id, {restricted(tables)} AS r"
        f" FROM {from_clause(tables, compiled)} WHERE NOT c.erased AND {compiled.where}) m"
        f" LEFT JOIN {tables.directory.prefix}customers d ON d.customer_id = m.customer_id"
        f" LEFT JOIN ({_consented_since(tables)}) k ON k.customer_id = m.customer_id",
        {**compiled.params, "export_purpose": purpose},
    )
    row = rows[0]
    left_out = row["restricted"] + row["no_consent"] + row["no_email"]
    return ExportCoverage(
        purpose=purpose,
        selected=row["selected"],
        exported=row["selected"] - left_out,
        restricted=row["restricted"],
        no_consent=row["no_consent"],
        no_email=row["no_email"],
    )
