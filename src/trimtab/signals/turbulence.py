"""The turbulence index: how unusual a period's returns are, given their trailing history.

Kritzman & Li (2010), "Skulls, Financial Turbulence, and Risk Management", FAJ 66(5)::

    d_t = (1 / n) (r_t - mu)' Sigma^-1 (r_t - mu)

with ``r_t`` the ``n`` asset returns of period ``t`` and ``mu``, ``Sigma`` their mean and covariance. The
``1 / n`` (not in the paper) puts the index on a scale where its mean is 1: with the true ``mu`` and
``Sigma`` of i.i.d. normal returns ``n d_t`` is chi-squared with ``n`` degrees of freedom, so
``E[d_t] = 1`` and its ``p`` percentile is ``chi2_{n,p} / n`` (KAT-31).

The paper estimated ``mu`` and ``Sigma`` on the full sample, which looks ahead. Here :func:`turbulence`
uses a **trailing window** of the ``window`` periods before ``t`` (``t`` itself excluded), so the reading
at ``t`` uses rows ``<= t`` only. :func:`turbulence_in_sample` is the full-sample version, kept for the
exact identity of KAT-31: with the sample mean and the ``ddof = 0`` covariance its in-sample mean is exactly
1 (with ``ddof = 1`` exactly ``(T - 1) / T``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.stats import chi2

from trimtab.data.snapshot import MarketSnapshot
from trimtab.errors import ConfigError, DataError
from trimtab.typing import FloatArray

__all__ = ["chi2_percentile", "turbulence", "turbulence_at", "turbulence_in_sample"]


def chi2_percentile(n_assets: int, p: float) -> float:
    """The ``p`` quantile of ``d_t`` under i.i.d. normal returns with known moments: ``chi2.ppf(p, n) / n``."""
    return float(chi2.ppf(p, n_assets) / n_assets)


def _as_matrix(returns: FloatArray | pd.DataFrame) -> FloatArray:
    matrix = np.asarray(returns, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2:
        raise DataError(f"returns must be a (periods, assets) table; got shape {matrix.shape}")
    return matrix


def _distance(deviation: FloatArray, covariance: FloatArray) -> FloatArray:
    """``diag(D Sigma^-1 D') / n`` for rows ``D`` of shape (m, n); pseudo-inverse when singular."""
    n = deviation.shape[1]
    try:
        factor = linalg.cho_factor(covariance, lower=True, check_finite=False)
        solved = linalg.cho_solve(factor, deviation.T, check_finite=False)
    except linalg.LinAlgError:
        solved = linalg.pinvh(covariance) @ deviation.T
    return np.einsum("ij,ji->i", deviation, solved) / n


def turbulence_in_sample(returns: FloatArray | pd.DataFrame, *, ddof: int = 0) -> FloatArray:
    """Full-sample turbulence (look-ahead; for the KAT-31 identity and comparisons only).

    Parameters
    ----------
    returns : ndarray of shape (T, n)
        Simple returns per period.
    ddof : int
        Covariance divisor ``T - ddof``. With ``ddof=0`` the mean of the result is exactly 1.

    Returns
    -------
    ndarray of shape (T,)
    """
    r = _as_matrix(returns)
    if not np.all(np.isfinite(r)):
        raise DataError("turbulence_in_sample: returns contain missing or infinite values")
    mu = r.mean(axis=0)
    deviation = r - mu
    covariance = deviation.T @ deviation / (r.shape[0] - ddof)
    return _distance(deviation, covariance)


def turbulence(
    returns: FloatArray | pd.DataFrame, *, window: int = 252, min_periods: int | None = None
) -> FloatArray:
    """Trailing-window turbulence: row ``t`` uses the mean and covariance of rows ``t - window .. t - 1``.

    Parameters
    ----------
    returns : ndarray or DataFrame of shape (T, n)
        Simple returns per period. Rows with a missing value get NaN and are left out of later windows.
    window : int
        Periods of history behind each reading (252 = one year of daily data).
    min_periods : int, optional
        Fewest complete rows of history needed (default ``max(n + 2, window // 2)``); NaN before.

    Returns
    -------
    ndarray of shape (T,)
        ``d_t`` (dimensionless, mean about 1 in calm i.i.d. markets); NaN where history is too short.
    """
    r = _as_matrix(returns)
    t_count, n = r.shape
    if window < n + 2:
        raise ConfigError(
            "turbulence window too short for a covariance", got=window, fix=f"use at least {n + 2} periods"
        )
    need = max(n + 2, window // 2) if min_periods is None else int(min_periods)
    complete = np.all(np.isfinite(r), axis=1)
    clean = np.where(complete[:, None], r, 0.0)
    # running sums over complete rows: counts, sums and sums of outer products (prefix sums, row 0 empty)
    count = np.concatenate([[0], np.cumsum(complete)])
    first = np.vstack([np.zeros((1, n)), np.cumsum(clean, axis=0)])
    second = np.concatenate([np.zeros((1, n, n)), np.cumsum(clean[:, :, None] * clean[:, None, :], axis=0)])
    out = np.full(t_count, np.nan)
    for t in range(t_count):
        lo = max(0, t - window)
        m = int(count[t] - count[lo])
        if not complete[t] or m < need:
            continue
        total = first[t] - first[lo]
        mu = total / m
        covariance = (second[t] - second[lo] - np.outer(total, mu)) / (m - 1)
        out[t] = _distance((r[t] - mu)[None, :], covariance)[0]
    return out


def turbulence_at(
    snapshot: MarketSnapshot, symbols: tuple[str, ...] | list[str], *, window: int = 252
) -> float:
    """Turbulence of the latest period in ``snapshot`` against the ``window`` periods before it.

    Point in time by construction: the snapshot holds rows up to its date only. NaN when the history is
    too short or the latest returns are missing.
    """
    returns = snapshot.returns(list(symbols), lookback=window + 1).to_numpy(dtype=float)
    if returns.shape[0] < 2:
        return float("nan")
    return float(turbulence(returns, window=max(window, len(symbols) + 2))[-1])
