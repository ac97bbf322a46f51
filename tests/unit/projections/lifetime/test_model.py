"""Tests for the BG/NBD and Gamma-Gamma lifetime models against published CDNOW results."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy.special import hyp2f1

from crm.domain.calendar import HELSINKI
from projections.lifetime.model import (
    BgNbdParams,
    CustomerSummary,
    GammaGammaParams,
    InsufficientDataError,
    LifetimeModelError,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_lifetime_models,
    probability_alive,
    rfm_summary,
    score_customer,
    score_customers,
)

# CDNOW sample of Fader, Hardie & Lee (2005): 2357 customers, 39 calibration weeks, in weeks.
# Columns x, t_x, T and zbar (mean repeat spend), as shipped by lifetimes 0.11.3.
CDNOW_CSV = Path(__file__).parent / "data" / "cdnow_summary.csv"

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def _load_cdnow() -> dict[str, np.ndarray]:
    with CDNOW_CSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: np.array([float(row[key]) for row in rows]) for key in ("x", "t_x", "T", "zbar")}


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    return _load_cdnow()


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow: dict[str, np.ndarray]) -> BgNbdParams:
    return fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_gamma_gamma(cdnow: dict[str, np.ndarray]) -> GammaGammaParams:
    return fit_gamma_gamma(cdnow["x"], cdnow["zbar"])


def test_vendored_cdnow_data_is_the_small_published_sample() -> None:
    data = _load_cdnow()
    assert CDNOW_CSV.stat().st_size < 64 * 1024
    assert data["x"].size == 2357
    assert int(np.sum(data["x"] > 0)) == 946


def test_bgnbd_fit_matches_published_cdnow_parameters(cdnow_bgnbd: BgNbdParams) -> None:
    assert cdnow_bgnbd.converged
    for name, published in PUBLISHED_BGNBD.items():
        assert getattr(cdnow_bgnbd, name) == pytest.approx(published, rel=0.01), name
    assert cdnow_bgnbd.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.1)


def test_bgnbd_fit_in_days_rescales_only_alpha(cdnow: dict[str, np.ndarray]) -> None:
    # r, a, b are unit-free and alpha is a time scale, so refitting in days must multiply
    # alpha by 7; this guards the optimiser's start point for the day-based production fit.
    days = fit_bgnbd(cdnow["x"], cdnow["t_x"] * 7, cdnow["T"] * 7)
    assert days.converged
    assert days.r == pytest.approx(PUBLISHED_BGNBD["r"], rel=0.01)
    assert days.alpha == pytest.approx(PUBLISHED_BGNBD["alpha"] * 7, rel=0.01)
    assert days.a == pytest.approx(PUBLISHED_BGNBD["a"], rel=0.01)
    assert days.b == pytest.approx(PUBLISHED_BGNBD["b"], rel=0.01)


def test_gamma_gamma_fit_matches_published_cdnow_parameters(
    cdnow_gamma_gamma: GammaGammaParams,
) -> None:
    assert cdnow_gamma_gamma.converged
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert getattr(cdnow_gamma_gamma, name) == pytest.approx(published, rel=0.01), name


def test_expected_purchases_matches_the_papers_worked_example(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    # Fader, Hardie & Lee (2005): customer with x=2, t_x=30.43, T=38.86 buys 1.226 times
    # in the next 39 weeks.
    value = expected_purchases(cdnow_bgnbd, 39, 2, 30.43, 38.86)
    assert value[0] == pytest.approx(1.226, abs=0.001)


def test_expected_purchases_equals_equation_10_written_out(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    r, alpha, a, b = cdnow_bgnbd.r, cdnow_bgnbd.alpha, cdnow_bgnbd.a, cdnow_bgnbd.b
    x = np.array([0.0, 1.0, 2.0, 7.0, 15.0])
    t_x = np.array([0.0, 1.71, 30.43, 35.0, 38.0])
    age = np.array([38.86, 38.86, 38.86, 38.86, 38.86])
    t = 52.0
    direct = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + age) / (alpha + age + t)) ** (r + x)
            * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
        )
        / (1 + (x > 0) * a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))
    )
    np.testing.assert_allclose(expected_purchases(cdnow_bgnbd, t, x, t_x, age), direct, rtol=1e-9)


def test_expected_purchases_stays_finite_for_very_frequent_buyers(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    # The textbook form of eq. 10 overflows hyp2f1 here; the transformed form must not.
    value = expected_purchases(cdnow_bgnbd, 365.0, 3000, 699.0, 700.0)[0]
    assert np.isfinite(value)
    assert 0 < value < 3000


def test_expected_purchases_is_zero_for_a_zero_horizon(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    assert expected_purchases(cdnow_bgnbd, 0.0, 3, 20.0, 38.0)[0] == pytest.approx(0.0)


def test_probability_alive_is_one_for_customers_without_repeat_purchases(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    # BG/NBD lets a customer drop out only right after a purchase, so x == 0 means alive.
    alive = probability_alive(cdnow_bgnbd, [0, 0, 0], [0.0, 0.0, 0.0], [1.0, 38.86, 500.0])
    np.testing.assert_array_equal(alive, [1.0, 1.0, 1.0])


def test_probability_alive_falls_the_longer_a_repeat_buyer_is_silent(
    cdnow_bgnbd: BgNbdParams,
) -> None:
    alive = probability_alive(cdnow_bgnbd, [4, 4, 4], [38.0, 20.0, 2.0], [38.86, 38.86, 38.86])
    assert 0 < alive[2] < alive[1] < alive[0] < 1


def test_probability_alive_rejects_recency_beyond_age(cdnow_bgnbd: BgNbdParams) -> None:
    with pytest.raises(LifetimeModelError):
        probability_alive(cdnow_bgnbd, [1], [40.0], [38.0])


def test_expected_average_value_shrinks_towards_the_population_mean(
    cdnow_gamma_gamma: GammaGammaParams,
) -> None:
    p, q, v = cdnow_gamma_gamma.p, cdnow_gamma_gamma.q, cdnow_gamma_gamma.v
    population_mean = p * v / (q - 1)
    values = expected_average_value(cdnow_gamma_gamma, [0, 1, 10], [0.0, 100.0, 100.0])
    assert values[0] == pytest.approx(population_mean)
    # More observed transactions means more weight on the customer's own mean of 100.
    assert population_mean < values[1] < values[2] < 100


def test_rfm_summary_counts_same_day_purchases_once_and_uses_days() -> None:
    end = date(2024, 3, 31)
    purchases = [
        ("a", date(2024, 1, 1), 10.0),
        ("a", date(2024, 1, 1), 5.0),
        ("a", date(2024, 1, 11), 20.0),
        ("a", date(2024, 1, 11), 4.0),
        ("a", date(2024, 2, 1), 30.0),
        ("b", date(2024, 3, 1), 99.0),
        ("c", datetime(2024, 3, 30, 23, 59), 7.0),
        ("c", datetime(2024, 3, 30, 8, 0), 8.0),
        # Beyond the observation end: holdout data, ignored.
        ("a", date(2024, 4, 5), 1000.0),
        ("d", date(2024, 4, 5), 1000.0),
    ]
    summaries = {s.customer_id: s for s in rfm_summary(purchases, end)}
    assert set(summaries) == {"a", "b", "c"}
    # a: purchase days Jan 1, Jan 11, Feb 1 -> two repeat days worth 24 and 30.
    assert summaries["a"] == CustomerSummary("a", 2, 31.0, 90.0, 27.0)
    # b: a single purchase has no repeats, recency 0 and no repeat spend.
    assert summaries["b"] == CustomerSummary("b", 0, 0.0, 30.0, 0.0)
    # c: two timestamps on one calendar day are one purchase day.
    assert summaries["c"] == CustomerSummary("c", 0, 0.0, 1.0, 0.0)


def test_rfm_summary_accepts_purchases_without_amounts() -> None:
    summaries = rfm_summary([(1, date(2024, 1, 1)), (1, date(2024, 1, 3))], date(2024, 1, 10))
    assert summaries == [CustomerSummary(1, 1, 2.0, 9.0, 0.0)]


def _simulate_bgnbd_purchases(
    n_customers: int, seed: int
) -> tuple[list[tuple[int, date, float]], date]:
    # Simulate the BG/NBD story in days: Poisson purchasing with gamma-distributed rates,
    # beta-distributed dropout after each repeat purchase; amounts are gamma distributed.
    rng = np.random.default_rng(seed)
    start, end = date(2022, 1, 1), date(2023, 12, 31)
    horizon = (end - start).days
    purchases: list[tuple[int, date, float]] = []
    for customer in range(n_customers):
        rate = rng.gamma(0.5, 1 / 20.0)
        dropout = rng.beta(1.0, 4.0)
        first = int(rng.integers(0, horizon))
        day = float(first)
        spend_scale = rng.gamma(4.0, 10.0)
        purchases.append((customer, start + timedelta(days=first), rng.gamma(3.0, spend_scale / 3)))
        # BG/NBD: the first purchase never ends a customer; each repeat purchase may.
        while True:
            day += rng.exponential(1 / rate)
            if day > horizon:
                break
            when = start + timedelta(days=int(day))
            purchases.append((customer, when, rng.gamma(3.0, spend_scale / 3)))
            if rng.random() < dropout:
                break
    return purchases, end


def test_fit_lifetime_models_recovers_simulated_parameters_and_scores_customers() -> None:
    purchases, end = _simulate_bgnbd_purchases(3000, seed=7)
    summaries = rfm_summary(purchases, end)
    fit = fit_lifetime_models(summaries)
    assert fit.purchases.converged and fit.spend.converged
    assert fit.n_customers == 3000
    assert fit.purchases.r == pytest.approx(0.5, rel=0.25)
    assert fit.purchases.alpha == pytest.approx(20.0, rel=0.3)
    assert fit.purchases.a == pytest.approx(1.0, rel=0.3)
    assert fit.purchases.b == pytest.approx(4.0, rel=0.4)

    scores = score_customers(fit, summaries)
    assert len(scores) == len(summaries)
    for summary, score in zip(summaries[:50], scores[:50], strict=True):
        assert score.customer_id == summary.customer_id
        assert score.expected_purchases >= 0
        assert 0 <= score.probability_alive <= 1
        assert score.expected_average_value > 0
        assert score.expected_value == pytest.approx(
            score.expected_purchases * score.expected_average_value
        )
    one = score_customer(fit, summaries[0])
    assert one == scores[0]


def test_score_values_non_positive_repeat_spend_at_the_population_mean() -> None:
    purchases, end = _simulate_bgnbd_purchases(300, seed=3)
    fit = fit_lifetime_models(rfm_summary(purchases, end))
    refunder = CustomerSummary("r", 2, 100.0, 200.0, -5.0)
    newcomer = CustomerSummary("n", 0, 0.0, 200.0, 0.0)
    assert score_customer(fit, refunder).expected_average_value == pytest.approx(
        score_customer(fit, newcomer).expected_average_value
    )


def test_fit_lifetime_models_refuses_too_few_customers() -> None:
    summaries = [CustomerSummary(i, 1, 5.0, 30.0, 10.0) for i in range(19)]
    with pytest.raises(InsufficientDataError, match="at least 20 customers"):
        fit_lifetime_models(summaries)


def test_fit_lifetime_models_refuses_a_base_without_repeat_customers() -> None:
    summaries = [CustomerSummary(i, 0, 0.0, float(10 + i), 0.0) for i in range(200)]
    with pytest.raises(InsufficientDataError, match="repeat customers"):
        fit_lifetime_models(summaries)


def test_individual_fits_raise_a_clear_error_without_repeat_data() -> None:
    with pytest.raises(InsufficientDataError):
        fit_bgnbd([0, 0, 0], [0.0, 0.0, 0.0], [10.0, 20.0, 30.0])
    with pytest.raises(InsufficientDataError):
        fit_gamma_gamma([0, 2, 3], [10.0, 0.0, -4.0])
    with pytest.raises(InsufficientDataError):
        fit_bgnbd([], [], [])


def test_age_counts_days_from_the_first_purchase_to_the_observation_end_as_the_paper() -> None:
    # Bought on 1 January in Helsinki: still 31 December in UTC, as the indicators return it.
    first = datetime(1997, 1, 1, tzinfo=HELSINKI).astimezone(UTC)
    (summary,) = rfm_summary([("c", first, 10.0)], date(1997, 9, 30))
    assert summary.age == 272.0
    repeat = datetime(1997, 3, 1, 0, 30, tzinfo=HELSINKI).astimezone(UTC)
    (summary,) = rfm_summary([("c", first, 10.0), ("c", repeat, 5.0)], date(1997, 9, 30))
    assert (summary.recency, summary.age) == (59.0, 272.0)
