"""The partner network: memberships, yearly reviews, benefits used and programmes (Digi Fellow)
of each partner, with the review each one is due next. No personal data is read.

One row per relevant fact in `partners_<tag>_facts` (membership changes, reviews, benefits
used, programme joins and leaves, programme events attended), and one row per customer in
`..._partners` recomputed from its facts whenever a batch brings one, so history recorded
out of order and retracted reviews or event visits end in the right state.

Definitions:
- membership: the latest membership change in business time decides the tier (none once
  ended); member_since is the business time of the latest start.
- last review: the latest review not retracted; its outcome and next review date.
- review_due: the next review date the last review set; without one, REVIEW_INTERVAL_MONTHS
  after the last review (or after the membership start when there was none), as a Finnish
  calendar day. A partner is due a review when review_due is at most REVIEW_NOTICE_MONTHS
  away (or past).
- programme members: organisations whose latest join or leave of the programme is a join.
- programme events: attendances of events recorded for the programme, grouped by catalogue
  code, day and format (the event's own name is personal to the attendee's record).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from crm.domain.calendar import HELSINKI
from projections.engine.merges import MergeMap
from projections.engine.view import Batch, View
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators

REVIEW_INTERVAL_MONTHS = 12
REVIEW_NOTICE_MONTHS = 1
MEMBERSHIP_KINDS = (
    ev.PartnerMembershipStarted.kind(),
    ev.PartnerMembershipChanged.kind(),
    ev.PartnerMembershipEnded.kind(),
)
COLUMNS = (
    "customer_id, version, kind, occurred_at, tier, benefit, discount_amount,"
    " discount_percent, offering_code, next_review_due, outcome, programme, event_format"
)


def _fact(event: ev.CustomerEvent) -> dict[str, Any] | None:
    """The fact's row, or None when the event is not one the view keeps."""
    row: dict[str, Any] = {
        "customer_id": event.originator_id,
        "version": event.originator_version,
        "kind": event.kind(),
        "occurred_at": event.occurred_at,
        **dict.fromkeys(COLUMNS.replace(" ", "").split(",")[4:]),
    }
    if isinstance(event, ev.PartnerMembershipStarted | ev.PartnerMembershipChanged):
        row["tier"] = event.tier
    elif isinstance(event, ev.AnnualReviewHeld):
        row.update(next_review_due=event.next_review_due, outcome=event.outcome)
    elif isinstance(event, ev.PartnerBenefitUsed):
        row.update(
            tier=event.tier,
            benefit=event.benefit,
            discount_amount=event.discount_amount,
            discount_percent=event.discount_percent,
            offering_code=event.offering_code,
        )
    elif isinstance(event, ev.ProgrammeJoined | ev.ProgrammeLeft):
        row["programme"] = event.programme
    elif isinstance(event, ev.EventAttended):
        if event.programme is None:
            return None
        row.update(
            programme=event.programme,
            offering_code=event.offering_code,
            event_format=event.event_format,
        )
    elif not isinstance(event, ev.PartnerMembershipEnded):
        return None
    return row


