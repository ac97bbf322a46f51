"""Customer-lifetime models: RFM summaries, BG/NBD purchase counts and Gamma-Gamma spend."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import betaln, expit, gammaln, hyp2f1

from crm.domain.calendar import local_date

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | Sequence[float] | FloatArray

# A purchase is (customer id, day) or (customer id, day, amount); amount defaults to 0.
Purchase = tuple[Hashable, date] | tuple[Hashable, date, float]

MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10
DEFAULT_HORIZON_DAYS = 365.0

# Log-parameters are boxed so exp() never overflows and gammaln/betaln stay finite.
_LOG_BOUND = 20.0


class LifetimeModelError(ValueError):
    """Raised when a lifetime model cannot be fitted or evaluated on the given data."""


class InsufficientDataError(LifetimeModelError):
    """Raised when there are too few customers (or repeat customers) to fit a model."""


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """RFM summary of one customer in days, as defined by Fader, Hardie & Lee (2005)."""

    customer_id: Hashable
    frequency: int
    recency: float
    age: float
    monetary_value: float


@dataclass(frozen=True, slots=True)
class BgNbdParams:
    """Fitted BG/NBD parameters with the total log-likelihood and optimiser status."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma spend parameters with the total log-likelihood and status."""

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool


@dataclass(frozen=True, slots=True)
class LifetimeFit:
    """Both fitted models; time unit is days when built by fit_lifetime_models."""

    purchases: BgNbdParams
    spend: GammaGammaParams
    n_customers: int
    n_repeat_customers: int


@dataclass(frozen=True, slots=True)
class CustomerScore:
    """Forward-looking scores of one customer over a horizon (365 days by default)."""

    customer_id: Hashable
    expected_purchases: float
    probability_alive: float
    expected_average_value: float
    expected_value: float


def _as_day(value: date) -> date:
    """The provider's calendar day of a purchase (Europe/Helsinki for an aware time).

    A purchase made on 1 January in Helsinki is a day-1 purchase even though it is still
    31 December in UTC: counting the UTC day made every age one day longer than the
    paper's. datetime is a subclass of date; without this, time of day would also leak
    into t_x and T.
    """
    if isinstance(value, datetime):
        return local_date(value) if value.tzinfo is not None else value.date()
    return value


def rfm_summary(purchases: Iterable[Purchase], observation_end: date) -> list[CustomerSummary]:
    """Summarise purchases per customer into (x, t_x, T, mean repeat-day spend) in days.

    Ages are measured as Fader, Hardie & Lee (2005) and the `lifetimes` library do: T is the
    number of days from the first purchase's calendar day to the observation-end date, so a
    first purchase on 1997-01-01 observed to 1997-09-30 is 272 days old (not 273: the end
    day is not counted twice). Days are the provider's calendar days (Europe/Helsinki).
    """
    end = _as_day(observation_end)
    # Insertion-ordered so the output follows the order customers first appear in.
    per_customer: dict[Hashable, dict[date, float]] = {}
    for purchase in purchases:
        customer_id, when = purchase[0], _as_day(purchase[1])
        amount = float(purchase[2]) if len(purchase) == 3 else 0.0
        # Purchases after the cut-off belong to a holdout period, not to the calibration data.
        if when > end:
            continue
        days = per_customer.setdefault(customer_id, {})
        days[when] = days.get(when, 0.0) + amount

    summaries: list[CustomerSummary] = []
    for customer_id, days in per_customer.items():
        ordered = sorted(days)
        first, last = ordered[0], ordered[-1]
        repeat_amounts = [days[d] for d in ordered[1:]]
        frequency = len(repeat_amounts)
        monetary = sum(repeat_amounts) / frequency if frequency else 0.0
        summaries.append(
            CustomerSummary(
                customer_id=customer_id,
                frequency=frequency,
                recency=float((last - first).days),
                age=float((end - first).days),
                monetary_value=monetary,
            )
        )
    return summaries


def _array(values: ArrayLike) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


def _check_rfm(x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
    if not (x.shape == t_x.shape == age.shape):
        raise LifetimeModelError("x, t_x and T must have the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(t_x)) and np.all(np.isfinite(age))):
        raise LifetimeModelError("x, t_x and T must be finite")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > age):
        raise LifetimeModelError("need x >= 0 and 0 <= t_x <= T for every customer")


def _bgnbd_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    t_x: FloatArray,
    age: FloatArray,
) -> FloatArray:
    # Per-customer log of eq. (6) in Fader, Hardie & Lee (2005), split into two terms
    # combined with log-sum-exp because each term alone under/overflows for large x.
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    survived = betaln(a, b + x) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    # x = 0 customers have no "died after last purchase" term; b - 1 may be negative there.
    x_safe = np.where(repeat, x, 1.0)
    died = betaln(a + 1.0, b + x_safe - 1.0) - (r + x_safe) * np.log(alpha + t_x)
    died = np.where(repeat, died, -np.inf)
    result: FloatArray = common + np.logaddexp(survived, died)
    return result


