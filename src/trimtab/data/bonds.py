"""Bond and cash total returns rebuilt from yield series (constant-maturity par bonds).

No installable package ships a bond total-return index, so the bond leg of the bundled data sets is
computed from yields at load time. The model: at each date buy a new ``maturity_years`` bond at par
(semi-annual coupon equal to that date's yield), hold it for one period of ``dt`` years, price it at the
next date's yield, then roll into a new par bond, which keeps the maturity constant.

:func:`par_bond_returns` does the exact repricing and is what the library uses.
:func:`par_bond_return_approx` is the textbook duration/convexity expansion, kept as a test oracle.

Limits: no credit risk, defaults, calls or downgrades; no roll-down along the curve; no costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError, DataError

__all__ = [
    "cash_returns",
    "par_bond_convexity",
    "par_bond_duration",
    "par_bond_return_approx",
    "par_bond_returns",
    "period_years",
    "total_return_index",
]

_DAYS_PER_YEAR = 365.25


def _payments_per_bond(maturity_years: float) -> int:
    """Number of semi-annual coupons of a par bond; the maturity must be a whole number of half years."""
    count = 2.0 * float(maturity_years)
    if not np.isfinite(count) or count < 1 or abs(count - round(count)) > 1e-9:
        raise ConfigError("bond maturity must be a positive whole number of half years (semi-annual coupons)",
                          got=maturity_years, fix="use for example 10, 20 or 30")
    return int(round(count))


def period_years(index: pd.DatetimeIndex) -> pd.Series:
    """Length in years of the period ending at each date of ``index`` (first value NaN).

    Monthly, quarterly or annual spacing (median gap over 10 days, see
    :func:`trimtab.data.market.infer_periods_per_year`) gives exactly 1/12, 1/4 or 1 per period; finer
    spacing gives calendar days / 365.25, so weekends and holidays accrue interest.

    Parameters
    ----------
    index : pandas.DatetimeIndex of length n
        Sorted dates.

    Returns
    -------
    pandas.Series of length n
        Years per period, indexed like ``index``; the first value is NaN (no previous date).
    """
    from trimtab.data.market import infer_periods_per_year

    days = np.diff(index.values).astype("timedelta64[s]").astype("float64") / 86_400.0
    periods = infer_periods_per_year(index)
    if len(index) >= 3 and periods <= 12.0:
        values = np.full(len(index) - 1, 1.0 / periods)
    else:
        values = days / _DAYS_PER_YEAR
    return pd.Series(np.concatenate([[np.nan], values]), index=index, name="dt_years")


def _check_yields(yields: pd.Series) -> np.ndarray:
    if not isinstance(yields, pd.Series):
        raise ConfigError("yields must be a pandas Series indexed by date", got=type(yields).__name__,
                          fix="pass one column of a yield frame, e.g. frame['20year']")
    values = yields.to_numpy(dtype="float64")
    missing = np.flatnonzero(~np.isfinite(values))
    if missing.size:
        raise DataError(f"yield series {yields.name!r} has {missing.size} missing values, the first at "
                        f"{yields.index[missing[0]]}; fill them (e.g. carry the last value forward) first")
    if values.size and np.max(np.abs(values)) > 1.0:
        raise ConfigError(f"yield series {yields.name!r} looks like percent (largest {np.max(values):.4g})",
                          got=float(np.max(values)), fix="divide by 100: yields are decimals, 0.05 means 5%")
    return values


def _check_dt(yields: pd.Series, dt_years: pd.Series | float | None) -> np.ndarray:
    """Years per period for periods 1..n-1 (length n-1)."""
    n = len(yields)
    if dt_years is None:
        if not isinstance(yields.index, pd.DatetimeIndex):
            raise ConfigError("cannot infer period lengths: the yields have no date index",
                              got=type(yields.index).__name__, fix="pass dt_years (years per period)")
        dt = period_years(yields.index).to_numpy()[1:]
    elif isinstance(dt_years, pd.Series):
        dt = dt_years.reindex(yields.index).to_numpy(dtype="float64")[1:]
    else:
        dt = np.full(max(n - 1, 0), float(dt_years))
    if dt.size and (not np.all(np.isfinite(dt)) or np.min(dt) <= 0.0):
        raise DataError("period lengths dt_years must be positive and finite for every period after the "
                        "first; check for repeated or unsorted dates")
    return dt


def par_bond_duration(yield_: float | np.ndarray, maturity_years: float = 20.0) -> np.ndarray | float:
    """Modified duration of a par bond with semi-annual coupons, in years.

    ``D = (1 - (1 + y/2)^(-2N)) / y`` (limit ``N`` at ``y = 0``); 12.55 at ``y = 5%``, ``N = 20``.

    Parameters
    ----------
    yield_ : float or numpy.ndarray
        Yield (decimal, semi-annual compounding), which equals the coupon of a par bond.
    maturity_years : float
        Years to maturity ``N``.
    """
    payments = _payments_per_bond(maturity_years)
    y = np.asarray(yield_, dtype="float64")
    years = payments / 2.0
    tiny = np.abs(y) < 1e-8
    safe = np.where(tiny, 1.0, y)
    # 1 - (1 + y/2)^(-2N) via expm1/log1p keeps precision for small yields; below 1e-8 the expansion
    # N - N (2N + 1) y / 4 is exact to rounding.
    duration = np.where(tiny, years - years * (payments + 1.0) * y / 4.0,
                        -np.expm1(-payments * np.log1p(safe / 2.0)) / safe)
    return float(duration) if duration.ndim == 0 else duration


def par_bond_convexity(yield_: float | np.ndarray, maturity_years: float = 20.0) -> np.ndarray | float:
    """Convexity ``(1/P) d2P/dy2`` of a par bond with semi-annual coupons, in years squared.

    211.4 at ``y = 5%``, ``N = 20``.

    Parameters
    ----------
    yield_ : float or numpy.ndarray
        Yield (decimal, semi-annual compounding) = coupon.
    maturity_years : float
        Years to maturity ``N``.
    """
    payments = _payments_per_bond(maturity_years)
    y = np.asarray(yield_, dtype="float64")
    k = np.arange(1, payments + 1, dtype="float64")
    cash = np.broadcast_to((y[..., None] / 2.0), y.shape + (payments,)).copy()
    cash[..., -1] += 1.0
    v = 1.0 / (1.0 + y[..., None] / 2.0)
    price = np.sum(cash * v**k, axis=-1)
    second = np.sum(cash * k * (k + 1.0) / 4.0 * v ** (k + 2.0), axis=-1)
    convexity = second / price
    return float(convexity) if convexity.ndim == 0 else convexity


def par_bond_returns(yields: pd.Series, *, maturity_years: float = 20.0,
                     dt_years: pd.Series | float | None = None) -> pd.Series:
    """Total return per period of a constant-maturity par bond, by exact repricing.

    At date ``t-1`` a new bond is bought at par with coupon ``c = y[t-1]`` (semi-annual) and
    ``maturity_years`` to run. At ``t``, ``dt`` years later, it is priced at ``y[t]`` by discounting every
    half-coupon and the principal at ``(1 + y[t]/2)`` to minus twice the (fractional) years until each payment
    (a payment already due, possible only when ``dt`` > 0.5, is compounded forward instead). That is a dirty
    price: it already holds the interest earned over ``dt``, so the return is price - 1 and no carry is
    added. With an unchanged yield the return is ``(1 + y/2)^(2 dt) - 1``.

    Parameters
    ----------
    yields : pandas.Series of length n
        Yields as decimals (0.05 = 5%), indexed by sorted dates, no missing values.
    maturity_years : float
        Constant maturity ``N`` in years (a whole number of half years); 20 by default.
    dt_years : pandas.Series, float or None
        Years from the previous date to each date. ``None`` infers it from the dates with
        :func:`period_years` (monthly data: 1/12; daily data: calendar days / 365.25).

    Returns
    -------
    pandas.Series of length n
        Simple returns (0.01 = 1%) indexed like ``yields``; the first value is NaN.
    """
    y = _check_yields(yields)
    dt = _check_dt(yields, dt_years)
    payments = _payments_per_bond(maturity_years)
    out = np.full(len(y), np.nan)
    if len(y) >= 2:
        coupon = y[:-1]
        current = y[1:]
        years_to_payment = 0.5 * np.arange(1, payments + 1)[None, :] - dt[:, None]   # (n-1, 2N)
        discount = (1.0 + current[:, None] / 2.0) ** (-2.0 * years_to_payment)
        price = (coupon / 2.0) * discount.sum(axis=1) + discount[:, -1]
        out[1:] = price - 1.0
    return pd.Series(out, index=yields.index, name=yields.name)


def par_bond_return_approx(yields: pd.Series, *, maturity_years: float = 20.0,
                           dt_years: pd.Series | float | None = None) -> pd.Series:
    """Duration/convexity approximation of :func:`par_bond_returns` (a test oracle, not for use).

    ``r ~ y[t-1] dt - D dy + C dy^2 / 2`` with ``dy = y[t] - y[t-1]`` and ``D``, ``C`` the modified duration
    and convexity of the par bond at ``y[t-1]``. Here the carry ``y dt`` is added explicitly.
    On the bundled data it stays within 0.34 bp a day (20-year CMT) and 7 bp a month (Moody's AAA) of
    the exact repricing.

    Parameters and return value are as in :func:`par_bond_returns`.
    """
    y = _check_yields(yields)
    dt = _check_dt(yields, dt_years)
    out = np.full(len(y), np.nan)
    if len(y) >= 2:
        previous = y[:-1]
        change = np.diff(y)
        duration = par_bond_duration(previous, maturity_years)
        convexity = par_bond_convexity(previous, maturity_years)
        out[1:] = previous * dt - duration * change + 0.5 * convexity * change**2
    return pd.Series(out, index=yields.index, name=yields.name)


def cash_returns(yields: pd.Series, *, dt_years: pd.Series | float | None = None) -> pd.Series:
    """Return per period of cash earning a money-market yield: ``y[t-1] * dt`` (simple accrual).

    Used for the 3-month Treasury bill (the cash leg of ``builtin:us-stocks-bonds``).

    Parameters
    ----------
    yields : pandas.Series of length n
        Annual yields as decimals, indexed by sorted dates.
    dt_years : pandas.Series, float or None
        As in :func:`par_bond_returns`.

    Returns
    -------
    pandas.Series of length n
        Simple returns; the first value is NaN.
    """
    y = _check_yields(yields)
    dt = _check_dt(yields, dt_years)
    out = np.full(len(y), np.nan)
    if len(y) >= 2:
        out[1:] = y[:-1] * dt
    return pd.Series(out, index=yields.index, name=yields.name)


def total_return_index(returns: pd.Series, start: float = 100.0) -> pd.Series:
    """Compound simple returns into an index level.

    Parameters
    ----------
    returns : pandas.Series of length n
        Simple returns per period. Leading NaN values (such as the first value from
        :func:`par_bond_returns`) mark the base: the index equals ``start`` there.
    start : float
        Index level at the base date.

    Returns
    -------
    pandas.Series of length n
        ``start * prod(1 + r)`` up to each date, indexed like ``returns``.

    Raises
    ------
    DataError
        When a NaN follows the first valid return (a gap that cannot be compounded).
    """
    values = returns.to_numpy(dtype="float64")
    valid = np.isfinite(values)
    first = int(np.argmax(valid)) if valid.any() else len(values)
    gaps = np.flatnonzero(~valid[first:])
    if gaps.size:
        raise DataError(f"returns {returns.name!r} have a missing value at {returns.index[first + gaps[0]]} "
                        "after the first valid one; fill or drop it before compounding")
    growth = np.ones_like(values)
    growth[first:] = 1.0 + values[first:]
    return pd.Series(float(start) * np.cumprod(growth), index=returns.index, name=returns.name)
