"""Predicted customer lifetime: the scheduled fit of BG/NBD and Gamma-Gamma on the whole base.

A fit reads every purchase from the live customer indicators (amounts net of refunds), turns
them into per-customer (frequency, recency, age, mean repeat spend) in days as in Fader,
Hardie & Lee (2005): purchases on the same calendar day (Europe/Helsinki) count as one
transaction, and a customer's age is the days from the first purchase's day to the
observation-end date (1997-01-01 to 1997-09-30 is 272 days, as in the paper and
`lifetimes`). It then stores the fit date and parameters in `lifetime_fits` and one
prediction per customer with purchases in `lifetime_predictions` (expected purchases in
the next 365 days, probability still active, Gamma-Gamma expected average value and
expected value over the horizon).
Only the newest fit's predictions are kept; every fit's parameters stay for comparison.
With too little data nothing new is stored and the outcome says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from projections.engine.merges import MergeMap
from projections.lifetime.model import (
    DEFAULT_HORIZON_DAYS,
    MIN_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    LifetimeModelError,
    fit_lifetime_models,
    rfm_summary,
    score_customers,
)
from projections.views.indicators import CustomerIndicators


@dataclass(frozen=True)
class FitOutcome:
    """What a fit run did: the new fit's id, or why nothing was stored."""

    fitted: bool
    fit_id: int | None
    n_customers: int
    reason: str | None = None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def fit_lifetime(
    indicators: CustomerIndicators,
    merges: MergeMap,
    today: date,
    *,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> FitOutcome:
    """Fit both models on every purchase up to `today` and store parameters and predictions.
    A merged record's purchases are its survivor's: the survivor is fitted and predicted over
    both histories, the absorbed record not on its own (until the merge is undone)."""
    datastore = indicators.datastore
    purchases = [
        (row["customer_id"], row["occurred_at"], float(row["net"]))
        for row in indicators.purchase_rows(merges)
    ]
    summaries = rfm_summary(purchases, today)
    try:
        fit = fit_lifetime_models(
            summaries, min_customers=min_customers, min_repeat_customers=min_repeat_customers
        )
    except LifetimeModelError as error:
        return FitOutcome(False, None, len(summaries), str(error))
    scores = score_customers(fit, summaries, horizon_days)
    parameters: dict[str, Any] = {
        "bgnbd": {
            "r": fit.purchases.r,
            "alpha": fit.purchases.alpha,
            "a": fit.purchases.a,
            "b": fit.purchases.b,
            "log_likelihood": fit.purchases.log_likelihood,
            "converged": fit.purchases.converged,
        },
        "gamma_gamma": {
            "p": fit.spend.p,
            "q": fit.spend.q,
            "v": fit.spend.v,
            "log_likelihood": fit.spend.log_likelihood,
            "converged": fit.spend.converged,
        },
        "time_unit": "days",
    }
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(
            "INSERT INTO lifetime_fits (observation_end, horizon_days, n_customers,"
            " n_repeat_customers, parameters) VALUES (%s, %s, %s, %s, %s) RETURNING fit_id",
            (today, horizon_days, fit.n_customers, fit.n_repeat_customers, Jsonb(parameters)),
        )
        row = cursor.fetchone()
        assert row is not None
        fit_id = int(row["fit_id"])
        columns: list[list[Any]] = [[] for _ in range(10)]
        for summary, score in zip(summaries, scores, strict=True):
            values = (
                summary.customer_id,
                fit_id,
                summary.frequency,
                summary.recency,
                summary.age,
                summary.monetary_value,
                score.expected_purchases,
                score.probability_alive,
                _finite(score.expected_average_value),
                _finite(score.expected_value),
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        cursor.execute(
            "INSERT INTO lifetime_predictions SELECT * FROM unnest(%s::uuid[], %s::bigint[],"
            " %s::integer[], %s::float8[], %s::float8[], %s::float8[], %s::float8[],"
            " %s::float8[], %s::float8[], %s::float8[])",
            columns,
        )
        # Older predictions are superseded; their fits' parameters stay as history.
        cursor.execute("DELETE FROM lifetime_predictions WHERE fit_id <> %s", (fit_id,))
    return FitOutcome(True, fit_id, fit.n_customers)


def latest_fit(datastore: PostgresDatastore) -> DictRow | None:
    """The newest fit's date, parameters and sizes, if any fit was stored."""
    with datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute("SELECT * FROM lifetime_fits ORDER BY fit_id DESC LIMIT 1")
        return cursor.fetchone()


def prediction_for(datastore: PostgresDatastore, customer_id: UUID) -> DictRow | None:
    """The customer's prediction from the newest fit, with that fit's date and parameters."""
    with datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT p.*, f.fitted_at, f.observation_end, f.horizon_days, f.parameters"
            " FROM lifetime_predictions p JOIN lifetime_fits f USING (fit_id)"
            " WHERE p.customer_id = %s ORDER BY p.fit_id DESC LIMIT 1",
            (customer_id,),
        )
        return cursor.fetchone()