def _minimise(
    negative_ll: Callable[[FloatArray], float], start: FloatArray
) -> tuple[FloatArray, bool]:
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    result = minimize(negative_ll, start, method="L-BFGS-B", bounds=bounds)
    best_x = np.asarray(result.x, dtype=np.float64)
    converged = bool(result.success)
    if not converged:
        # L-BFGS-B with numerical gradients sometimes stops on precision loss near the
        # optimum; a derivative-free polish from there usually settles it.
        polish = minimize(
            negative_ll,
            best_x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000},
        )
        if float(polish.fun) <= float(result.fun):
            best_x = np.asarray(polish.x, dtype=np.float64)
        converged = bool(polish.success)
    # An optimum pinned to the box means the data do not identify the parameters.
    if np.any(np.abs(best_x) >= _LOG_BOUND - 1e-6):
        converged = False
    return best_x, converged


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BgNbdParams:
    """Fit BG/NBD (r, alpha, a, b) by maximum likelihood; t_x and T share one time unit."""
    xs, txs, ages = _array(x), _array(t_x), _array(T)
    _check_rfm(xs, txs, ages)
    if xs.size == 0 or not np.any(xs > 0):
        raise InsufficientDataError("BG/NBD needs at least one customer with a repeat purchase")

    def negative_ll(log_params: FloatArray) -> float:
        r, alpha, a, b = np.exp(log_params)
        value = -float(np.mean(_bgnbd_log_likelihood(r, alpha, a, b, xs, txs, ages)))
        # Treat numerically invalid regions as very bad rather than letting NaN steer the search.
        return value if math.isfinite(value) else 1e10

    # alpha carries the time unit, so start it at the data's scale; r, a, b are unit-free.
    alpha0 = max(float(np.mean(ages)), 1e-3)
    start = np.log(np.array([1.0, alpha0, 1.0, 1.0]))
    best, converged = _minimise(negative_ll, start)
    r, alpha, a, b = (float(v) for v in np.exp(best))
    ll = float(np.sum(_bgnbd_log_likelihood(r, alpha, a, b, xs, txs, ages)))
    if not math.isfinite(ll):
        raise LifetimeModelError("BG/NBD fit produced a non-finite log-likelihood")
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll, converged=converged)


