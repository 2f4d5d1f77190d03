"""The absorption ratio: the share of total variance explained by the top principal components.

Kritzman, Li, Page & Rigobon (2011), "Principal Components as a Measure of Systemic Risk", JPM 37(4)::

    AR = sum_{i <= k} lambda_i / sum_j lambda_j

over the eigenvalues ``lambda`` of the assets' covariance, largest first. A high ratio means the assets
move together (markets "tightly coupled"); for ``N`` unit-variance assets with common correlation ``rho``
it is ``(1 + (N - 1) rho + (k - 1)(1 - rho)) / N`` (KAT-32). The paper used ``k`` of about ``N / 5`` and an
exponentially weighted 500-day window; :func:`absorption_ratio_series` uses a trailing window (point in
time) with optional exponential weights. :func:`absorption_shift` is the paper's standardized change
``(mean AR over 15 days - mean AR over 1 year) / sd(AR over 1 year)``; readings beyond +-1 are signals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trimtab.errors import ConfigError, DataError
from trimtab.typing import FloatArray

__all__ = ["absorption_ratio", "absorption_ratio_series", "absorption_shift", "default_components"]


def default_components(n_assets: int) -> int:
    """The paper's ``k``: about a fifth of the assets, at least 1."""
    return max(1, math.ceil(n_assets / 5))


def absorption_ratio(covariance: FloatArray, n_components: int | None = None) -> float:
    """``AR`` of one covariance matrix of shape (n, n) with ``n_components`` (default ``ceil(n / 5)``)."""
    matrix = np.asarray(covariance, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not np.all(np.isfinite(matrix)):
        raise DataError(f"absorption_ratio needs a finite square covariance; got shape {matrix.shape}")
    n = matrix.shape[0]
    k = default_components(n) if n_components is None else int(n_components)
    if not 1 <= k <= n:
        raise ConfigError("absorption ratio: n_components out of range", got=k, fix=f"use 1 .. {n}")
    eigenvalues = np.clip(np.linalg.eigvalsh((matrix + matrix.T) / 2.0)[::-1], 0.0, None)
    total = float(eigenvalues.sum())
    if total <= 0.0:
        return float("nan")
    return float(eigenvalues[:k].sum() / total)


def _weights(rows: int, halflife: float | None) -> FloatArray:
    if halflife is None:
        return np.full(rows, 1.0 / rows)
    decay = 0.5 ** (1.0 / halflife)
    w = decay ** np.arange(rows - 1, -1, -1, dtype=float)
    return w / w.sum()


def absorption_ratio_series(
    returns: FloatArray | pd.DataFrame,
    *,
    window: int = 500,
    n_components: int | None = None,
    halflife: float | None = None,
    min_periods: int | None = None,
) -> FloatArray:
    """Trailing-window absorption ratio: row ``t`` uses rows ``t - window + 1 .. t`` (point in time).

    Parameters
    ----------
    returns : ndarray or DataFrame of shape (T, n)
        Simple returns per period; rows with a missing value are left out.
    window : int
        Periods per window (the paper: 500 days).
    n_components : int, optional
        ``k`` (default ``ceil(n / 5)``).
    halflife : float, optional
        Exponential weights with this half-life in periods (the paper weights exponentially); equal
        weights when omitted.
    min_periods : int, optional
        Fewest complete rows (default ``max(n + 1, window // 2)``); NaN before.

    Returns
    -------
    ndarray of shape (T,)
        Fractions in [0, 1].
    """
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2:
        raise DataError(f"returns must be a (periods, assets) table; got shape {r.shape}")
    t_count, n = r.shape
    need = max(n + 1, window // 2) if min_periods is None else int(min_periods)
    complete = np.all(np.isfinite(r), axis=1)
    out = np.full(t_count, np.nan)
    for t in range(t_count):
        lo = max(0, t - window + 1)
        rows = r[lo : t + 1][complete[lo : t + 1]]
        if rows.shape[0] < need:
            continue
        w = _weights(rows.shape[0], halflife)
        mu = w @ rows
        deviation = rows - mu
        covariance = (deviation * w[:, None]).T @ deviation
        out[t] = absorption_ratio(covariance, n_components)
    return out


def absorption_shift(ratio: FloatArray, *, short: int = 15, long: int = 252) -> FloatArray:
    """Standardized shift ``(mean over short - mean over long) / sd over long`` (trailing, point in time).

    Parameters
    ----------
    ratio : ndarray of shape (T,)
        An absorption-ratio series (NaN rows are skipped in the means).
    short, long : int
        Window lengths in periods (15 days and one year in the paper).

    Returns
    -------
    ndarray of shape (T,)
        NaN until ``long`` readings exist or where the long window has no spread.
    """
    series = pd.Series(np.asarray(ratio, dtype=float))
    short_mean = series.rolling(short, min_periods=short).mean()
    long_roll = series.rolling(long, min_periods=long)
    spread = long_roll.std(ddof=1)
    shift = (short_mean - long_roll.mean()) / spread.where(spread > 0)
    return shift.to_numpy(dtype=float)
