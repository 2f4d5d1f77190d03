"""Trend signals per asset: moving-average distance and 12-minus-1-month momentum.

* ``moving_average``: ``p_t / mean(p_{t-L+1} .. p_t) - 1`` (positive = above its ``L``-period average).
* ``momentum_12_1``: ``p_{t-S} / p_{t-L} - 1`` with ``L`` twelve months and ``S`` one month of periods
  (Jegadeesh & Titman's 12-1 momentum: the last month is skipped for its short-term reversal).

Both use rows ``<= t`` only. Window lengths are given in months and turned into periods with the data's
periods per year (21 days or 1 row per month), so the same setting works on daily and monthly data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trimtab.data.snapshot import MarketSnapshot
from trimtab.errors import ConfigError
from trimtab.typing import FloatArray

__all__ = ["TREND_KINDS", "TrendSignal", "momentum_12_1", "moving_average_trend", "periods_for_months"]

#: The trend signals :class:`TrendSignal` knows.
TREND_KINDS = ("momentum_12_1", "moving_average")


def periods_for_months(months: float, periods_per_year: float) -> int:
    """Whole periods in ``months`` months of data with ``periods_per_year`` rows a year (at least 1)."""
    return max(1, round(months * periods_per_year / 12.0))


def moving_average_trend(prices: FloatArray, window: int) -> FloatArray:
    """``p_t / mean(last window prices) - 1`` per asset.

    Parameters
    ----------
    prices : ndarray of shape (T, n)
        Prices (dollars per share or index levels), NaN where unknown.
    window : int
        Periods in the average (including ``t``).

    Returns
    -------
    ndarray of shape (T, n)
        NaN until ``window`` prices exist.
    """
    p = np.asarray(prices, dtype=float)
    if p.ndim == 1:
        p = p[:, None]
    if window < 1:
        raise ConfigError("moving-average window must be at least 1 period", got=window, fix="e.g. 200")
    cumulative = np.nancumsum(np.where(np.isfinite(p), p, 0.0), axis=0)
    counts = np.cumsum(np.isfinite(p), axis=0)
    total = cumulative.copy()
    count = counts.astype(float)
    total[window:] -= cumulative[:-window]
    count[window:] -= counts[:-window]
    with np.errstate(invalid="ignore", divide="ignore"):
        average = np.where(count == window, total / np.maximum(count, 1.0), np.nan)
        return p / average - 1.0


def momentum_12_1(prices: FloatArray, *, lookback: int = 252, skip: int = 21) -> FloatArray:
    """``p_{t-skip} / p_{t-lookback} - 1`` per asset (12-minus-1 momentum with daily defaults).

    Parameters
    ----------
    prices : ndarray of shape (T, n)
    lookback, skip : int
        Periods back for the start and the end of the measured return (``skip < lookback``).

    Returns
    -------
    ndarray of shape (T, n)
        NaN for the first ``lookback`` rows.
    """
    p = np.asarray(prices, dtype=float)
    if p.ndim == 1:
        p = p[:, None]
    if not 0 <= skip < lookback:
        raise ConfigError(
            "momentum: skip must be shorter than lookback", got=(lookback, skip), fix="e.g. 252, 21"
        )
    out = np.full(p.shape, np.nan)
    if p.shape[0] > lookback:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lookback:] = p[lookback - skip : p.shape[0] - skip] / p[: p.shape[0] - lookback] - 1.0
    return out


@dataclass(frozen=True, slots=True)
class TrendSignal:
    """A trend reading per asset at the snapshot's date.

    Parameters
    ----------
    kind : {'momentum_12_1', 'moving_average'}
    lookback_months : float
        Momentum: months back for the start (12); moving average: months in the average (10, about 200
        trading days).
    skip_months : float
        Momentum only: the most recent months left out (1).
    """

    kind: str = "momentum_12_1"
    lookback_months: float = 12.0
    skip_months: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in TREND_KINDS:
            raise ConfigError(
                "unknown trend signal", got=self.kind, fix=f"use one of {', '.join(TREND_KINDS)}"
            )
        if not (math.isfinite(self.lookback_months) and self.lookback_months > 0):
            raise ConfigError(
                "trend lookback must be positive months", got=self.lookback_months, fix="e.g. 12"
            )
        if self.kind == "momentum_12_1" and not 0 <= self.skip_months < self.lookback_months:
            raise ConfigError(
                "momentum skip must be shorter than the lookback", got=self.skip_months, fix="e.g. 1"
            )

    def describe(self) -> str:
        """``momentum 12-1`` or ``10-month moving average`` for sentences."""
        if self.kind == "momentum_12_1":
            return f"{self.lookback_months:g}-{self.skip_months:g} month momentum"
        return f"{self.lookback_months:g}-month moving average"

    def periods(self, periods_per_year: float) -> tuple[int, int]:
        """``(lookback, skip)`` in periods of data."""
        lookback = periods_for_months(self.lookback_months, periods_per_year)
        skip = 0 if self.skip_months == 0 else periods_for_months(self.skip_months, periods_per_year)
        return lookback, min(skip, lookback - 1)

    def compute(self, prices: FloatArray, periods_per_year: float) -> FloatArray:
        """The signal for every row of ``prices`` of shape (T, n) (same shape; NaN until enough history)."""
        lookback, skip = self.periods(periods_per_year)
        if self.kind == "momentum_12_1":
            return momentum_12_1(prices, lookback=lookback, skip=skip)
        return moving_average_trend(prices, lookback)

    def at(self, snapshot: MarketSnapshot, symbols: tuple[str, ...] | list[str]) -> FloatArray:
        """The reading at the snapshot's date, shape (n,) (NaN where history is too short).

        Uses only the last ``lookback + 1`` rows of the snapshot (prices carried forward over gaps).
        """
        lookback, _ = self.periods(snapshot.periods_per_year)
        columns = [snapshot.column(s) for s in symbols]
        rows = snapshot.close[-(lookback + 1) :, columns]
        filled = _forward_fill(np.asarray(rows, dtype=float))
        if filled.shape[0] == 0:
            return np.full(len(columns), np.nan)
        return self.compute(filled, snapshot.periods_per_year)[-1]


def _forward_fill(values: FloatArray) -> FloatArray:
    """Carry the last finite value of each column forward over NaN rows (vectorized)."""
    finite = np.isfinite(values)
    rows = np.where(finite, np.arange(values.shape[0])[:, None], 0)
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled = values[rows, np.arange(values.shape[1])[None, :]]
    return np.where(finite | (np.cumsum(finite, axis=0) > 0), filled, np.nan)