def probability_alive(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Return P(customer still active | x, t_x, T) under BG/NBD; 1 when x == 0 by definition."""
    xs, txs, ages = _array(x), _array(t_x), _array(T)
    _check_rfm(xs, txs, ages)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = xs > 0
    x_safe = np.where(repeat, xs, 1.0)
    # Log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); expit keeps 1/(1+e^z) stable.
    log_odds_dead = (
        math.log(a)
        - np.log(b + x_safe - 1.0)
        + (r + x_safe) * (np.log(alpha + ages) - np.log(alpha + txs))
    )
    result: FloatArray = np.where(repeat, expit(-log_odds_dead), 1.0)
    return result


def expected_purchases(
    params: BgNbdParams,
    t: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """Return expected purchases in the next t time units given x, t_x, T (BG/NBD eq. 10)."""
    xs, txs, ages = _array(x), _array(t_x), _array(T)
    _check_rfm(xs, txs, ages)
    if t < 0:
        raise LifetimeModelError("horizon t must be non-negative")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    # Eq. 10 multiplies ((alpha+T)/(alpha+T+t))^(r+x), which underflows, by
    # 2F1(r+x, b+x; a+b+x-1; z), which overflows, for heavy buyers. Euler's transformation
    # 2F1(A,B;C;z) = (1-z)^-A 2F1(A, C-B; C; z/(z-1)) cancels the two exactly.
    hyp = hyp2f1(r + xs, a - 1.0, a + b + xs - 1.0, -t / (alpha + ages))
    # Near a == 1 both factors go to 0 together; fitted a is never exactly 1 in practice.
    unconditional = (a + b + xs - 1.0) / (a - 1.0) * (1.0 - hyp)
    result: FloatArray = unconditional * probability_alive(params, xs, txs, ages)
    return result


def _gamma_gamma_log_likelihood(
    p: float, q: float, v: float, x: FloatArray, m_x: FloatArray
) -> FloatArray:
    # Log of the density of the mean spend m_x over x transactions (Fader & Hardie note).
    px = p * x
    result: FloatArray = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * math.log(v)
        + (px - 1.0) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(v + m_x * x)
    )
    return result


def fit_gamma_gamma(x: ArrayLike, m_x: ArrayLike) -> GammaGammaParams:
    """Fit Gamma-Gamma (p, q, v) by maximum likelihood on customers with x > 0, m_x > 0."""
    xs, ms = _array(x), _array(m_x)
    if xs.shape != ms.shape:
        raise LifetimeModelError("x and m_x must have the same length")
    # Non-repeat customers carry no spend information and zero/negative means (refunds)
    # lie outside the gamma support, so both are left out of the fit.
    keep = np.isfinite(xs) & np.isfinite(ms) & (xs > 0) & (ms > 0)
    xs, ms = xs[keep], ms[keep]
    if xs.size == 0:
        raise InsufficientDataError("Gamma-Gamma needs customers with x > 0 and positive spend")

    def negative_ll(log_params: FloatArray) -> float:
        p, q, v = np.exp(log_params)
        value = -float(np.mean(_gamma_gamma_log_likelihood(p, q, v, xs, ms)))
        return value if math.isfinite(value) else 1e10

    # v carries the currency scale, so start it at the data's scale; p and q are unit-free.
    start = np.log(np.array([1.0, 1.0, max(float(np.mean(ms)), 1e-3)]))
    best, converged = _minimise(negative_ll, start)
    p, q, v = (float(val) for val in np.exp(best))
    ll = float(np.sum(_gamma_gamma_log_likelihood(p, q, v, xs, ms)))
    if not math.isfinite(ll):
        raise LifetimeModelError("Gamma-Gamma fit produced a non-finite log-likelihood")
    return GammaGammaParams(p=p, q=q, v=v, log_likelihood=ll, converged=converged)


def expected_average_value(params: GammaGammaParams, x: ArrayLike, m_x: ArrayLike) -> FloatArray:
    """Return E[mean spend | x, m_x] under Gamma-Gamma; NaN where it is infinite (q <= 1)."""
    xs, ms = _array(x), _array(m_x)
    if xs.shape != ms.shape:
        raise LifetimeModelError("x and m_x must have the same length")
    p, q, v = params.p, params.q, params.v
    denominator = p * xs + q - 1.0
    # x == 0 gives the population mean p*v/(q-1), which only exists for q > 1.
    safe = np.where(denominator > 0, denominator, 1.0)
    result: FloatArray = np.where(denominator > 0, p * (v + ms * xs) / safe, np.nan)
    return result


def fit_lifetime_models(
    summaries: Sequence[CustomerSummary],
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> LifetimeFit:
    """Fit BG/NBD on all and Gamma-Gamma on repeat buyers; InsufficientDataError if too few."""
    # The thresholds guard against fits that "converge" on a handful of customers to
    # parameters that mean nothing; the scheduled job is expected to catch the error.
    n_customers = len(summaries)
    repeat = [s for s in summaries if s.frequency > 0 and s.monetary_value > 0]
    if n_customers < min_customers:
        raise InsufficientDataError(
            f"need at least {min_customers} customers to fit lifetime models, got {n_customers}"
        )
    if len(repeat) < max(min_repeat_customers, 1):
        raise InsufficientDataError(
            f"need at least {max(min_repeat_customers, 1)} repeat customers with positive spend,"
            f" got {len(repeat)}"
        )
    purchases = fit_bgnbd(
        [s.frequency for s in summaries],
        [s.recency for s in summaries],
        [s.age for s in summaries],
    )
    spend = fit_gamma_gamma([s.frequency for s in repeat], [s.monetary_value for s in repeat])
    return LifetimeFit(
        purchases=purchases,
        spend=spend,
        n_customers=n_customers,
        n_repeat_customers=len(repeat),
    )


def score_customers(
    fit: LifetimeFit,
    summaries: Sequence[CustomerSummary],
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> list[CustomerScore]:
    """Score many customers at once: expected purchases, P(alive), average and horizon value."""
    if not summaries:
        return []
    x = np.array([s.frequency for s in summaries], dtype=np.float64)
    t_x = np.array([s.recency for s in summaries], dtype=np.float64)
    age = np.array([s.age for s in summaries], dtype=np.float64)
    m_x = np.array([s.monetary_value for s in summaries], dtype=np.float64)
    purchases = expected_purchases(fit.purchases, horizon_days, x, t_x, age)
    alive = probability_alive(fit.purchases, x, t_x, age)
    # A repeat customer with non-positive mean spend was excluded from the spend fit, so it
    # is valued like a newcomer (population mean) rather than extrapolated from refunds.
    m_used = np.where(m_x > 0, m_x, 0.0)
    x_used = np.where(m_x > 0, x, 0.0)
    average = expected_average_value(fit.spend, x_used, m_used)
    return [
        CustomerScore(
            customer_id=s.customer_id,
            expected_purchases=float(purchases[i]),
            probability_alive=float(alive[i]),
            expected_average_value=float(average[i]),
            expected_value=float(purchases[i] * average[i]),
        )
        for i, s in enumerate(summaries)
    ]


def score_customer(
    fit: LifetimeFit,
    summary: CustomerSummary,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> CustomerScore:
    """Score one customer over the horizon (days): purchases, P(alive), average and value."""
    return score_customers(fit, [summary], horizon_days)[0]
