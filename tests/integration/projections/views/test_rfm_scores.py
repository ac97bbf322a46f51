"""RFM quintiles: hand-computed scores, ties sharing a score, one customer and the whole base
agreeing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.indicators import RFM_OF_ALL, CustomerIndicators
from tests.factories import START, provenance, register


def test_rfm_scores_rank_customers_into_quintiles_with_ties_sharing_a_score(
    isolated_services: Services,
) -> None:
    services = isolated_services
    # Revenue 100, 200, 200, 300, 500 (one purchase each, on days 1..5); one non-buyer.
    customers = [register(services.crm) for _ in range(5)]
    for n, (customer_id, amount) in enumerate(
        zip(customers, (100, 200, 200, 300, 500), strict=True)
    ):
        services.crm.record_touchpoint(
            customer_id,
            provenance(START + timedelta(days=n + 1)),
            "purchase_made",
            {"notes": None, "purchase_id": "P", "offering": "Coaching",
             "offering_type": "coaching", "amount": Decimal(amount), "invoice_reference": None},
        )  # fmt: skip
    non_buyer = register(services.crm)
    view = services.views.get(CustomerIndicators)
    merges = services.views.get(MergeMap)
    services.projector.catch_up(view)
    services.projector.catch_up(merges)
    now = datetime(2025, 6, 1, tzinfo=UTC)

    # score = 1 + floor(5 * customers strictly lower / 5 customers)
    expected_monetary = [1, 2, 2, 4, 5]
    expected_recency = [1, 2, 3, 4, 5]
    rows = [view.indicators(customer_id, now, merges) for customer_id in customers]
    assert [row["monetary_score"] for row in rows if row] == expected_monetary
    assert [row["recency_score"] for row in rows if row] == expected_recency
    assert [row["frequency_score"] for row in rows if row] == [1] * 5
    lonely = view.indicators(non_buyer, now, merges)
    assert lonely is not None and lonely["monetary_score"] is None

    whole_base = {
        row["customer_id"]: row
        for row in view.query(RFM_OF_ALL.replace("{customers}", view.merged_customers(merges)))
    }
    assert [whole_base[c]["monetary_score"] for c in customers] == expected_monetary
    assert [whole_base[c]["recency_score"] for c in customers] == expected_recency
