"""Customer indicators: value, participation, feedback, engagement and lifecycle per customer.

One row per customer in `indicators_<tag>_customers`, one row per purchase in `..._purchases`
(revenue reports and the lifetime fit read it) and one decayed engagement sum per customer and
touchpoint kind in `..._engagement`. Business time (`occurred_at`) decides every first/last
date, so history recorded out of order lands where it happened. No personal data is read.

Definitions:
- revenue: purchase amounts minus refunds (EUR); purchase_count counts purchases made (a fully
  refunded purchase still counts); average order value = revenue / purchase_count.
- a retracted entry (`EntryRetracted`) counts nowhere: the customer's row is rebuilt without it.
- first_seen: the earliest business time of any of the customer's events; last_activity: the
  latest business time of any touchpoint; tenure: whole days from first_seen to "now".
- webinar utilisation: webinars attended / webinars registered (None without registrations).
- NPS class of the last score: promoter 9-10, passive 7-8, detractor 0-6.
- engagement: sum over touchpoints of w(kind) * 0.5 ** ((now - t) / half_life). Stored per
  customer and kind as S = sum(2 ** ((t - EPOCH) / half_life)) with t and EPOCH in days and
  EPOCH = 2020-01-01, so score(now) = sum_k w_k * S_k * 2 ** (-(now - EPOCH) / half_life):
  exact, O(1) per event, and weights apply at read time (change them without a rebuild).
  Terms are stored as `numeric` so sums do not depend on batching. With the minimum half-life
  of 30 days a double holds 2 ** 1023, i.e. about 84 years after EPOCH. Changing the
  half-life needs a rebuild of the view (`crm rebuild indicators`).
  Default weights (DEFAULT_WEIGHTS): purchases, partner membership and recommendations weigh
  most; outbound messages (marketing e-mail, newsletters) weigh 0 as they are not the
  customer's doing; default half-life 90 days.
- RFM: 1-5 per dimension by quintiles over customers with purchases who are not erased,
  computed at read time: recency by last purchase, frequency by purchase count, monetary by
  revenue; 5 is the most recent / most frequent / highest. score = 1 + floor(5 * below / n),
  where `below` counts those customers with a strictly lower value and n all of them, so
  ties share a score (unlike `ntile`, which splits ties arbitrarily), and one customer's
  score is one counting scan rather than a sort of the whole base.
- lifecycle stage at "now", first matching rule wins, with the date it was entered:
  partner (a partner membership is active: its latest membership event is a start or change;
  entered at the latest start), lapsed (has purchases, none in the last LAPSE_MONTHS months;
  entered LAPSE_MONTHS after the last purchase), repeat_customer (two or more purchases;
  entered at the second purchase), customer (one purchase; entered at it), lead (a lead was
  captured; entered at the first capture), prospect (otherwise; entered at first_seen).
- last_annual_review: the latest business time of an annual review (who is due a review is
  the partner network's view, `projections.views.partners`).
- engagement distribution: customers (not erased) per band of ENGAGEMENT_BANDS, banded in SQL
  with the formula above, so the dashboard reads counts rather than one score per customer.
- merged customers: rows stay under the stream they came from; every read goes through the
  merge map (`projections.engine.merges`) and combines a survivor's row with those of the
  records merged into it by COMBINE, so a survivor reads over both histories and an absorbed
  record is in no list, distribution, RFM base or segment of its own while merged (read by
  its own id, it still shows its own history, like its timeline).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.merges import MergeMap
from projections.engine.stored_events import EventRows, decimal
from projections.engine.view import SqlView

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
DEFAULT_HALF_LIFE_DAYS = 90.0
MIN_HALF_LIFE_DAYS = 30.0
LAPSE_MONTHS = 24
# Lower bounds of the engagement bands after the first, which starts at 0.
ENGAGEMENT_BANDS: tuple[float, ...] = (1.0, 5.0, 10.0, 20.0, 50.0)
STAGES: tuple[str, ...] = ("prospect", "lead", "customer", "repeat_customer", "partner", "lapsed")
DEFAULT_WEIGHTS: dict[str, float] = {
    "fair_visited": 2.0,
    "webinar_registered": 1.0,
    "webinar_attended": 3.0,
    "event_attended": 3.0,
    "company_visited": 4.0,
    "phone_call_made": 1.0,
    "marketing_email_sent": 0.0,
    "newsletter_sent": 0.0,
    "newsletter_subscribed": 1.0,
    "newsletter_unsubscribed": 0.0,
    "chat_conversation_held": 1.0,
    "web_service_visited": 0.5,
    "social_media_interacted": 0.5,
    "lead_captured": 1.0,
    "lead_qualified": 2.0,
    "lead_converted": 3.0,
    "lead_lost": 0.0,
    "purchase_made": 5.0,
    "purchase_refunded": 0.0,
    "feedback_given": 2.0,
    "consent_given": 1.0,
    "consent_withdrawn": 0.0,
    "partner_membership_started": 5.0,
    "partner_membership_changed": 1.0,
    "partner_membership_ended": 0.0,
    "annual_review_held": 4.0,
    "course_completed": 3.0,
    "recommendation_given": 4.0,
}
CUSTOMER_COLUMNS: dict[str, str] = {
    "customer_id": "uuid",
    "kind": "text",
    "customer_type": "text",
    "sector": "text",
    "institution": "text",
    "account_manager": "text",
    "erased": "boolean",
    "first_seen": "timestamptz",
    "last_activity": "timestamptz",
    "revenue": "numeric",
    "purchase_count": "integer",
    "first_purchase": "timestamptz",
    "second_purchase": "timestamptz",
    "last_purchase": "timestamptz",
    "events_attended": "integer",
    "webinars_attended": "integer",
    "webinars_registered": "integer",
    "feedback_count": "integer",
    "feedback_sum": "integer",
    "last_feedback_at": "timestamptz",
    "last_feedback_score": "integer",
    "first_lead_at": "timestamptz",
    "membership_changed_at": "timestamptz",
    "membership_active": "boolean",
    "membership_tier": "text",
    "partner_since": "timestamptz",
    "last_annual_review": "timestamptz",
}
# How a batch's partial row merges into the stored one (t = stored, x = the batch's).
MERGE: dict[str, str] = {
    "kind": "coalesce(t.kind, x.kind)",
    "customer_type": "coalesce(t.customer_type, x.customer_type)",
    "sector": "coalesce(x.sector, t.sector)",
    "institution": "coalesce(t.institution, x.institution)",
    "account_manager": "coalesce(x.account_manager, t.account_manager)",
    "erased": "t.erased OR x.erased",
    "first_seen": "least(t.first_seen, x.first_seen)",
    "last_activity": "greatest(t.last_activity, x.last_activity)",
    "revenue": "t.revenue + x.revenue",
    "purchase_count": "t.purchase_count + x.purchase_count",
    "first_purchase": "least(t.first_purchase, x.first_purchase)",
    "second_purchase": "CASE WHEN t.first_purchase IS NULL THEN x.second_purchase"
    " WHEN x.first_purchase IS NULL THEN t.second_purchase"
    " ELSE least(greatest(t.first_purchase, x.first_purchase),"
    " t.second_purchase, x.second_purchase) END",
    "last_purchase": "greatest(t.last_purchase, x.last_purchase)",
    "events_attended": "t.events_attended + x.events_attended",
    "webinars_attended": "t.webinars_attended + x.webinars_attended",
    "webinars_registered": "t.webinars_registered + x.webinars_registered",
    "feedback_count": "t.feedback_count + x.feedback_count",
    "feedback_sum": "t.feedback_sum + x.feedback_sum",
    "last_feedback_at": "greatest(t.last_feedback_at, x.last_feedback_at)",
    "last_feedback_score": "CASE WHEN x.last_feedback_at IS NOT NULL AND"
    " (t.last_feedback_at IS NULL OR x.last_feedback_at >= t.last_feedback_at)"
    " THEN x.last_feedback_score ELSE t.last_feedback_score END",
    "first_lead_at": "least(t.first_lead_at, x.first_lead_at)",
    "membership_changed_at": "greatest(t.membership_changed_at, x.membership_changed_at)",
    "membership_active": "CASE WHEN x.membership_changed_at IS NOT NULL AND"
    " (t.membership_changed_at IS NULL OR x.membership_changed_at >= t.membership_changed_at)"
    " THEN x.membership_active ELSE t.membership_active END",
    "membership_tier": "CASE WHEN x.membership_changed_at IS NOT NULL AND"
    " (t.membership_changed_at IS NULL OR x.membership_changed_at >= t.membership_changed_at)"
    " THEN x.membership_tier ELSE t.membership_tier END",
    "partner_since": "greatest(t.partner_since, x.partner_since)",
    "last_annual_review": "greatest(t.last_annual_review, x.last_annual_review)",
}


def _own(column: str) -> str:
    return f"(array_agg(c.{column}) FILTER (WHERE c.customer_id = {{reader}}))[1]"


def _of_latest(column: str, by: str) -> str:
    # Ties in business time: the survivor's own row first, then by stream id (stable).
    return (
        f"(array_agg(c.{column} ORDER BY c.{by} DESC NULLS LAST,"
        f" c.customer_id = {{reader}} DESC, c.customer_id))[1]"
    )


COMBINE: dict[str, str] = {
    "customer_id": "{reader}",
    "kind": _own("kind"),
    "customer_type": _own("customer_type"),
    "sector": _own("sector"),
    "institution": _own("institution"),
    "account_manager": _own("account_manager"),
    "erased": "bool_or(c.erased)",
    "first_seen": "min(c.first_seen)",
    "last_activity": "max(c.last_activity)",
    "revenue": "sum(c.revenue)",
    "purchase_count": "sum(c.purchase_count)::integer",
    "first_purchase": "min(c.first_purchase)",
    # The second earliest of every stream's first and second purchase (NULLs sort last).
    "second_purchase": "(SELECT array_agg(t ORDER BY t) FROM unnest("
    "array_agg(c.first_purchase) || array_agg(c.second_purchase)) t)[2]",
    "last_purchase": "max(c.last_purchase)",
    "events_attended": "sum(c.events_attended)::integer",
    "webinars_attended": "sum(c.webinars_attended)::integer",
    "webinars_registered": "sum(c.webinars_registered)::integer",
    "feedback_count": "sum(c.feedback_count)::integer",
    "feedback_sum": "sum(c.feedback_sum)::integer",
    "last_feedback_at": "max(c.last_feedback_at)",
    "last_feedback_score": _of_latest("last_feedback_score", "last_feedback_at"),
    "first_lead_at": "min(c.first_lead_at)",
    "membership_changed_at": "max(c.membership_changed_at)",
    "membership_active": _of_latest("membership_active", "membership_changed_at"),
    "membership_tier": _of_latest("membership_tier", "membership_changed_at"),
    "partner_since": "max(c.partner_since)",
    "last_annual_review": "max(c.last_annual_review)",
}
"""How the rows of one merged customer's streams combine into the row it reads as: the
rows `c` of the survivor (`{reader}`) and of every record merged into it, as aggregates.
The rule is the one a single stream holding both histories would give: totals and counts
add up; first times take the earliest, last times the latest (first_seen, first purchase
and lead the earliest; last activity, purchase, feedback, review and partner start the
latest); the second purchase is the second earliest of all purchases; a value that belongs
to a latest event (the last feedback score, the membership's state and tier) comes from the
stream with that latest event; the profile facts (kind, type, sector, institution, account
manager) are the survivor's own; erased if any stream is. Derived indicators (average order
value, utilisation, stage, RFM, engagement) are computed from the combined row as from any
other, and engagement sums per kind add up (`engagement_sums`)."""
assert set(COMBINE) == set(CUSTOMER_COLUMNS)


TOPICS: tuple[type[ev.CustomerEvent], ...] = (
    ev.Registered,
    ev.ProfileCorrected,
    ev.AccountManagerAssigned,
    ev.Erased,
    *ev.TOUCHPOINT_CLASSES,
)


def of(*classes: type[ev.CustomerEvent]) -> str:
    """SQL: the event `e` is of one of these kinds."""
    return "e.kind IN (" + ", ".join(f"'{cls.kind()}'" for cls in classes) + ")"


def last(value: str, *classes: type[ev.CustomerEvent], order: str = "e.position") -> str:
    """SQL: the value of the last of these events in `order` (ties: later in the log)."""
    tie = "" if order == "e.position" else ", e.position DESC"
    return f"(array_agg({value} ORDER BY {order} DESC{tie}) FILTER (WHERE {of(*classes)}))[1]"


TOUCHPOINT = of(*ev.TOUCHPOINT_CLASSES)
FEEDBACK_SCORE = "(e.state ->> 'score')::integer"
MEMBERSHIP = (ev.PartnerMembershipStarted, ev.PartnerMembershipChanged, ev.PartnerMembershipEnded)
PURCHASE_TIMES = (
    f"array_agg(e.occurred_at ORDER BY e.occurred_at) FILTER (WHERE {of(ev.PurchaseMade)})"
)
# A batch's contribution to one customer's row, from its events `e` in log order; merged with
# the stored row by MERGE. Registered sets sector and account manager only when it has one.
BATCH: dict[str, str] = {
    "customer_id": "e.customer_id",
    "kind": last("e.state ->> 'customer_kind'", ev.Registered),
    "customer_type": last("e.state ->> 'customer_type'", ev.Registered),
    "sector": "(array_agg(e.state ->> 'sector' ORDER BY e.position DESC)"
    f" FILTER (WHERE {of(ev.Registered, ev.ProfileCorrected)}"
    " AND e.state ->> 'sector' <> ''))[1]",
    "institution": last("e.state ->> 'institution'", ev.Registered),
    "account_manager": "(array_agg(e.state ->> 'account_manager' ORDER BY e.position DESC)"
    f" FILTER (WHERE {of(ev.AccountManagerAssigned)} OR ({of(ev.Registered)}"
    " AND e.state ->> 'account_manager' <> '')))[1]",
    "erased": f"bool_or({of(ev.Erased)})",
    "first_seen": "min(e.occurred_at)",
    "last_activity": f"max(e.occurred_at) FILTER (WHERE {TOUCHPOINT})",
    "revenue": f"coalesce(sum({decimal('e.state', 'amount')}) FILTER (WHERE {of(ev.PurchaseMade)}),"
    f" 0) - coalesce(sum({decimal('e.state', 'amount')}) FILTER (WHERE {of(ev.PurchaseRefunded)}),"
    " 0)",
    "purchase_count": f"count(*) FILTER (WHERE {of(ev.PurchaseMade)})",
    "first_purchase": f"({PURCHASE_TIMES})[1]",
    "second_purchase": f"({PURCHASE_TIMES})[2]",
    "last_purchase": f"max(e.occurred_at) FILTER (WHERE {of(ev.PurchaseMade)})",
    "events_attended": f"count(*) FILTER (WHERE {of(ev.EventAttended)})",
    "webinars_attended": f"count(*) FILTER (WHERE {of(ev.WebinarAttended)})",
    "webinars_registered": f"count(*) FILTER (WHERE {of(ev.WebinarRegistered)})",
    "feedback_count": f"count(*) FILTER (WHERE {of(ev.FeedbackGiven)})",
    "feedback_sum": f"coalesce(sum({FEEDBACK_SCORE}) FILTER (WHERE {of(ev.FeedbackGiven)}), 0)",
    "last_feedback_at": f"max(e.occurred_at) FILTER (WHERE {of(ev.FeedbackGiven)})",
    "last_feedback_score": last(FEEDBACK_SCORE, ev.FeedbackGiven, order="e.occurred_at"),
    "first_lead_at": f"min(e.occurred_at) FILTER (WHERE {of(ev.LeadCaptured)})",
    "membership_changed_at": f"max(e.occurred_at) FILTER (WHERE {of(*MEMBERSHIP)})",
    "membership_active": last(
        f"NOT {of(ev.PartnerMembershipEnded)}", *MEMBERSHIP, order="e.occurred_at"
    ),
    # The tier of the latest membership change (an ending has none).
    "membership_tier": last("e.state ->> 'tier'", *MEMBERSHIP, order="e.occurred_at"),
    "partner_since": f"max(e.occurred_at) FILTER (WHERE {of(ev.PartnerMembershipStarted)})",
    "last_annual_review": f"max(e.occurred_at) FILTER (WHERE {of(ev.AnnualReviewHeld)})",
}
# One touchpoint's anchored weightless term 2 ** ((t - EPOCH) / half_life) in days, through
# the double's shortest text (extra_float_digits 1) so each term is a short exact numeric and
# numeric sums are exact; the same arithmetic as Python's float, so the same digits.
DECAY_TERM = (
    f"(2.0::float8 ^ ((extract(epoch FROM e.occurred_at) - {EPOCH.timestamp():.0f})::float8"
    " / 86400.0::float8 / %(half_life)s::float8))::text::numeric"
)

LAPSE = f"interval '{LAPSE_MONTHS} months'"


class StageRule(NamedTuple):
    """When a lifecycle stage holds for a row of `{p}customers` aliased c, and since when."""

    stage: str
    holds: str
    entered: str


STAGE_RULES: tuple[StageRule, ...] = (
    StageRule("partner", "c.membership_active", "c.partner_since"),
    StageRule("lapsed", f"c.last_purchase < %(now)s - {LAPSE}", f"c.last_purchase + {LAPSE}"),
    StageRule("repeat_customer", "c.purchase_count >= 2", "c.second_purchase"),
    StageRule("customer", "c.purchase_count = 1", "c.first_purchase"),
    StageRule("lead", "c.first_lead_at IS NOT NULL", "c.first_lead_at"),
    StageRule("prospect", "true", "c.first_seen"),
)
"""The stage rule of the module docstring, in precedence order: the first that holds wins."""
STAGE_PRECEDENCE = tuple(rule.stage for rule in STAGE_RULES)


def _stage_case(value: Callable[[StageRule], str]) -> str:
    *rules, otherwise = STAGE_RULES
    whens = "".join(f"\n  WHEN {rule.holds} THEN {value(rule)}" for rule in rules)
    return f"\nCASE{whens}\n  ELSE {value(otherwise)}\nEND"


STAGE_SQL = _stage_case(lambda rule: f"'{rule.stage}'")
STAGE_SINCE_SQL = _stage_case(lambda rule: rule.entered)


def days_since_epoch(at: datetime) -> float:
    return (at - EPOCH).total_seconds() / 86400.0


def engagement_score(
    sums: Mapping[str, Decimal | float],
    now: datetime,
    weights: Mapping[str, float],
    half_life_days: float,
) -> float:
    """sum(w * 0.5 ** ((now - t) / half_life)) from the per-kind anchored sums."""
    factor = 2.0 ** (-days_since_epoch(now) / half_life_days)
    return math.fsum(weights.get(kind, 0.0) * float(total) * factor for kind, total in sums.items())


NPS_LOWEST_SCORES: tuple[tuple[str, int], ...] = (("promoter", 9), ("passive", 7), ("detractor", 0))
"""Each NPS class with its lowest score, highest class first."""


def nps_class(score: int | None) -> str | None:
    """promoter 9-10, passive 7-8, detractor 0-6."""
    if score is None:
        return None
    return next(name for name, lowest in NPS_LOWEST_SCORES if score >= lowest)


DERIVED_SQL: dict[str, str] = {
    "average_order_value": "round(c.revenue / nullif(c.purchase_count, 0), 2)",
    "webinar_utilisation": "c.webinars_attended::float8 / nullif(c.webinars_registered, 0)",
    "feedback_average": "c.feedback_sum::float8 / nullif(c.feedback_count, 0)",
    "nps_class": "CASE"
    + "".join(
        f" WHEN c.last_feedback_score >= {lowest} THEN '{name}'"
        for name, lowest in NPS_LOWEST_SCORES
    )
    + " END",
    "tenure_days": "floor(extract(epoch FROM %(now)s - c.first_seen) / 86400)",
}
"""The indicators `derived` computes, in SQL over a row of `{p}customers` aliased c."""


def derived(
    row: Mapping[str, Any],
    sums: Mapping[str, Decimal],
    now: datetime,
    weights: Mapping[str, float],
    half_life_days: float,
) -> dict[str, Any]:
    """The indicators computed from a stored row at read time, as of `now`."""
    count = row["purchase_count"]
    registered = row["webinars_registered"]
    feedback = row["feedback_count"]
    return {
        "average_order_value": (
            (row["revenue"] / count).quantize(Decimal("0.01")) if count else None
        ),
        "tenure_days": (now - row["first_seen"]).days if row["first_seen"] else None,
        "webinar_utilisation": row["webinars_attended"] / registered if registered else None,
        "feedback_average": row["feedback_sum"] / feedback if feedback else None,
        "nps_class": nps_class(row["last_feedback_score"]),
        "engagement_score": engagement_score(sums, now, weights, half_life_days),
    }


RFM_DIMENSIONS = {
    "recency_score": "last_purchase",
    "frequency_score": "purchase_count",
    "monetary_score": "revenue",
}
RFM_BASE = "purchase_count > 0 AND NOT erased"


def rfm_score(below: str, scored: str) -> str:
    """A 1-5 score from how many scored customers have a strictly lower value, of how many."""
    return f"1 + 5 * ({below}) / {scored}"


RFM_OF_ALL = (
    "SELECT customer_id, "
    + ", ".join(
        f"{rfm_score(f'rank() OVER (ORDER BY {column}) - 1', 'count(*) OVER ()')} AS {name}"
        for name, column in RFM_DIMENSIONS.items()
    )
    + f" FROM {{customers}} c WHERE {RFM_BASE}"
)
"""Every scored customer's RFM quintiles (`{customers}`: the customers as they read,
`CustomerIndicators.merged_customers`)."""
RFM_OF_ONE = (
    "SELECT "
    + ", ".join(
        rfm_score(f"count(*) FILTER (WHERE o.{column} < c.{column})", "nullif(count(*), 0)")
        + f" AS {name}"
        for name, column in RFM_DIMENSIONS.items()
    )
    + f" FROM {{customers}} o WHERE o.{RFM_BASE.replace(' AND NOT ', ' AND NOT o.')}"
    + f" AND c.{RFM_BASE.replace(' AND NOT ', ' AND NOT c.')}"
)
"""The same scores for the customer `c` of the enclosing query (NULL without purchases)."""


class CustomerIndicators(SqlView):
    """Per-customer value, participation, feedback, engagement and lifecycle facts."""

    name = "indicators"
    # 2: last_annual_review and the account-manager index. 3: retracted entries don't count.
    # 4: membership_tier, for segments' partner tier.
    version = 4
    topics = TOPICS
    needs_personal_data = False
    half_life_days = DEFAULT_HALF_LIFE_DAYS
    events = EventRows(TOPICS)
    # Engagement terms go through text at full precision (DECAY_TERM).
    local_settings: ClassVar[dict[str, str]] = {"extra_float_digits": "1"}

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{name} {kind}" for name, kind in CUSTOMER_COLUMNS.items())
        return [
            f"CREATE TABLE IF NOT EXISTS {{p}}customers ({columns}, PRIMARY KEY (customer_id))",
            "CREATE TABLE IF NOT EXISTS {p}purchases ("
            " customer_id uuid NOT NULL, purchase_id text NOT NULL,"
            " occurred_at timestamptz NOT NULL, institution text NOT NULL,"
            " offering_type text NOT NULL, amount numeric NOT NULL,"
            " refunded numeric NOT NULL DEFAULT 0,"
            " PRIMARY KEY (customer_id, purchase_id))",
            "CREATE TABLE IF NOT EXISTS {p}engagement ("
            " customer_id uuid NOT NULL, kind text NOT NULL, decayed_sum numeric NOT NULL,"
            " PRIMARY KEY (customer_id, kind))",
            "CREATE INDEX IF NOT EXISTS {p}customers_last_purchase ON {p}customers (last_purchase)",
            "CREATE INDEX IF NOT EXISTS {p}customers_manager ON {p}customers (account_manager)",
        ]

    def write_range(self, cursor: Cursor[DictRow], after: int, upto: int) -> int:
        # A retraction cannot be subtracted from maxima and decayed sums: the customers with
        # one in the range are rebuilt from their counted events.
        replay = self.events.replayed_customers(cursor, after, upto)
        params = self.events.params(after, upto, half_life=self.half_life_days, replay=replay)
        if replay:
            for table in ("customers", "engagement", "purchases"):
                cursor.execute(
                    f"DELETE FROM {self.prefix}{table} WHERE customer_id = ANY(%s)", (replay,)
                )
            self._write_events(cursor, self.events.replay_cte, params)
        return self._write_events(cursor, self.events.cte, params)

    def _write_events(self, cursor: Cursor[DictRow], cte: str, params: dict[str, Any]) -> int:
        p = self.prefix
        names = list(CUSTOMER_COLUMNS)
        updates = ", ".join(
            f"{name} = {MERGE[name].replace('x.', 'excluded.')}" for name in names[1:]
        )
        amount = decimal("e.state", "amount")
        # One statement, so each event is parsed once; rows go in key order, touching fewer
        # index pages. Its parts see the tables as they were
        # before it: a purchase made in this batch carries this batch's refunds of it, and
        # the UPDATE refunds only purchases of earlier batches. The first of repeated
        # purchase ids wins, as in log order.
        cursor.execute(
            f"WITH {cte}, customers AS ("
            f" INSERT INTO {p}customers AS t ({', '.join(names)})"
            f" SELECT {', '.join(BATCH[name] for name in names)} FROM events e"
            " GROUP BY e.customer_id ORDER BY e.customer_id"
            f" ON CONFLICT (customer_id) DO UPDATE SET {updates}"
            "), engagement AS ("
            f" INSERT INTO {p}engagement AS t (customer_id, kind, decayed_sum)"
            f" SELECT e.customer_id, e.kind, sum({DECAY_TERM}) FROM events e"
            f" WHERE {TOUCHPOINT} GROUP BY e.customer_id, e.kind ORDER BY e.customer_id, e.kind"
            " ON CONFLICT (customer_id, kind)"
            " DO UPDATE SET decayed_sum = t.decayed_sum + excluded.decayed_sum"
            "), refunds AS ("
            f" SELECT e.customer_id, e.state ->> 'purchase_id' AS purchase_id,"
            f" sum({amount}) AS amount FROM events e WHERE {of(ev.PurchaseRefunded)} GROUP BY 1, 2"
            "), purchases AS ("
            f" INSERT INTO {p}purchases (customer_id, purchase_id, occurred_at, institution,"
            " offering_type, amount, refunded)"
            " SELECT e.customer_id, e.state ->> 'purchase_id', e.occurred_at,"
            f" e.state ->> 'institution', e.state ->> 'offering_type', {amount},"
            " coalesce(r.amount, 0) FROM events e LEFT JOIN refunds r"
            " ON r.customer_id = e.customer_id AND r.purchase_id = e.state ->> 'purchase_id'"
            f" WHERE {of(ev.PurchaseMade)} ORDER BY e.position ON CONFLICT DO NOTHING"
            "), refunded AS ("
            f" UPDATE {p}purchases t SET refunded = t.refunded + r.amount FROM refunds r"
            " WHERE t.customer_id = r.customer_id AND t.purchase_id = r.purchase_id"
            ") SELECT count(*) AS applied FROM events",
            params,
        )
        row = cursor.fetchone()
        return int(row["applied"]) if row else 0

    # Reads --------------------------------------------------------------------------------

    def _combined(self, reader: str) -> str:
        return ", ".join(
            f"{COMBINE[name].replace('{reader}', reader)} AS {name}" for name in CUSTOMER_COLUMNS
        )

    def merged_customers(self, merges: MergeMap) -> str:
        """SQL relation with the columns of `{p}customers`: one row per customer as it reads
        through the merge map. A customer in no merge is its own row; a survivor is its row
        combined with those of the records merged into it (COMBINE); an absorbed record is
        not in it. Every read of more than one customer ranges over this relation."""
        p = self.prefix
        members = merges.members_sql()
        return (
            f"(SELECT {', '.join(CUSTOMER_COLUMNS)} FROM {p}customers"
            f" WHERE customer_id NOT IN (SELECT customer_id FROM {members} x)"
            f" UNION ALL SELECT {self._combined('r.reads_as')} FROM {members} r"
            f" JOIN {p}customers c ON c.customer_id = r.customer_id GROUP BY r.reads_as)"
        )

    def history_of(self, merges: MergeMap, customer: str) -> str:
        """SQL relation of one row: the customer in the SQL value `customer` over its merged
        history (its own row combined with those of the records merged into it), by
        COMBINE; no row while the view has not seen it. An absorbed record reads its own."""
        return (
            f"(SELECT {self._combined(customer)} FROM {self.prefix}customers c"
            f" WHERE c.customer_id = ANY({merges.histories_sql(customer)})"
            " HAVING count(*) > 0)"
        )

    def indicators(self, customer_id: UUID, now: datetime, merges: MergeMap) -> DictRow | None:
        """The customer's row over its merged history plus stage, stage_since and RFM scores
        (among the customers as they read) as of `now`."""
        base = self.merged_customers(merges)
        rows = self.query(
            f"SELECT c.*, {STAGE_SQL} AS stage, {STAGE_SINCE_SQL} AS stage_since,"
            f" r.recency_score, r.frequency_score, r.monetary_score"
            f" FROM {self.history_of(merges, '%(id)s::uuid')} c"
            f" LEFT JOIN LATERAL ({RFM_OF_ONE.replace('{customers}', base)}) r ON true",
            {"id": customer_id, "now": now},
        )
        return rows[0] if rows else None

    def inactive_since(self, cutoff: datetime, merges: MergeMap) -> list[UUID]:
        """Customers not erased whose last activity (or first sight) over their merged
        history is before `cutoff`; absorbed records are not listed of their own."""
        rows = self.query(
            f"SELECT customer_id FROM {self.merged_customers(merges)} c"
            " WHERE NOT erased AND coalesce(last_activity, first_seen) < %s",
            (cutoff,),
        )
        return [row["customer_id"] for row in rows]

    def engagement_sums(self, customer_id: UUID, merges: MergeMap) -> dict[str, Decimal]:
        """The anchored engagement sums per touchpoint kind over the merged history."""
        rows = self.query(
            "SELECT kind, sum(decayed_sum) AS decayed_sum FROM {p}engagement"
            f" WHERE customer_id = ANY({merges.histories_sql('%(id)s::uuid')}) GROUP BY kind",
            {"id": customer_id},
        )
        return {row["kind"]: row["decayed_sum"] for row in rows}

    def purchase_rows(self, merges: MergeMap) -> list[DictRow]:
        """Every purchase (customer, business day, amount net of refunds), for model fits;
        a merged record's purchases count as its survivor's."""
        reads = merges.reads_as("p.customer_id")
        return self.query(
            f"SELECT {reads.id} AS customer_id, p.occurred_at, p.amount - p.refunded AS net"
            f" FROM {{p}}purchases p{reads.join} ORDER BY 1, p.occurred_at"
        )

    def revenue_by_institution_and_type(self) -> list[DictRow]:
        """Gross, refunded and net revenue and purchase counts per institution and type."""
        return self.query(
            "SELECT institution, offering_type, count(*) AS purchases,"
            " sum(amount) AS gross, sum(refunded) AS refunded, sum(amount - refunded) AS net"
            " FROM {p}purchases GROUP BY institution, offering_type"
            " ORDER BY institution, offering_type"
        )

    def engagement_distribution(
        self, now: datetime, weights: Mapping[str, float], merges: MergeMap
    ) -> list[tuple[float, int]]:
        """Customers (not erased, as they read through merges) per engagement band as
        (lower bound, count), every band listed; the score is `engagement_score`'s formula
        evaluated in SQL."""
        reads = merges.reads_as("e.customer_id")
        rows = self.query(
            "SELECT width_bucket(coalesce(s.score, 0) * %(factor)s, %(bounds)s::float8[]) AS band,"
            f" count(*) AS customers FROM {self.merged_customers(merges)} c LEFT JOIN ("
            f" SELECT {reads.id} AS customer_id, sum(w.weight * e.decayed_sum::float8) AS score"
            f" FROM {{p}}engagement e{reads.join}"
            " JOIN unnest(%(kinds)s::text[], %(weights)s::float8[])"
            " AS w(kind, weight) ON w.kind = e.kind GROUP BY 1"
            ") s ON s.customer_id = c.customer_id WHERE NOT c.erased GROUP BY band",
            {
                "factor": 2.0 ** (-days_since_epoch(now) / self.half_life_days),
                "bounds": list(ENGAGEMENT_BANDS),
                "kinds": list(weights),
                "weights": list(weights.values()),
            },
        )
        counts = {row["band"]: row["customers"] for row in rows}
        lower = (0.0, *ENGAGEMENT_BANDS)
        return [(bound, counts.get(band, 0)) for band, bound in enumerate(lower)]

    def lifecycle_distribution(self, now: datetime, merges: MergeMap) -> dict[str, int]:
        """Customers (not erased, as they read through merges) per lifecycle stage at `now`,
        every stage in STAGES order."""
        rows = self.query(
            f"SELECT {STAGE_SQL} AS stage, count(*) AS customers"
            f" FROM {self.merged_customers(merges)} c WHERE NOT c.erased GROUP BY 1",
            {"now": now},
        )
        counts = {row["stage"]: row["customers"] for row in rows}
        return {stage: counts.get(stage, 0) for stage in STAGES}
