"""Figures for pages: a customer's indicator cards and engagement over time, the dashboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from api.bootstrap.wiring import Services
from api.services.indicators import (
    engagement_at_month_ends,
    engagement_weights,
    indicators_as_of,
)
from api.web.charts import bar_chart, column_chart, line_chart
from api.web.i18n import translate, translate_value
from api.web.session import language_of, page_user
from api.web.templating import render
from crm.application.users import User
from crm.domain.calendar import HELSINKI
from projections.engine.merges import MergeMap
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.receivables import Receivables

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
CHART_MONTHS = 24


def indicator_cards(services: Services, customer_id: UUID) -> dict[str, Any] | None:
    """The customer's indicators as of now, or None while the view has not seen the customer."""
    found = indicators_as_of(services, customer_id, datetime.now(UTC))
    return None if found is None else {**found[0], **found[1]}


def engagement_over_time(
    services: Services, customer_id: UUID, language: str
) -> tuple[list[tuple[str, float]], Any]:
    """Engagement at each month end (the indicator's own decay and weights), and its chart."""
    points = [
        (end.strftime("%-m/%y"), score)
        for end, score in engagement_at_month_ends(
            services, customer_id, datetime.now(HELSINKI), CHART_MONTHS
        )
    ]
    return points, line_chart(points, translate(language, "indicators.engagement_chart"))


def band_labels(lower_bounds: list[float]) -> list[str]:
    """Labels "0-1", "1-5", ..., "50+" for consecutive lower bounds."""
    ends = [*lower_bounds[1:], None]
    return [
        f"{low:g}-{high:g}" if high is not None else f"{low:g}+"
        for low, high in zip(lower_bounds, ends, strict=True)
    ]


AGEING_LABELS = {
    "not_due": "finance.not_due",
    "1_30": "finance.late_1_30",
    "31_60": "finance.late_31_60",
    "61_90": "finance.late_61_90",
    "over_90": "finance.late_over_90",
}
"""The label of each ageing bucket of open receivables."""


@router.get("/dashboard")
def dashboard(request: Request, user: SignedIn) -> HTMLResponse:
    """Revenue by institution and offering type, the lead funnel by channel, and the
    engagement and lifecycle-stage distributions of customers."""
    services: Services = request.app.state.services
    language = language_of(request)
    indicators = services.views.get(CustomerIndicators)
    now = datetime.now(UTC)
    revenue = indicators.revenue_by_institution_and_type()
    merges = services.views.get(MergeMap)
    bands = indicators.engagement_distribution(now, engagement_weights(services), merges)
    engagement = list(
        zip(band_labels([low for low, _ in bands]), [n for _, n in bands], strict=True)
    )
    lifecycle = [
        (stage, translate_value(language, stage), n)
        for stage, n in indicators.lifecycle_distribution(now, merges).items()
    ]
    by_institution: dict[str, Decimal] = defaultdict(Decimal)
    by_type: dict[str, Decimal] = defaultdict(Decimal)
    for row in revenue:
        by_institution[row["institution"]] += row["net"]
        by_type[row["offering_type"]] += row["net"]
    funnel = services.views.get(Funnel).report("source_channel")

    def bars(totals: dict[str, Decimal]) -> list[tuple[str, float]]:
        ordered = sorted(totals.items(), key=lambda item: -item[1])
        return [(translate_value(language, name), float(value)) for name, value in ordered]

    context = {
        "revenue_rows": revenue,
        "total_net": sum(by_institution.values(), Decimal(0)),
        "institution_chart": bar_chart(
            bars(by_institution), translate(language, "dashboard.by_institution")
        ),
        "type_chart": bar_chart(bars(by_type), translate(language, "dashboard.by_type")),
        "funnel": funnel,
        "funnel_chart": bar_chart(
            [(translate_value(language, r["value"] or "-"), float(r["leads"])) for r in funnel],
            translate(language, "dashboard.funnel"),
        ),
        "engagement": engagement,
        "engagement_chart": column_chart(
            [(label, float(n)) for label, n in engagement],
            translate(language, "dashboard.engagement"),
        ),
        "lifecycle": lifecycle,
        "lifecycle_chart": bar_chart(
            [(label, float(n)) for _, label, n in lifecycle],
            translate(language, "dashboard.lifecycle"),
        ),
        "receivables_chart": bar_chart(
            [
                (translate(language, AGEING_LABELS[bucket]), float(amount))
                for bucket, (_, amount) in services.views.get(Receivables)
                .ageing(datetime.now(HELSINKI).date())
                .items()
            ],
            translate(language, "dashboard.receivables"),
        ),
    }
    return render(request, "dashboard.html", context)
