"""The partner network's view: the review each partner is due, read from the last review's
next date, in business time and without retracted reviews."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from api.bootstrap.wiring import Services
from crm.application.crm import CRM
from projections.engine.merges import MergeMap
from projections.views.indicators import CustomerIndicators
from projections.views.partners import Partners
from tests.factories import day, provenance, record, register, unique

WAIT = 20.0


def organisation(crm: CRM, manager: str) -> UUID:
    return register(crm, "organisation", account_manager=manager)


def test_the_review_due_is_the_last_reviews_next_date_or_a_year_after_the_last_review(
    services: Services,
) -> None:
    crm = services.crm
    manager, other_manager = unique("am"), unique("am")
    late, unreviewed, ended, dated, retracted, elsewhere = (
        *(organisation(crm, manager) for _ in range(5)),
        organisation(crm, other_manager),
    )
    for customer_id in (late, unreviewed, ended, dated, retracted, elsewhere):
        record(crm, customer_id, day(5), "partner_membership_started", tier="paid")
    # The later review is recorded first: the earlier one must not replace it.
    record(crm, late, day(30), "annual_review_held", next_review_due=None)
    record(crm, late, day(10), "annual_review_held", next_review_due=None)
    record(crm, ended, day(50), "partner_membership_ended", reason="Moved away")
    record(crm, dated, day(390), "annual_review_held", next_review_due=date(2026, 6, 1),
           outcome="tier_raised")  # fmt: skip
    wrong = record(crm, retracted, day(380), "annual_review_held",
                   next_review_due=date(2027, 1, 1))  # fmt: skip
    version = crm.get_customer(retracted).version
    position = crm.retract_entry(retracted, provenance(day(381)), version, "Wrong partner").position
    view = services.views.get(Partners)
    assert wrong and view.wait_for(position, WAIT)
    indicators = services.views.get(CustomerIndicators)

    # Day 400 is 2026-02-10: due by 2026-03-10 are those a year past their start (day 5 is
    # 2025-01-11) or last review (day 30 is 2025-02-05); the next date a review set
    # (2026-06-01) is not within a month yet, and a retracted review counts for nothing.
    rows, total = view.due_reviews(
        indicators, services.views.get(MergeMap), manager, day(400).date()
    )
    assert total == 3
    assert [(r["customer_id"], r["review_due"]) for r in rows] == [
        (unreviewed, date(2026, 1, 11)),
        (retracted, date(2026, 1, 11)),
        (late, date(2026, 2, 5)),
    ] or [(r["customer_id"], r["review_due"]) for r in rows] == [
        (retracted, date(2026, 1, 11)),
        (unreviewed, date(2026, 1, 11)),
        (late, date(2026, 2, 5)),
    ]
    dated_row = view.partner(dated)
    assert dated_row is not None and dated_row["last_outcome"] == "tier_raised"
    assert dated_row["review_due"] == date(2026, 6, 1)
    later, _ = view.due_reviews(
        indicators, services.views.get(MergeMap), manager, date(2026, 5, 10)
    )
    assert dated in [r["customer_id"] for r in later]
    ended_row = view.partner(ended)
    assert ended_row is not None and not ended_row["membership_active"]
    page, total = view.due_reviews(
        indicators, services.views.get(MergeMap), manager, day(400).date(), offset=2, limit=2
    )
    assert total == 3 and [r["customer_id"] for r in page] == [late]
    beyond, total = view.due_reviews(
        indicators, services.views.get(MergeMap), manager, day(400).date(), offset=10, limit=2
    )
    assert beyond == [] and total == 3