class Partners(View):
    """Each partner's membership, last review, next review due, benefits and programmes."""

    name = "partners"
    version = 1
    topics = (
        ev.PartnerMembershipStarted,
        ev.PartnerMembershipChanged,
        ev.PartnerMembershipEnded,
        ev.AnnualReviewHeld,
        ev.PartnerBenefitUsed,
        ev.ProgrammeJoined,
        ev.ProgrammeLeft,
        ev.EventAttended,
        ev.EntryRetracted,
    )
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}facts ("
            " customer_id uuid NOT NULL, version integer NOT NULL, kind text NOT NULL,"
            " occurred_at timestamptz NOT NULL, tier text, benefit text,"
            " discount_amount numeric, discount_percent numeric, offering_code text,"
            " next_review_due date, outcome text, programme text, event_format text,"
            " retracted boolean NOT NULL DEFAULT false, PRIMARY KEY (customer_id, version))",
            "CREATE INDEX IF NOT EXISTS {p}facts_by_programme"
            " ON {p}facts (programme, kind, occurred_at) WHERE programme IS NOT NULL",
            "CREATE TABLE IF NOT EXISTS {p}partners ("
            " customer_id uuid PRIMARY KEY, tier text, member_since timestamptz,"
            " membership_active boolean NOT NULL, last_review_at timestamptz,"
            " last_outcome text, next_review_due date, review_due date)",
            "CREATE INDEX IF NOT EXISTS {p}partners_by_due"
            " ON {p}partners (review_due, customer_id) WHERE membership_active",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        p = self.prefix
        facts: list[dict[str, Any]] = []
        retracted: list[tuple[UUID, int]] = []
        for _, event in batch:
            if isinstance(event, ev.EntryRetracted):
                retracted.append((event.originator_id, event.retracted_version))
            else:
                fact = _fact(event)
                if fact is not None:
                    facts.append(fact)
        if not facts and not retracted:
            return
        if facts:
            names = COLUMNS.replace(" ", "").split(",")
            cursor.executemany(
                f"INSERT INTO {p}facts ({COLUMNS}) VALUES"
                f" ({', '.join(f'%({name})s' for name in names)}) ON CONFLICT DO NOTHING",
                facts,
            )
        if retracted:
            cursor.execute(
                f"UPDATE {p}facts f SET retracted = true FROM unnest(%s::uuid[], %s::int[])"
                " AS r(customer_id, version)"
                " WHERE f.customer_id = r.customer_id AND f.version = r.version",
                ([c for c, _ in retracted], [v for _, v in retracted]),
            )
        changed = sorted(
            {f["customer_id"] for f in facts if f["programme"] is None}
            | {customer for customer, _ in retracted},
            key=str,
        )
        if changed:
            self._recompute(cursor, changed)

    def _recompute(self, cursor: Cursor[DictRow], customers: list[UUID]) -> None:
        p = self.prefix
        cursor.execute(
            f"INSERT INTO {p}partners AS t (customer_id, tier, member_since,"
            " membership_active, last_review_at, last_outcome, next_review_due, review_due)"
            " SELECT c.customer_id, m.tier, s.since, m.tier IS NOT NULL, r.occurred_at,"
            " r.outcome, r.next_review_due, coalesce(r.next_review_due,"
            " ((coalesce(r.occurred_at, s.since) AT TIME ZONE %(zone)s)"
            f" + interval '{REVIEW_INTERVAL_MONTHS} months')::date)"
            " FROM unnest(%(ids)s::uuid[]) AS c(customer_id)"
            f" LEFT JOIN LATERAL (SELECT tier FROM {p}facts f"
            "  WHERE f.customer_id = c.customer_id AND f.kind = ANY(%(membership)s)"
            "  ORDER BY f.occurred_at DESC, f.version DESC LIMIT 1) m ON true"
            f" LEFT JOIN LATERAL (SELECT max(occurred_at) AS since FROM {p}facts f"
            "  WHERE f.customer_id = c.customer_id AND f.kind = %(started)s) s ON true"
            " LEFT JOIN LATERAL (SELECT occurred_at, outcome, next_review_due"
            f"  FROM {p}facts f WHERE f.customer_id = c.customer_id AND f.kind = %(review)s"
            "  AND NOT f.retracted ORDER BY f.occurred_at DESC, f.version DESC LIMIT 1) r ON true"
            " ON CONFLICT (customer_id) DO UPDATE SET tier = excluded.tier,"
            " member_since = excluded.member_since,"
            " membership_active = excluded.membership_active,"
            " last_review_at = excluded.last_review_at, last_outcome = excluded.last_outcome,"
            " next_review_due = excluded.next_review_due, review_due = excluded.review_due",
            {
                "ids": customers,
                "zone": str(HELSINKI),
                "membership": list(MEMBERSHIP_KINDS),
                "started": ev.PartnerMembershipStarted.kind(),
                "review": ev.AnnualReviewHeld.kind(),
            },
        )

    # Reads --------------------------------------------------------------------------------

    def partner(self, customer_id: UUID) -> DictRow | None:
        """The customer's membership and review state (None when it never had either)."""
        rows = self.query("SELECT * FROM {p}partners WHERE customer_id = %s", (customer_id,))
        return rows[0] if rows else None

    def due_reviews(
        self,
        indicators: CustomerIndicators,
        merges: MergeMap,
        account_manager: str | None,
        today: date,
        *,
        offset: int = 0,
        limit: int | None = 50,
    ) -> tuple[list[DictRow], int]:
        """Active partners owned by the manager (None: by anyone) whose review is due within
        REVIEW_NOTICE_MONTHS of `today` or overdue, soonest first, and how many there are.
        Owner and erasure are read over the partner's merged history; a partner merged into
        another is listed under the survivor's own row only."""
        reads = merges.reads_as("p.customer_id")
        customer = (
            f"{reads.join} JOIN LATERAL {indicators.history_of(merges, 'p.customer_id')} c ON true"
        )
        owner = "c.account_manager = %(manager)s" if account_manager else "c.account_manager <> ''"
        condition = (
            f"p.membership_active AND p.review_due <= %(today)s::date"
            f" + interval '{REVIEW_NOTICE_MONTHS} months' AND {owner} AND NOT c.erased"
            f" AND {reads.id} = p.customer_id"
        )
        params: dict[str, Any] = {
            "manager": account_manager,
            "today": today,
            "offset": offset,
            "limit": limit,
        }
        rows = self.query(
            "SELECT p.customer_id, p.tier, p.member_since, p.last_review_at, p.last_outcome,"
            " p.review_due, c.account_manager, count(*) OVER () AS total"
            f" FROM {{p}}partners p{customer}"
            f" WHERE {condition} ORDER BY p.review_due, p.customer_id"
            " OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(
            rows,
            offset,
            f"SELECT count(*) AS n FROM {{p}}partners p{customer} WHERE {condition}",
            params,
        )

    def benefits_used(self, customer_id: UUID, since: datetime | None = None) -> list[DictRow]:
        """The benefits the customer used (since the day, when given), per benefit: how many
        times and the discounts in EUR given as amounts."""
        return self.query(
            "SELECT benefit, count(*) AS uses, coalesce(sum(discount_amount), 0) AS discounts"
            " FROM {p}facts WHERE customer_id = %(id)s AND kind = %(kind)s"
            " AND (%(since)s::timestamptz IS NULL OR occurred_at >= %(since)s)"
            " GROUP BY benefit ORDER BY benefit",
            {"id": customer_id, "kind": ev.PartnerBenefitUsed.kind(), "since": since},
        )

    def programmes_of(self, customer_id: UUID) -> list[DictRow]:
        """The programmes the customer belongs to now, with since when."""
        return self.query(
            "SELECT programme, occurred_at AS since FROM (SELECT DISTINCT ON (programme)"
            " programme, kind, occurred_at FROM {p}facts WHERE customer_id = %s"
            " AND kind = ANY(%s) ORDER BY programme, occurred_at DESC, version DESC) latest"
            " WHERE kind = %s ORDER BY programme",
            (customer_id, _programme_kinds(), ev.ProgrammeJoined.kind()),
        )

    def programme_members(
        self, programme: str, directory: CustomerDirectory, *, offset: int = 0, limit: int = 50
    ) -> tuple[list[DictRow], int]:
        """A page of the programme's current member organisations by name, and how many."""
        rows = self.query(
            "SELECT m.customer_id, m.occurred_at AS since, d.name, count(*) OVER () AS total"
            " FROM (SELECT DISTINCT ON (customer_id) customer_id, kind, occurred_at"
            "  FROM {p}facts WHERE programme = %(programme)s AND kind = ANY(%(kinds)s)"
            "  ORDER BY customer_id, occurred_at DESC, version DESC) m"
            f" LEFT JOIN {directory.prefix}customers d USING (customer_id)"
            " WHERE m.kind = %(joined)s ORDER BY d.name NULLS LAST, m.customer_id"
            " OFFSET %(offset)s LIMIT %(limit)s",
            {
                "programme": programme,
                "kinds": _programme_kinds(),
                "joined": ev.ProgrammeJoined.kind(),
                "offset": offset,
                "limit": limit,
            },
        )
        return rows, int(rows[0]["total"]) if rows else self._members_count(programme)

    def _members_count(self, programme: str) -> int:
        rows = self.query(
            "SELECT count(*) AS n FROM (SELECT DISTINCT ON (customer_id) kind FROM {p}facts"
            " WHERE programme = %s AND kind = ANY(%s)"
            " ORDER BY customer_id, occurred_at DESC, version DESC) m WHERE kind = %s",
            (programme, _programme_kinds(), ev.ProgrammeJoined.kind()),
        )
        return int(rows[0]["n"])

    def programme_events(
        self, programme: str, *, offset: int = 0, limit: int = 20
    ) -> tuple[list[DictRow], int]:
        """A page of the programme's events, newest first: each catalogue code, day and
        format with the customers who took part (not retracted), and how many events."""
        params = {
            "programme": programme,
            "kind": ev.EventAttended.kind(),
            "zone": str(HELSINKI),
            "offset": offset,
            "limit": limit,
        }
        rows = self.query(
            "SELECT offering_code, held_on, event_format, array_agg(DISTINCT customer_id)"
            " AS participants, count(*) OVER () AS total FROM (SELECT customer_id,"
            " offering_code, (occurred_at AT TIME ZONE %(zone)s)::date AS held_on,"
            " event_format FROM {p}facts WHERE programme = %(programme)s AND kind = %(kind)s"
            " AND NOT retracted) e GROUP BY offering_code, held_on, event_format"
            " ORDER BY held_on DESC, offering_code NULLS LAST, event_format"
            " OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        return self.page_and_total(
            rows,
            offset,
            "SELECT count(*) AS n FROM (SELECT DISTINCT offering_code,"
            " (occurred_at AT TIME ZONE %(zone)s)::date, event_format FROM {p}facts"
            " WHERE programme = %(programme)s AND kind = %(kind)s AND NOT retracted) e",
            params,
        )


def _programme_kinds() -> list[str]:
    return [ev.ProgrammeJoined.kind(), ev.ProgrammeLeft.kind()]
